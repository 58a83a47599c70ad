// `find = sea_orm` with no `Entity` in scope: the error is at the key that asked for it.
use privates::PrivateMedia;

#[derive(PrivateMedia)]
#[private_media(find = sea_orm)]
pub struct Doc {
    pub id: i32,
    #[private_media(file)]
    pub pdf: String,
}

fn main() {}
