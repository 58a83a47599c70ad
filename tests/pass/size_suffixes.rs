//! `max_size` as a number with its unit as the literal's suffix: the same units as the string
//! form, never dropped (`10MiB` is ten mebibytes, not ten bytes).
#![deny(warnings)]

use loco_rs::app::AppContext;
use privates::{FindByPk, PrivateMedia};

#[derive(PrivateMedia)]
#[private_media(app = "docs")]
pub struct Sizes {
    pub id: i32,
    #[private_media(file, max_size = 10MiB)]
    pub a: String,
    #[private_media(file, max_size = 2GB)]
    pub b: String,
    #[private_media(file, max_size = 1.5GiB)]
    pub c: String,
    #[private_media(file, max_size = 512kb)]
    pub d: String,
    #[private_media(file, max_size = 100bytes)]
    pub e: String,
    #[private_media(file, max_size = 1_000KB)]
    pub f: String,
    #[private_media(file, max_size = 7B)]
    pub g: String,
    #[private_media(file, max_size = 4096)]
    pub h: String,
}

#[async_trait::async_trait]
impl FindByPk for Sizes {
    async fn find_by_pk(_: &AppContext, _: &i32) -> loco_rs::Result<Option<Self>> {
        Ok(None)
    }
}

fn main() {
    let sizes: Vec<Option<u64>> = Sizes::fields()
        .iter()
        .map(|field| field.spec.limits.max_size)
        .collect();
    assert_eq!(
        sizes,
        [
            Some(10 * 1024 * 1024),
            Some(2_000_000_000),
            Some(1536 * 1024 * 1024),
            Some(512_000),
            Some(100),
            Some(1_000_000),
            Some(7),
            Some(4096),
        ]
    );
}
