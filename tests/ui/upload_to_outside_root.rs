use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(file, upload_to = "/var/scans/")]
    pub a: String,
    #[private_media(file, upload_to = "scans/../../etc/")]
    pub b: String,
    #[private_media(file, upload_to = "scans\\%Y\\")]
    pub c: String,
    #[private_media(file, upload_to = "scans//%Y/")]
    pub d: String,
}

fn main() {}
