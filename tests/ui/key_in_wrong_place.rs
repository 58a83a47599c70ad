use privates::PrivateMedia;

#[derive(PrivateMedia)]
#[private_media(file, upload_to = "scans/")]
pub struct Doc {
    pub id: i32,
    #[private_media(file, app = "docs")]
    pub pdf: String,
}

fn main() {}
