use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(file, max_size = "10 MBs")]
    pub a: String,
    #[private_media(file, max_size = "1.3 KiB")]
    pub b: String,
    #[private_media(file, max_size = "ten megabytes")]
    pub c: String,
    #[private_media(file, max_size = 0)]
    pub d: String,
    #[private_media(file, max_size = "20 PiB")]
    pub e: String,
}

fn main() {}
