// A generic struct is refused once; the stubs carry its parameters, so the code that uses the
// derive's items adds no error of its own.
use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc<K> {
    pub id: K,
    #[private_media(file)]
    pub pdf: String,
}

fn main() {
    let doc = Doc { id: 1_i32, pdf: String::new() };
    let _ = Doc::<i32>::PDF.name();
    let _ = doc.pdf_url();
    let _ = doc.pk();
    let _ = <Doc<i32> as PrivateMedia>::fields();
}
