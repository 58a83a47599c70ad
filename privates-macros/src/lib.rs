//! The `#[derive(PrivateMedia)]` macro of [privates](https://docs.rs/privates): private media
//! fields for loco-rs models, checked by the compiler.
//!
//! Depend on `privates`, which re-exports the derive; this crate is its implementation. The
//! derive is documented on [`PrivateMedia`](derive@PrivateMedia).

mod ast;
mod attr;
mod errors;
mod expand;
mod size;
mod suggest;
mod temp_root;
mod upload_to;
mod validate;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Declares the private media fields of a model: a struct (usually a SeaORM `Model`) whose
/// `String` / `Option<String>` fields hold the stored names of files kept in the private storage
/// (as the column of Django's `FileField` does).
///
/// ```ignore
/// use privates::PrivateMedia;
/// use sea_orm::entity::prelude::*;
///
/// #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, PrivateMedia)]
/// #[sea_orm(table_name = "id_documents")]
/// #[private_media(app = "docs", model = "iddocument")]
/// pub struct Model {
///     #[sea_orm(primary_key)]
///     pub id: i32,
///     #[private_media(file, attachment, content_types = ["application/pdf"], max_size = "10 MiB")]
///     pub pdf: Option<String>,
///     #[private_media(image, upload_to = "mugshots/%Y/", permission = "docs.view_mugshots")]
///     pub mugshot: String,
/// }
/// # #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)] pub enum Relation {}
/// # impl ActiveModelBehavior for ActiveModel {}
///
/// // Typed handles: a typo (`Model::PFD`) is a compile error, never a runtime 404.
/// assert_eq!(Model::PDF.name(), "pdf");
/// // `/admin/docs/iddocument/7/pdf/`, or `None` when the field is empty.
/// let url: Option<String> = model.pdf_url();
/// // In `Hooks::routes`: `AppRoutes::with_default_routes().add_route(privates::routing::model_routes::<Model>())`
/// ```
///
/// (Marked `ignore` only because a doc test of this proc-macro crate cannot depend on
/// `privates`; the same code is compiled by the `privates-tests` crate.)
///
/// # What it generates
///
/// Everything is attached to the struct: trait impls and one inherent `impl`, never a
/// free-standing item with a fixed name, so `#[sea_orm::model]` (which applies the derives to
/// both `Model` and `ModelEx`) compiles. They sit in an anonymous `const _: () = { ... };`
/// block that imports the runtime's hidden module once: `privates::__private_0_1_0`, named
/// after this crate's version, which `privates` pins exactly (a mismatch is one error at the
/// derive).
///
/// - `impl privates::PrivateMedia`: `type Pk` (the primary key's type), `APP`, `MODEL`,
///   `PERMISSION`, `URL_PREFIX` (only when `url_prefix` is given), `fields()` (every private
///   field, in declaration order) and `pk()` (a clone of the key).
/// - For SeaORM models, `impl privates::FindByPk` through
///   `privates::reads::find_by_id::<Entity>(ctx, pk)`, which answers as
///   `Entity::find_by_id(pk).one(&ctx.db)` does (`Entity` is the sibling type
///   `DeriveEntityModel` generates; see `find` and `entity`), the boxed future written out
///   with absolute paths rather than through `#[async_trait]`. Implement `FindByPk` by hand for
///   any other struct.
/// - Per private field `pdf`, as associated items of the struct:
///   - `const PDF: privates::Field<Self>`: the typed handle (the field name in upper case);
///   - `fn pdf_url(&self) -> Option<String>`: the download URL,
///     `{URL_PREFIX}/{app}/{model}/{pk}/pdf/`, or `None` when the field is empty or
///     `no_download`;
///   - with `admin` on the struct, `fn pdf_widget(&self) -> privates_admin::FileWidget<'_>`: the
///     admin widget, HTML-safe for askama.
///
/// The routes are not generated: register them with `privates::routing::model_routes::<Model>()`
/// (or `routing::routes` for views of your own), the one way routes are registered. It needs
/// `Model: FindByPk`, checked where it is called: a plain struct without `FindByPk` still gets
/// everything above.
///
/// Generated items have the struct's visibility and doc comments. The code is hygienic (every
/// path absolute, `::core::primitive::str` included; bindings named `__privates_*`), so a
/// module that shadows `Option`, `Box`, `Ok`, `str` or `Send` still derives; and every item
/// carries `#[automatically_derived]` and `#[allow]`s for the lints a user's settings could
/// turn on (`non_snake_case` for a `Pdf` column's `Pdf_url`, `dead_code`, `missing_docs`,
/// `unreachable_pub`, `deprecated`, clippy's groups), so it compiles warning-free under
/// `#![deny(warnings)]` and `clippy::pedantic`, stubs included.
///
/// # On the struct: `#[private_media(...)]`
///
/// Every key is optional.
///
/// | key | value | default |
/// |---|---|---|
/// | `app` | `"docs"`: the app label, `[a-z0-9_]+` | the crate's name (`CARGO_CRATE_NAME`), checked by the same rule |
/// | `model` | `"iddocument"`: the model label, `[a-z0-9_]+` | the SeaORM `table_name` as written, else the struct name in lower case |
/// | `permission` | `"docs.view_scans"`: `app_label.codename`, each part `[a-z0-9_]+` | `{app}.can_change_{model}` |
/// | `pk` | `id` (or `"id"`): the primary key field | the field with `#[sea_orm(primary_key)]`, else the field named `id` |
/// | `url_prefix` | `"/admin"`: where the routes live; starts with `/`, no trailing `/`; `""` for the root | `"/admin"` (the Django admin's shape) |
/// | `find` | `sea_orm` or `none`: whether `FindByPk` is derived | `sea_orm` when the struct or a field has a `#[sea_orm(...)]` attribute, else `none` |
/// | `entity` | `Entity` (or `"super::documents::Entity"`): the SeaORM entity for `find = sea_orm` (implies it) | `Entity`, the sibling type |
/// | `crate` | `"my_privates"`: the path of the runtime crate, for a renamed dependency | `::privates` |
/// | `admin` | flag, or `admin = "my_admin"` (a renamed `privates-admin`): also generate `fn pdf_widget(&self) -> privates_admin::FileWidget<'_>` per field, for `{{ doc.pdf_widget() }}` in askama templates | no widget methods (the admin crate stays optional) |
/// | `remote` | `super::_entities::invoices::Model` (or a string): the struct is a *mirror* of that model, which gets every generated item (see below) | none: the items are for the struct itself |
///
/// Composite primary keys are refused (a route carries one key). With `find = sea_orm`, `pk`
/// must be the SeaORM primary key.
///
/// # A generated entity: a mirror in the file you own
///
/// loco rewrites `src/models/_entities/*.rs` on every `cargo loco db entities`, and with it any
/// attribute written there. Declare the private fields in the user-owned `src/models/invoices.rs`
/// instead, on a struct that mirrors the entity's key and private fields (serde's remote
/// derive):
///
/// ```ignore
/// // src/models/invoices.rs (never regenerated)
/// use privates::PrivateMedia;
///
/// pub use super::_entities::invoices::{ActiveModel, Entity, Model};
///
/// #[derive(PrivateMedia)]
/// #[private_media(remote = super::_entities::invoices::Model, app = "billing")]
/// pub struct InvoiceMedia {
///     pub id: i32,
///     #[private_media(file, upload_to = "invoices/%Y/", content_types = ["application/pdf"])]
///     pub scan: String,
///     #[private_media(image)]
///     pub receipt: Option<String>,
/// }
///
/// // The entity's `Model` is the model: `Model::SCAN`, `invoice.scan_url()`,
/// // `privates::routing::model_routes::<Model>()`.
/// ```
///
/// The mirror takes the same keys and the same checks as a derive on the entity; what
/// differs:
///
/// - everything is generated for the `remote` model (`impl PrivateMedia for Model`, its
///   `FindByPk` through `<Model as sea_orm::ModelTrait>::Entity` unless `find = none` or
///   `entity = ...`, the handles and `_url` / `_widget` methods, with the mirror's
///   visibility); the mirror itself is never built and gets nothing;
/// - every field of the mirror must be a field of the model with the very same type. That is
///   checked by the compiler, at the mirror's field: a column renamed by regeneration is
///   "no field `scan` on type `&Model`" (listing the model's fields) on `scan`, a column made
///   nullable is "expected `&String`, found `&Option<String>`" on it;
/// - the key is one of the mirrored fields: the one named `id`, or `pk = ...`;
/// - the model label defaults to the module the model is in (`invoices`), which loco names
///   after the table, so moving the attributes from the entity into a mirror keeps every URL
///   and permission.
///
/// # On a field: `#[private_media(...)]`
///
/// A field with this attribute is private; its type must be `String` or `Option<String>`
/// (spelled that way, or with a `std::`/`alloc::`/`core::` path; type aliases are not seen
/// through). `Option<String>` marks a field that may be empty; an empty string also counts as
/// empty.
///
/// | key | value | meaning |
/// |---|---|---|
/// | `file` | flag | any file (Django's `PrivateMediaFileField`); exactly one of `file` / `image` |
/// | `image` | flag | a picture (`PrivateMediaImageField`): uploads are checked to be real images |
/// | `upload_to` | `"scans/%Y/%m/"` or a path to a `fn(&str) -> String` | where uploads go: a relative strftime pattern, or a function of the file name. A pattern is checked at compile time by the very rules the storage applies at run time (`privates-rules`): chrono's specifiers (`%%` for `%`), and an expansion that is a relative folder (no leading `/` or drive letter, no `\`, no `..`, `.` or empty segments, no control or bidirectional formatting characters, no percent-encoded separators, every folder keeping a character once made a valid file name). Default: the storage root |
/// | `permission` | `"docs.view_scans"` | the permission this field's download needs, instead of the model's |
/// | `no_download` | flag | no download route and no link (django-privates' `private_media_no_download_fields`); excludes the view options below |
/// | `attachment` | flag | `Content-Disposition: attachment` (a download) instead of `inline` |
/// | `filename` | `"invoice.pdf"` | the file name the browser is told (no `/`, `\` or control characters) |
/// | `mimetype` | `"application/pdf"` | the `Content-Type` sent, instead of one guessed from the name (`type/subtype`, parameters allowed) |
/// | `max_size` | `"10 MiB"`, `"1.5 GiB"`, a number of bytes, or a number with its unit as suffix (`10MiB`, `1.5GiB`) | the largest upload; units `bytes`/`B`, `KB`, `KiB`, `MB`, `MiB`, `GB`, `GiB`, `TB`, `TiB` (case-insensitive; decimal units are powers of 1000, `i` units of 1024; a fraction must come to whole bytes). A suffix is never dropped: `10u64` is refused |
/// | `content_types` | `["application/pdf", "image/*"]` | accepted upload types, judged from the file's bytes; lower case `type/subtype`, or `type/*` for any subtype; `image` fields accept only `image/...` |
///
/// # Errors
///
/// Every mistake is one compile error on the offending token that says how to fix it (a
/// suggested fix is itself accepted, never the refused input), and one compile reports them
/// all: unknown keys (with "did you mean"), keys in the wrong place (shown spelled for the
/// right one), duplicates, a field that is both or neither `file` and `image`, wrong field
/// types, `upload_to` patterns the storage would refuse, labels (the crate name too),
/// permissions, sizes and media types, a suffix on a string literal (`"docs"x`), missing or
/// composite primary keys, and enums, unions, tuple, unit and generic structs. After an error
/// the derive still emits inert stubs of its items (for generic structs too), so the rest of
/// the code does not add a cascade of errors.
#[proc_macro_derive(PrivateMedia, attributes(private_media))]
pub fn derive_private_media(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive(&input).into()
}

/// Parse, validate, expand.
fn derive(input: &DeriveInput) -> proc_macro2::TokenStream {
    let mut errors = errors::Errors::default();
    let ast = ast::Input::from_syn(input, &mut errors);
    match validate::check(&ast, &mut errors) {
        Some(plan) if errors.is_empty() => expand::expand(&plan),
        _ => {
            let mut tokens = errors.into_compile_errors();
            tokens.extend(expand::fallback(&ast));
            tokens
        }
    }
}

/// Gives a test its own temporary private storage root (the decorator form of django-privates'
/// `temp_private_root`; re-exported as `privates_testing::temp_private_root`).
///
/// The test takes one parameter, the guard; the attribute removes the parameter and creates
/// the guard at the start of the body, so the folder is removed when the test ends, also when
/// it panics. Put it above `#[tokio::test]`:
///
/// ```ignore
/// use privates_testing::{temp_private_root, TempPrivateRoot};
///
/// #[temp_private_root]
/// #[tokio::test]
/// async fn uploads_land_in_the_root(root: TempPrivateRoot) {
///     let ctx = boot_my_app().await;
///     let privates = root.install(&ctx).unwrap();
///     // ...
/// }
/// ```
///
/// `#[temp_private_root(crate = "my_testing")]` names a renamed `privates-testing` dependency.
#[proc_macro_attribute]
pub fn temp_private_root(args: TokenStream, item: TokenStream) -> TokenStream {
    temp_root::expand(args.into(), item.into()).into()
}
