use privates::PrivateMedia;

#[derive(PrivateMedia)]
#[private_media(app = docs, model = 5)]
pub struct Doc {
    pub id: i32,
    #[private_media(file, filename = invoice.pdf, upload_to = 7, content_types = "application/pdf")]
    pub pdf: String,
}

fn main() {}
