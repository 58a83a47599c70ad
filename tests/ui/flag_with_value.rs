use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(file = true, attachment = false)]
    pub pdf: String,
}

fn main() {}
