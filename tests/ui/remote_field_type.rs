//! The mirror's types must be the model's exactly: a column made nullable (or a key retyped) by
//! regeneration is an error on the mirror's field, one per field, whatever its role (the key, a
//! private field, any other field listed).
mod entity {
    pub struct Model {
        pub id: i64,
        pub title: String,
        pub scan: Option<String>,
        pub receipt: String,
    }
}

#[derive(privates::PrivateMedia)]
#[private_media(remote = entity::Model, find = none)]
pub struct InvoiceMedia {
    pub id: i32,
    pub title: Option<String>,
    #[private_media(file)]
    pub scan: String,
    #[private_media(file)]
    pub receipt: String,
}

fn main() {}
