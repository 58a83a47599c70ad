#![allow(non_snake_case)]
use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(file)]
    pub pdf: String,
    #[private_media(file)]
    pub Pdf: String,
}

fn main() {}
