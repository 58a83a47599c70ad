use privates::PrivateMedia;

#[derive(PrivateMedia)]
#[private_media(find = none, entity = super::documents::Entity)]
pub struct Doc {
    pub id: i32,
    #[private_media(file)]
    pub pdf: String,
}

fn main() {}
