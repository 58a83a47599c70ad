// A suffix on a literal is never dropped: a unit on a `max_size` number is read as the string
// form reads it (tests/pass/size_suffixes.rs), anything else is refused with the fix. The string
// without its suffix is still checked (`"Docs"` is a second mistake, with its own error).
use privates::PrivateMedia;

#[derive(PrivateMedia)]
#[private_media(app = "Docs"x, find = none)]
pub struct Doc {
    pub id: i32,
    #[private_media(file, max_size = 10u64)]
    pub a: String,
    #[private_media(file, max_size = 10MBs)]
    pub b: String,
    #[private_media(file, max_size = 1.3KiB)]
    pub c: String,
    #[private_media(file, max_size = "10 MiB"mb)]
    pub d: String,
    #[private_media(file, content_types = ["application/pdf"pdf])]
    pub e: String,
    #[private_media(file, upload_to = "scans/"s)]
    pub f: String,
}

fn main() {}
