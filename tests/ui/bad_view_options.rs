use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(file, filename = "invoices/2024.pdf", mimetype = "pdf")]
    pub pdf: String,
}

fn main() {}
