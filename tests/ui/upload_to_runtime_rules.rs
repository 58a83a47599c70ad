// The derive runs the storage's own rules (privates-rules) on `upload_to`: what the runtime
// would refuse does not compile.
use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(file, upload_to = "C:/scans/")]
    pub drive: String,
    #[private_media(file, upload_to = "~/scans/")]
    pub home: String,
    #[private_media(file, upload_to = "scans/\u{202E}fdp/")]
    pub bidi: String,
    #[private_media(file, upload_to = "scans/\t%Y/")]
    pub control: String,
    #[private_media(file, upload_to = "scans%%2F%Y/")]
    pub escape: String,
    #[private_media(file, upload_to = "$$/")]
    pub nothing_valid: String,
    #[private_media(file, upload_to = "scans/%.f/")]
    pub empty_expansion: String,
}

fn main() {}
