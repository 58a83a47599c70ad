use privates::PrivateMedia;

#[derive(PrivateMedia)]
#[private_media(permission = "view_scans")]
pub struct Doc {
    pub id: i32,
    #[private_media(file, permission = "Docs.View-Scans")]
    pub pdf: String,
    #[private_media(file, permission = "docs.scans.view")]
    pub scan: String,
}

fn main() {}
