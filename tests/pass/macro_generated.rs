//! A model declared by a `macro_rules!` macro: literals arrive wrapped in invisible groups.
#![deny(warnings)]

use loco_rs::app::AppContext;
use privates::{FindByPk, PrivateMedia};

macro_rules! model {
    ($name:ident, $app:literal, $pattern:literal, $size:expr) => {
        #[derive(PrivateMedia)]
        #[private_media(app = $app)]
        pub struct $name {
            pub id: i32,
            #[private_media(file, upload_to = $pattern, max_size = $size)]
            pub file: String,
        }

        #[async_trait::async_trait]
        impl FindByPk for $name {
            async fn find_by_pk(_: &AppContext, _: &i32) -> loco_rs::Result<Option<Self>> {
                Ok(None)
            }
        }
    };
}

model!(Upload, "uploads", "files/%Y/", "1 MiB");

fn main() {
    assert_eq!(Upload::APP, "uploads");
    assert_eq!(Upload::FILE.spec.limits.max_size, Some(1024 * 1024));
    assert_eq!(Upload { id: 1, file: String::new() }.file_url(), None);
}
