// The derive belongs to one version of the runtime: given a runtime whose hidden module has
// another version, it fails once, at the derive, naming the module it needs.
mod other_privates {
    #[doc(hidden)]
    pub mod __private_0_0_9 {}
}

#[derive(privates::PrivateMedia)]
#[private_media(crate = "other_privates", find = none)]
pub struct Doc {
    pub id: i32,
    #[private_media(file)]
    pub pdf: String,
}

fn main() {}
