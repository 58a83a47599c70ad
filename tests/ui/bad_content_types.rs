use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(file, content_types = ["", "pdf", "Application/PDF", "application/pdf", "application/pdf"])]
    pub pdf: String,
    #[private_media(file, content_types = [])]
    pub any: String,
    #[private_media(image, content_types = ["image/png", "application/pdf"])]
    pub scan: String,
}

fn main() {}
