use privates::PrivateMedia;

#[derive(PrivateMedia)]
#[private_media(app = "docs")]
#[private_media(app = "files")]
pub struct Doc {
    pub id: i32,
    #[private_media(file, upload_to = "a/", file)]
    #[private_media(upload_to = "b/")]
    pub pdf: String,
}

fn main() {}
