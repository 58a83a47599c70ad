use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub enum Doc {
    Pdf { id: i32, pdf: String },
}

fn main() {}
