// One mistake, one error: the rest of the code, which uses the derive's items, still compiles.
use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(file, upload_to = "/abs/")]
    pub pdf: String,
}

fn main() {
    let doc = Doc { id: 1, pdf: String::new() };
    let _ = Doc::PDF.name();
    let _ = doc.pdf_url();
    let _ = <Doc as PrivateMedia>::fields();
}
