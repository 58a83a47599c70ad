use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc(i32, #[private_media(file)] String);

fn main() {}
