use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc<K> {
    pub id: K,
    #[private_media(file)]
    pub pdf: String,
}

fn main() {}
