use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(file, upload_to = "scans/%Q/")]
    pub a: String,
    #[private_media(file, upload_to = "scans/%Y/%")]
    pub b: String,
    #[private_media(file, upload_to = "scans/%-F/")]
    pub c: String,
    #[private_media(file, upload_to = "scans/%n/")]
    pub d: String,
}

fn main() {}
