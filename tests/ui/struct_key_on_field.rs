// A struct key written on a field is shown spelled for the struct, with the field's name
// filled in for `pk`; the field is still taken as the key, so this is the only error.
use privates::PrivateMedia;

#[derive(PrivateMedia)]
#[private_media(find = none)]
pub struct Doc {
    #[private_media(pk)]
    pub number: i32,
    #[private_media(file, app = "docs")]
    pub pdf: String,
}

fn main() {
    let doc = Doc { number: 1, pdf: String::new() };
    let _ = doc.pdf_url();
}
