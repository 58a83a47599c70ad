use privates::PrivateMedia;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
#[sea_orm(table_name = "IdDocuments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[private_media(file)]
    pub pdf: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn main() {}
