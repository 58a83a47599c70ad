//! After `cargo loco db entities` renamed a column, the mirror names a field the model no
//! longer has: the error is on the mirror's field, with the model's fields listed.
mod entity {
    pub struct Model {
        pub id: i32,
        pub scan_file: String,
    }
}

#[derive(privates::PrivateMedia)]
#[private_media(remote = entity::Model, find = none)]
pub struct InvoiceMedia {
    pub id: i32,
    #[private_media(file)]
    pub scan: String,
}

fn main() {}
