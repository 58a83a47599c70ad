//! After an error, the derive's stubs trip none of the user's lints: the one error per model is
//! the mistake itself.
#![deny(warnings, missing_docs, non_snake_case, dead_code, unreachable_pub, unused_variables)]

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

/// A model whose `FindByPk` is derived (its stub included).
#[derive(PrivateMedia)]
#[private_media(find = sea_orm, app = "Docs")]
pub struct Scan {
    /// The key.
    pub id: i32,
    /// The image.
    #[private_media(image)]
    pub image: String,
}

fn main() {}
