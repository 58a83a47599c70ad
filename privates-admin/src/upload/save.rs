//! Writing a received submission to its row as a compare-and-set on the file columns, the one
//! way a save may finish a [`Submission`]: the row changes only if its files are still those
//! the form was read with, so no row ever names a file a concurrent save deleted.

use privates::{Field, PrivateMedia};
use sea_orm::{
    ColumnTrait, EntityTrait, Iterable, ModelTrait, PrimaryKeyToColumn, QueryFilter, UpdateMany,
    sea_query::Expr,
};

use super::Submission;

/// A private field that is not a column of the model's entity (the field handle and the
/// entity disagree: a hand-written `Field`, or a column renamed in only one of them).
#[derive(Debug, thiserror::Error)]
#[error(
    "the private field `{field}` is not a column of the SeaORM entity of `{model}`: the field's \
     name must be its column's"
)]
pub struct NotAColumn {
    /// The field's name.
    pub field: &'static str,
    /// The model's label.
    pub model: &'static str,
}

impl From<NotAColumn> for loco_rs::Error {
    fn from(err: NotAColumn) -> Self {
        Self::Any(Box::new(err))
    }
}

/// The `UPDATE` that writes `submission` to `object`'s row as a compare-and-set: it sets every
/// field of `fields` to [`Submission::value`] and matches the row by its primary key **and**
/// by each of those columns' values as `object` holds them (`IS NULL` for an empty
/// `Option<String>`). Add the row's other columns with `col_expr`, execute it, then:
///
/// - one row affected: the row names the new files; [`Submission::commit`] (deletes the
///   replaced files);
/// - no row affected: another save changed a file (or deleted the row) since `object` was
///   read; nothing was written: [`Submission::rollback`], and answer 409 or show the form
///   again;
/// - an error: [`Submission::rollback`].
///
/// [`FieldUpload`](super::FieldUpload) and the demo's change form both save this way.
///
/// ```no_run
/// # mod documents {
/// #     use privates::PrivateMedia;
/// #     use sea_orm::entity::prelude::*;
/// #     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
/// #     #[sea_orm(table_name = "documents")]
/// #     #[private_media(app = "docs")]
/// #     pub struct Model {
/// #         #[sea_orm(primary_key)]
/// #         pub id: i32,
/// #         pub title: String,
/// #         #[private_media(file)]
/// #         pub pdf: Option<String>,
/// #     }
/// #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
/// #     pub enum Relation {}
/// #     impl ActiveModelBehavior for ActiveModel {}
/// # }
/// use loco_rs::app::AppContext;
/// use privates::{PrivateMedia, Privates};
/// use privates_admin::upload::{Submission, compare_and_set};
/// use sea_orm::sea_query::Expr;
///
/// async fn save(
///     ctx: &AppContext,
///     doc: &documents::Model,
///     title: String,
///     submission: Submission,
/// ) -> loco_rs::Result<bool> {
///     let files = Privates::from_ctx(ctx)?.files().clone();
///     let update = compare_and_set(doc, documents::Model::fields(), &submission)?
///         .col_expr(documents::Column::Title, Expr::value(title));
///     let saved = match update.exec(&ctx.db).await {
///         Ok(result) => result.rows_affected == 1,
///         Err(err) => {
///             submission.rollback(&files).await.map_err(privates::Error::from)?;
///             return Err(err.into());
///         }
///     };
///     if saved {
///         submission.commit(&files).await.map_err(privates::Error::from)?;
///     } else {
///         submission.rollback(&files).await.map_err(privates::Error::from)?;
///     }
///     Ok(saved)
/// }
/// ```
///
/// # Errors
/// [`NotAColumn`] when a field's name is not a column of `M`'s entity.
pub fn compare_and_set<M>(
    object: &M,
    fields: &[Field<M>],
    submission: &Submission,
) -> Result<UpdateMany<M::Entity>, NotAColumn>
where
    M: PrivateMedia + ModelTrait,
{
    let mut update = <M::Entity as EntityTrait>::update_many();
    for key in <<M::Entity as EntityTrait>::PrimaryKey as Iterable>::iter() {
        let column = key.into_column();
        update = update.filter(column.eq(object.get(column)));
    }
    for field in fields {
        let column = column_of::<M>(field)?;
        let value = submission.value(field, Some(object));
        update = if field.spec.optional {
            update.col_expr(column, Expr::value(value))
        } else {
            update.col_expr(column, Expr::value(value.unwrap_or_default()))
        };
        // The value as read, an empty string included (`stored_name` would call it empty).
        update = match (field.get)(object) {
            Some(current) => update.filter(column.eq(current)),
            None => update.filter(column.is_null()),
        };
    }
    Ok(update)
}

/// The entity column named like `field`.
fn column_of<M>(field: &Field<M>) -> Result<<M::Entity as EntityTrait>::Column, NotAColumn>
where
    M: PrivateMedia + ModelTrait,
{
    field.name().parse().map_err(|_| NotAColumn {
        field: field.name(),
        model: M::MODEL,
    })
}
