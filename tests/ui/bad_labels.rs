use privates::PrivateMedia;

#[derive(PrivateMedia)]
#[private_media(app = "Docs", model = "id-document", url_prefix = "admin/")]
pub struct Doc {
    pub id: i32,
    #[private_media(file)]
    pub pdf: String,
}

fn main() {}
