use privates::PrivateMedia;

#[derive(PrivateMedia)]
#[private_media = "docs"]
pub struct Doc {
    pub id: i32,
    #[private_media]
    pub pdf: String,
}

fn main() {}
