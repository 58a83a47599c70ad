use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc;

fn main() {}
