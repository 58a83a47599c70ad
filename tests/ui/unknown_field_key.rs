use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(file, uplaod_to = "scans/%Y/")]
    pub pdf: String,
}

fn main() {}
