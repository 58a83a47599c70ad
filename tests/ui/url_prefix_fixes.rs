// A suggested fix is never the refused input, and never refused itself.
use privates::PrivateMedia;

#[derive(PrivateMedia)]
#[private_media(url_prefix = "/", find = none)]
pub struct Root {
    pub id: i32,
    #[private_media(file)]
    pub pdf: String,
}

#[derive(PrivateMedia)]
#[private_media(url_prefix = "/staff//files/", find = none)]
pub struct Doubled {
    pub id: i32,
    #[private_media(file)]
    pub pdf: String,
}

#[derive(PrivateMedia)]
#[private_media(url_prefix = "/a b", permission = "Docs.View-Scans", find = none)]
pub struct Spaced {
    pub id: i32,
    #[private_media(file, permission = "View Scans")]
    pub pdf: String,
}

fn main() {}
