//! After an error, the derive's stubs trip none of the user's lints: the one error is the
//! mistake itself.
#![deny(warnings, missing_docs, non_snake_case, dead_code, unreachable_pub)]

use privates::PrivateMedia;

/// A document with a column named in CamelCase.
#[derive(PrivateMedia)]
#[allow(non_snake_case)]
pub struct Doc {
    /// The key.
    pub id: i32,
    /// The PDF.
    #[private_media(file, upload_to = "/abs/")]
    pub Pdf: String,
}

fn main() {}
