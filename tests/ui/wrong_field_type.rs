use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(file)]
    pub size: i32,
    #[private_media(file)]
    pub bytes: Vec<u8>,
    #[private_media(image)]
    pub maybe: Option<i32>,
    #[private_media(file)]
    pub name: &'static str,
}

fn main() {}
