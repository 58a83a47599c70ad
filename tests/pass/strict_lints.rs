//! The expansion trips none of the user's lints, whatever their levels: a column named in
//! CamelCase (`Scan_url` is not snake case), generated helpers the crate never calls (dead
//! code), a deprecated column, `#[allow]`s on the struct that do not reach the generated items.
#![deny(warnings)]
#![deny(
    missing_docs,
    non_snake_case,
    non_upper_case_globals,
    dead_code,
    deprecated,
    unreachable_pub,
    unused_qualifications,
    unused_results,
    single_use_lifetimes,
    unused_lifetimes,
    elided_lifetimes_in_paths,
    missing_debug_implementations,
    clippy::all,
    clippy::pedantic,
    clippy::nursery
)]

use privates::PrivateMedia;

/// A legacy table: its columns are named in CamelCase, one is deprecated.
#[derive(Debug, PrivateMedia)]
#[allow(non_snake_case)]
#[private_media(app = "docs", find = none)]
struct LegacyScan {
    /// The key.
    id: i32,
    /// The scan, in a column named `Scan`.
    #[private_media(image)]
    Scan: Option<String>,
    /// The old file, kept for a while.
    #[deprecated(note = "use `Scan`")]
    #[private_media(file, no_download)]
    Old: String,
}

mod inner {
    /// A public struct of a private module: its generated `pub` items are unreachable too.
    #[derive(Debug, privates::PrivateMedia)]
    #[allow(unreachable_pub)]
    #[private_media(app = "docs", find = none)]
    pub struct Note {
        /// The key.
        pub id: i32,
        /// The text.
        #[private_media(file)]
        pub text: String,
    }
}

/// A documented public model at the crate root.
#[derive(Debug, PrivateMedia)]
#[private_media(app = "docs", find = none)]
pub struct Invoice {
    /// The key.
    pub id: i64,
    /// The PDF.
    #[private_media(file, upload_to = "invoices/%Y/")]
    pub pdf: String,
}

fn main() {
    #[allow(deprecated)]
    let scan = LegacyScan {
        id: 1,
        Scan: None,
        Old: String::new(),
    };
    let note = inner::Note {
        id: 1,
        text: String::new(),
    };
    let invoice = Invoice {
        id: 1,
        pdf: String::new(),
    };
    drop((scan, note, invoice));
}
