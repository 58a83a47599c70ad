use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(file, upload_to, filename("invoice.pdf"))]
    pub pdf: String,
}

fn main() {}
