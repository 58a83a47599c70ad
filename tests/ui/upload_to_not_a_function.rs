use privates::PrivateMedia;

fn stored_name(original: String) -> String {
    original
}

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(file, upload_to = stored_name)]
    pub pdf: String,
}

fn main() {}
