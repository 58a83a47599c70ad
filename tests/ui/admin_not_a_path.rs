use privates::PrivateMedia;

#[derive(PrivateMedia)]
#[private_media(admin = 3, find = none)]
struct Doc {
    id: i32,
    #[private_media(file)]
    pdf: String,
}

#[derive(PrivateMedia)]
#[private_media(admin, admin, find = none)]
struct Twice {
    id: i32,
    #[private_media(file)]
    pdf: String,
}

fn main() {}
