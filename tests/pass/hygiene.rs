//! Hygiene: the derive compiles in a module that shadows every std and core name its code could
//! have used unqualified (types, traits, variants, primitives, macros, the `core` and `std`
//! paths), and that declares constants named like ordinary bindings (`ctx`, `pk`, `object`),
//! with every key and the SeaORM `FindByPk` path (through `entity`).
#![deny(warnings)]

/// A SeaORM entity, in a module of its own: SeaORM's own derives do not compile in a module
/// that shadows `Option` or `Clone` (46 errors, none of them from `PrivateMedia`), so the
/// shadowed model below derives its `FindByPk` through this entity (`entity = ...`), which is
/// the same generated code as for a `DeriveEntityModel` struct.
mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "scan")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub image: String,
        pub note: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[allow(non_camel_case_types, non_upper_case_globals, dead_code, unused_macros, unused_imports)]
mod shadowed {
    pub struct Box;
    pub struct Option;
    pub struct Result;
    pub struct String;
    pub struct Vec;
    pub struct Pin;
    pub struct Some;
    pub struct None;
    pub struct Ok;
    pub struct Err;
    pub struct str;
    pub struct bool;
    pub struct u64;
    pub struct usize;
    pub struct char;
    pub trait Send {}
    pub trait Sync {}
    pub trait Sized {}
    pub trait Clone {}
    pub trait Copy {}
    pub trait Default {}
    pub trait Debug {}
    pub trait Display {}
    pub trait Into {}
    pub trait From {}
    pub trait Future {}
    pub trait FromStr {}
    pub trait Fn {}
    pub trait FnOnce {}
    pub trait Iterator {}
    pub trait ToString {}
    pub trait EntityTrait {}
    pub mod core {}
    pub mod std {}
    pub mod alloc {}
    pub mod privates {}
    pub mod loco_rs {}
    pub mod sea_orm {}
    pub const ctx: u8 = 0;
    pub const pk: u8 = 0;
    pub const object: u8 = 0;
    pub const found: u8 = 0;
    pub const model: u8 = 0;
    pub const file: u8 = 0;
    macro_rules! unreachable {
        ($($t:tt)*) => {
            ::core::compile_error!("the derive used a shadowed `unreachable!`")
        };
    }
    macro_rules! env {
        ($($t:tt)*) => {
            ::core::compile_error!("the derive used a shadowed `env!`")
        };
    }
    macro_rules! concat {
        ($($t:tt)*) => {
            ::core::compile_error!("the derive used a shadowed `concat!`")
        };
    }

    /// `upload_to` as a function.
    pub fn by_initial(name: &::core::primitive::str) -> ::std::string::String {
        ::std::format!("{}/{name}", ::core::primitive::str::len(name))
    }

    /// Every key, the SeaORM lookup, the admin widget, the crate name as the default app.
    #[derive(::privates::PrivateMedia)]
    #[private_media(entity = super::entity::Entity, permission = "docs.view_scan", admin)]
    #[private_media(model = "scan", url_prefix = "/staff", crate = "::privates")]
    pub struct Scan {
        pub id: ::core::primitive::i32,
        #[private_media(image, upload_to = "scans/%Y/", max_size = 1MiB, attachment)]
        #[private_media(content_types = ["image/png"], filename = "scan.png")]
        #[private_media(mimetype = "image/png", permission = "docs.view_image")]
        pub image: ::std::string::String,
        #[private_media(file, upload_to = by_initial, no_download)]
        pub note: ::core::option::Option<::std::string::String>,
    }

    impl ::core::convert::From<super::entity::Model> for Scan {
        fn from(row: super::entity::Model) -> Self {
            Self {
                id: row.id,
                image: row.image,
                note: row.note,
            }
        }
    }

    /// A model that fails to derive still produces hygienic stubs: checked by the ui tests;
    /// here, a plain struct with the defaults.
    #[derive(::privates::PrivateMedia)]
    pub struct Plain {
        pub id: ::core::primitive::u32,
        #[private_media(file)]
        pub file: ::std::string::String,
    }
}

use privates::{FindByPk, PrivateMedia};

fn assert_find_by_pk<M: FindByPk>() {}

fn main() {
    assert_find_by_pk::<shadowed::Scan>();
    let scan = shadowed::Scan {
        id: 4,
        image: "scans/2024/a.png".to_owned(),
        note: None,
    };
    assert_eq!(shadowed::Scan::APP, env!("CARGO_CRATE_NAME"));
    assert_eq!(shadowed::Scan::PERMISSION, "docs.view_scan");
    assert_eq!(scan.pk(), 4);
    assert_eq!(scan.image_url().as_deref(), Some(&*format!("/staff/{}/scan/4/image/", env!("CARGO_CRATE_NAME"))));
    assert_eq!(scan.note_url(), None);
    assert_eq!(shadowed::Scan::IMAGE.spec.limits.max_size, Some(1024 * 1024));
    for field in shadowed::Scan::fields() {
        assert!(field.spec.upload_to.validate().is_ok());
    }
    let _ = scan.image_widget();
    let _ = privates::routing::model_routes::<shadowed::Scan>();
    let plain = shadowed::Plain {
        id: 1,
        file: String::new(),
    };
    assert_eq!(plain.file_url(), None);
    assert_eq!(shadowed::Plain::FILE.name(), "file");
}
