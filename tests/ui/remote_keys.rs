//! A mirror's attributes are checked as the derive's own: unknown keys, a field type that
//! cannot hold a stored name, a label, a missing key field, a `remote` that is not a path.
macro_rules! entity {
    ($name:ident) => {
        mod $name {
            pub struct Model {
                pub id: i32,
                pub scan: String,
                pub size: i32,
            }
        }
    };
}

entity!(typo);
entity!(bad_field);
entity!(no_key);
entity!(not_a_path);

#[derive(privates::PrivateMedia)]
#[private_media(remot = typo::Model)]
pub struct Typo {
    pub id: i32,
    #[private_media(file)]
    pub scan: String,
}

#[derive(privates::PrivateMedia)]
#[private_media(remote = bad_field::Model, find = none)]
pub struct BadField {
    pub id: i32,
    #[private_media(file, uplod_to = "scans/")]
    pub scan: String,
    #[private_media(file)]
    pub size: i32,
}

#[derive(privates::PrivateMedia)]
#[private_media(remote = no_key::Model, find = none)]
pub struct NoKey {
    #[private_media(file)]
    pub scan: String,
}

pub struct Model {
    pub id: i32,
    pub scan: String,
}

#[derive(privates::PrivateMedia)]
#[private_media(remote = Model, find = none)]
pub struct NoModule {
    pub id: i32,
    #[private_media(file)]
    pub scan: String,
}

#[derive(privates::PrivateMedia)]
#[private_media(remote = "not_a_path::Model<", find = none)]
pub struct NotAPath {
    pub id: i32,
    #[private_media(file)]
    pub scan: String,
}

fn main() {}
