use privates::PrivateMedia;

#[derive(PrivateMedia)]
#[private_media(pk = numbr)]
pub struct Doc {
    pub number: i32,
    #[private_media(file)]
    pub pdf: String,
}

fn main() {}
