use privates::PrivateMedia;

#[derive(PrivateMedia)]
#[private_media(find = none)]
pub struct Doc {
    pub id: Vec<u8>,
    #[private_media(file)]
    pub pdf: String,
}

fn main() {}
