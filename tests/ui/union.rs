use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub union Doc {
    id: i32,
    size: u32,
}

fn main() {}
