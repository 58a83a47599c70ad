//! A UUID primary key.
#![deny(warnings)]

mod passport {
    use privates::PrivateMedia;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
    #[sea_orm(table_name = "passport")]
    #[private_media(app = "travel")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[private_media(image)]
        pub photo: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use privates::PrivateMedia;
use sea_orm::prelude::Uuid;

fn main() {
    let id = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
    let passport = passport::Model {
        id,
        photo: "p.jpg".to_owned(),
    };
    assert_eq!(passport.pk(), id);
    assert_eq!(
        passport.photo_url().as_deref(),
        Some("/admin/travel/passport/01234567-89ab-cdef-0123-456789abcdef/photo/")
    );
    let parsed: <passport::Model as PrivateMedia>::Pk =
        "01234567-89ab-cdef-0123-456789abcdef".parse().unwrap_or_default();
    assert_eq!(parsed, id);
}
