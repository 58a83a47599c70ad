use privates::PrivateMedia;

#[derive(PrivateMedia)]
#[private_media(app = "docs", modle = "iddocument", colour = "blue")]
pub struct Doc {
    pub id: i32,
    #[private_media(file)]
    pub pdf: String,
}

fn main() {}
