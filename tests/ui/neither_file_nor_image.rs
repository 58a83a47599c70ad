use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(upload_to = "scans/")]
    pub scan: String,
}

fn main() {}
