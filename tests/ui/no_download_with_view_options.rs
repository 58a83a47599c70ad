use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(file, no_download, attachment, filename = "original.docx")]
    pub original: String,
}

fn main() {}
