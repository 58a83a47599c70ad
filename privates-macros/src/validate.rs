//! The checks between parsing and expansion: every value is judged here, errors carry the span
//! of the user's token and the fix, and the result is a `Plan` that expansion turns into code.

use privates_rules::label::{is_label, is_permission, to_label};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{GenericArgument, Ident, Lit, LitStr, Path, PathArguments, Type, ext::IdentExt};

use crate::{
    ast::{Field, Input, Shape},
    attr::{ContentTypesAttr, FieldAttrs, Find, Kind, MaxSizeAttr, UploadToAttr},
    errors::Errors,
    size, suggest, upload_to,
};

/// Everything expansion needs, checked.
pub(crate) struct Plan<'a> {
    pub(crate) ident: &'a Ident,
    /// The type the impls are for: the struct itself, or the `remote` model it mirrors.
    pub(crate) target: TokenStream,
    /// With `remote`: every field of the mirror, each asserted to be a field of the remote
    /// model with the same type.
    pub(crate) mirrored: Vec<&'a Field<'a>>,
    pub(crate) vis: &'a syn::Visibility,
    pub(crate) krate: TokenStream,
    pub(crate) app: App,
    pub(crate) model: String,
    /// The model permission when overridden.
    pub(crate) permission: Option<String>,
    pub(crate) url_prefix: Option<String>,
    pub(crate) pk: &'a Field<'a>,
    /// The `SeaORM` entity to derive `FindByPk` through, if it is derived.
    pub(crate) entity: Option<Entity>,
    pub(crate) fields: Vec<FieldPlan<'a>>,
    /// The `privates-admin` crate when widget methods are wanted.
    pub(crate) admin: Option<TokenStream>,
}

/// The `SeaORM` entity `FindByPk` is derived through.
pub(crate) enum Entity {
    /// `entity = ...`, or the sibling `Entity`.
    Path(TokenStream),
    /// The `remote` model's own: `<Model as ModelTrait>::Entity`.
    OfRemote,
}

/// The app label.
pub(crate) enum App {
    /// `app = "..."`.
    Given(String),
    /// The default: the crate's name, as `CARGO_CRATE_NAME`.
    CrateName,
}

/// One private field, checked.
pub(crate) struct FieldPlan<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    /// The name without `r#`: the route segment and `FieldSpec::name`.
    pub(crate) name: String,
    /// `PDF`.
    pub(crate) handle: Ident,
    /// `pdf_url`.
    pub(crate) url_fn: Ident,
    pub(crate) kind: Kind,
    pub(crate) optional: bool,
    pub(crate) permission: Option<String>,
    pub(crate) upload_to: UploadToPlan,
    pub(crate) no_download: bool,
    pub(crate) attachment: bool,
    pub(crate) filename: Option<String>,
    pub(crate) mimetype: Option<String>,
    pub(crate) max_size: Option<u64>,
    pub(crate) content_types: Vec<String>,
}

/// Where uploads go.
pub(crate) enum UploadToPlan {
    Root,
    Pattern(String),
    Function(Path),
}

/// The type the impls are for: the `remote` model, else the struct itself.
pub(crate) fn target(input: &Input<'_>) -> TokenStream {
    let ident = input.ident;
    input
        .attrs
        .remote
        .as_ref()
        .map_or_else(|| quote!(#ident), |remote| quote!(#remote))
}

/// The runtime crate's path: `crate = "..."` or `::privates`.
pub(crate) fn krate(input: &Input<'_>) -> TokenStream {
    input
        .attrs
        .krate
        .as_ref()
        .map_or_else(|| quote!(::privates), |path| quote!(#path))
}

/// The primary key field, as far as it can be told (no errors: for the fallback expansion).
pub(crate) fn guess_pk<'i, 'a>(input: &'i Input<'a>) -> Option<&'i Field<'a>> {
    let fields = input.fields();
    if let Some(pk) = &input.attrs.pk {
        return fields
            .iter()
            .find(|field| field.ident.unraw() == pk.unraw());
    }
    fields
        .iter()
        .find(|field| field.attrs.as_ref().is_some_and(|attrs| attrs.pk_hint))
        .or_else(|| fields.iter().find(|field| field.primary_key.is_some()))
        .or_else(|| fields.iter().find(|field| field.ident == "id"))
}

/// Whether `FindByPk` is derived.
pub(crate) fn derives_find(input: &Input<'_>) -> bool {
    match input.attrs.find {
        Some((find, _)) => find == Find::SeaOrm,
        // A mirror stands for a model loco generated: a SeaORM model.
        None => input.sea_orm || input.attrs.entity.is_some() || input.attrs.remote.is_some(),
    }
}

/// The handle (`PDF`) and URL method (`pdf_url`) names of a field.
pub(crate) fn field_names(ident: &Ident) -> Option<(Ident, Ident)> {
    let name = ident.unraw().to_string();
    let handle = syn::parse_str::<Ident>(&name.to_uppercase()).ok()?;
    let url_fn = syn::parse_str::<Ident>(&format!("{name}_url")).ok()?;
    Some((
        Ident::new(&handle.to_string(), ident.span()),
        Ident::new(&url_fn.to_string(), ident.span()),
    ))
}

/// Checks `input`; `None` when something is wrong (and recorded in `errors`).
pub(crate) fn check<'a>(input: &'a Input<'a>, errors: &mut Errors) -> Option<Plan<'a>> {
    let fields = named_fields(input, errors)?;

    if !input.generics.params.is_empty() {
        errors.spanned(
            input.generics,
            format!(
                "`#[derive(PrivateMedia)]` does not support generic structs: a model's download \
                 routes are registered for one concrete type. Derive it on a struct without \
                 type or lifetime parameters, e.g. `struct {} {{ ... }}`",
                input.ident
            ),
        );
    }

    let krate = krate(input);
    let app = match &input.attrs.app {
        Some(lit) => {
            check_label(&lit.value(), lit.span(), "app", "an app label", errors);
            App::Given(lit.value())
        }
        None => {
            check_crate_label(input, errors);
            App::CrateName
        }
    };
    let model = model_label(input, errors);
    let app_label = match &app {
        App::Given(app) => Some(app.as_str()),
        App::CrateName => None,
    };
    let permission = input.attrs.permission.as_ref().map(|lit| {
        check_permission(lit, app_label, errors);
        lit.value()
    });
    let url_prefix = input.attrs.url_prefix.as_ref().map(|lit| {
        check_url_prefix(lit, errors);
        lit.value()
    });

    let pk = resolve_pk(input, fields, errors);
    let entity = resolve_find(input, pk, fields, errors);
    let plans = check_fields(input, app_label, errors);

    let pk = pk?;
    errors.is_empty().then_some(Plan {
        ident: input.ident,
        target: target(input),
        mirrored: if input.attrs.remote.is_some() {
            fields.iter().collect()
        } else {
            Vec::new()
        },
        vis: input.vis,
        krate,
        app,
        model,
        permission,
        url_prefix,
        pk,
        entity,
        fields: plans,
        admin: input.attrs.admin.as_ref().map(|path| quote!(#path)),
    })
}

/// The named fields, or an error for any other shape.
fn named_fields<'i, 'a>(input: &'i Input<'a>, errors: &mut Errors) -> Option<&'i [Field<'a>]> {
    match &input.shape {
        Shape::Named(fields) => Some(fields),
        Shape::Tuple(span) => {
            errors.at(
                *span,
                format!(
                    "`#[derive(PrivateMedia)]` needs named fields, and `{}` is a tuple struct: \
                     name them, e.g. `struct {} {{ id: i32, pdf: String }}`",
                    input.ident, input.ident
                ),
            );
            None
        }
        Shape::Unit(span) => {
            errors.at(
                *span,
                format!(
                    "`#[derive(PrivateMedia)]` needs a struct with named fields (a primary key \
                     and at least one private field), and `{}` is a unit struct",
                    input.ident
                ),
            );
            None
        }
        Shape::Enum(span) | Shape::Union(span) => {
            let what = if matches!(input.shape, Shape::Enum(_)) {
                "an enum"
            } else {
                "a union"
            };
            errors.at(
                *span,
                format!(
                    "`#[derive(PrivateMedia)]` works on a struct with named fields (a model row), \
                     and `{}` is {what}",
                    input.ident
                ),
            );
            None
        }
    }
}

/// Checks every private field, and the set of them.
fn check_fields<'a>(
    input: &'a Input<'a>,
    app: Option<&str>,
    errors: &mut Errors,
) -> Vec<FieldPlan<'a>> {
    let mut plans = Vec::new();
    for (field, attrs) in input.private_fields() {
        if let Some(plan) = check_field(field, attrs, app, errors) {
            plans.push(plan);
        }
    }
    if input.private_fields().next().is_none() {
        errors.at(
            input.ident.span(),
            format!(
                "`{}` has no private field: mark the field that holds the stored name with \
                 `#[private_media(file)]` or `#[private_media(image)]` (its type is `String` or \
                 `Option<String>`)",
                input.ident
            ),
        );
    }
    for (index, plan) in plans.iter().enumerate() {
        if let Some(other) = plans[..index]
            .iter()
            .find(|other| other.handle == plan.handle)
        {
            errors.at(
                plan.ident.span(),
                format!(
                    "the handle of field `{}` would be `{}::{}`, which field `{}` already has: \
                     rename one of them",
                    plan.name, input.ident, plan.handle, other.name
                ),
            );
        }
    }
    plans
}

/// `model = "..."`, the table name, or the lower-case struct name.
fn model_label(input: &Input<'_>, errors: &mut Errors) -> String {
    if let Some(lit) = &input.attrs.model {
        check_label(&lit.value(), lit.span(), "model", "a model label", errors);
        return lit.value();
    }
    if let Some(remote) = &input.attrs.remote {
        return remote_model_label(remote, errors);
    }
    if let Some(lit) = &input.table_name {
        let value = lit.value();
        if !is_label(&value) {
            errors.at(
                lit.span(),
                format!(
                    "the model label defaults to the table name, and `{value}` is not a label \
                     (lower-case letters, digits and `_`): name it with \
                     `#[private_media(model = \"{}\")]`",
                    to_label(&value).unwrap_or_else(|| "iddocument".to_owned())
                ),
            );
        }
        return value;
    }
    let value = input.ident.unraw().to_string().to_lowercase();
    if !is_label(&value) {
        errors.at(
            input.ident.span(),
            format!(
                "the model label defaults to the lower-case struct name, and `{value}` is not a \
                 label (lower-case ASCII letters, digits and `_`): name it with \
                 `#[private_media(model = \"{}\")]`",
                to_label(&value).unwrap_or_else(|| "iddocument".to_owned())
            ),
        );
    }
    value
}

/// The model label of a mirror: the module the remote model is in (loco names an entity's
/// module after its table, as the label of a derive on the entity defaults to the table name),
/// so moving the attributes from the entity to a mirror keeps every URL and permission.
fn remote_model_label(remote: &Path, errors: &mut Errors) -> String {
    let segments: Vec<&Ident> = remote
        .segments
        .iter()
        .map(|segment| &segment.ident)
        .collect();
    let module = match segments.as_slice() {
        [.., module, _] if *module != "super" && *module != "crate" && *module != "self" => {
            module.unraw().to_string()
        }
        _ => {
            errors.spanned(
                remote,
                "the model label defaults to the module of the `remote` model (`invoices` in \
                 `super::_entities::invoices::Model`), and this path names none: write the \
                 path through its module, or name the label with \
                 `#[private_media(model = \"invoices\")]`",
            );
            return String::new();
        }
    };
    if !is_label(&module) {
        errors.spanned(
            remote,
            format!(
                "the model label defaults to the module of the `remote` model, and `{module}` \
                 is not a label (lower-case ASCII letters, digits and `_`): name it with \
                 `#[private_media(model = \"{}\")]`",
                to_label(&module).unwrap_or_else(|| "invoices".to_owned())
            ),
        );
    }
    module
}

/// The default app label, the crate's name, must be a label too (a package named `MyApp`
/// has the crate name `MyApp`). Cargo gives the derive the name of the crate it expands in.
fn check_crate_label(input: &Input<'_>, errors: &mut Errors) {
    if let Some(problem) = std::env::var("CARGO_CRATE_NAME")
        .ok()
        .and_then(|name| crate_label_problem(&name))
    {
        errors.at(input.ident.span(), problem);
    }
}

/// What is wrong with the crate name `name` as the default app label, with the fix.
fn crate_label_problem(name: &str) -> Option<String> {
    (!is_label(name)).then(|| {
        format!(
            "the app label defaults to the crate's name, and `{name}` is not a label (lower-case \
             ASCII letters, digits and `_`), as an explicit `app` must be: name it with \
             `#[private_media(app = \"{}\")]`",
            to_label(name).unwrap_or_else(|| "docs".to_owned())
        )
    })
}

/// The primary key field.
fn resolve_pk<'i, 'a>(
    input: &'i Input<'a>,
    fields: &'i [Field<'a>],
    errors: &mut Errors,
) -> Option<&'i Field<'a>> {
    if let Some(pk) = &input.attrs.pk {
        let found = fields
            .iter()
            .find(|field| field.ident.unraw() == pk.unraw());
        if found.is_none() {
            let names: Vec<String> = fields.iter().map(|f| f.ident.unraw().to_string()).collect();
            let hint =
                suggest::did_you_mean(&pk.unraw().to_string(), names.iter().map(String::as_str));
            errors.at(
                pk.span(),
                format!("`pk = {pk}` names no field of `{}`{hint}", input.ident),
            );
        }
        return found;
    }
    // `pk` written on a field (already reported): that field.
    if let Some(hinted) = fields
        .iter()
        .find(|field| field.attrs.as_ref().is_some_and(|attrs| attrs.pk_hint))
    {
        return Some(hinted);
    }
    let marked: Vec<&Field<'a>> = fields.iter().filter(|f| f.primary_key.is_some()).collect();
    match marked.as_slice() {
        [] => {}
        [one] => return Some(one),
        [first, rest @ ..] => {
            let names: Vec<String> = marked.iter().map(|f| format!("`{}`", f.ident)).collect();
            for other in rest {
                errors.at(
                    other.primary_key.unwrap_or_else(|| other.ident.span()),
                    format!(
                        "`{}` has a composite primary key ({}), and a download route carries \
                         one key: `#[derive(PrivateMedia)]` supports single-column keys. Route \
                         by one unique field instead with `#[private_media(pk = {}, find = \
                         none)]` and a hand-written `impl FindByPk`",
                        input.ident,
                        names.join(", "),
                        first.ident
                    ),
                );
            }
            return None;
        }
    }
    if let Some(id) = fields.iter().find(|field| field.ident == "id") {
        return Some(id);
    }
    if let Some(remote) = &input.attrs.remote {
        errors.at(
            input.ident.span(),
            format!(
                "`{}` mirrors `{}` and names no primary key, which download URLs need: list the \
                 key among the mirrored fields with its type (`id: i32`), and name it with \
                 `#[private_media(pk = your_field)]` unless it is called `id`",
                input.ident,
                quote!(#remote).to_string().replace(' ', "")
            ),
        );
        return None;
    }
    errors.at(
        input.ident.span(),
        format!(
            "`{}` has no evident primary key, which download URLs need: mark it with \
             `#[sea_orm(primary_key)]`, name the field `id`, or name it with \
             `#[private_media(pk = your_field)]`",
            input.ident
        ),
    );
    None
}

/// The entity path `FindByPk` is derived through, or `None` when it is not derived.
fn resolve_find(
    input: &Input<'_>,
    pk: Option<&Field<'_>>,
    fields: &[Field<'_>],
    errors: &mut Errors,
) -> Option<Entity> {
    if let (Some((Find::None, _)), Some(entity)) = (input.attrs.find, &input.attrs.entity) {
        errors.spanned(
            entity,
            "`entity` names the SeaORM entity `FindByPk` is derived through, but `find = none` \
             turns that derive off: remove one of them",
        );
    }
    if !derives_find(input) {
        return None;
    }
    // With SeaORM, `find_by_id` looks up the SeaORM primary key: `pk` must be that key.
    if let (Some(explicit), Some(pk)) = (&input.attrs.pk, pk)
        && let Some(sea_pk) = fields.iter().find(|f| f.primary_key.is_some())
        && sea_pk.ident != pk.ident
    {
        errors.at(
            explicit.span(),
            format!(
                "`pk = {explicit}` differs from the SeaORM primary key `{}`, which the derived \
                 `FindByPk` looks up with `Entity::find_by_id`: remove `pk`, or add \
                 `find = none` and implement `FindByPk` by hand",
                sea_pk.ident
            ),
        );
    }
    if let Some(path) = &input.attrs.entity {
        return Some(Entity::Path(quote!(#path)));
    }
    if input.attrs.remote.is_some() {
        return Some(Entity::OfRemote);
    }
    // The sibling `Entity`, spanned at `find = sea_orm` when that is written: an `Entity` that
    // is not in scope is then reported at the key that asked for it.
    let span = match input.attrs.find {
        Some((Find::SeaOrm, span)) => span,
        _ => Span::call_site(),
    };
    let entity = Ident::new("Entity", span);
    Some(Entity::Path(quote!(#entity)))
}

/// Checks one private field.
fn check_field<'a>(
    field: &Field<'a>,
    attrs: &FieldAttrs,
    app: Option<&str>,
    errors: &mut Errors,
) -> Option<FieldPlan<'a>> {
    let name = field.ident.unraw().to_string();
    let optional = stored_name_type(field.ty);
    let kind = attrs.kind.map(|(kind, _)| kind);
    // An attribute with only misplaced or unknown keys (reported) may not mean the field to be
    // private at all: its type is not judged.
    if optional.is_none() && !(attrs.malformed && kind.is_none()) {
        errors.spanned(
            field.ty,
            format!(
                "a private field holds the stored name of its file, so its type must be \
                 `String` or `Option<String>` (the latter when the field may be empty), but \
                 `{name}` is `{}`",
                type_text(field.ty)
            ),
        );
    }
    if kind.is_none() && !attrs.malformed {
        errors.at(
            attrs.span,
            format!(
                "say what `{name}` holds: `#[private_media(file)]` for any file, or \
                 `#[private_media(image)]` for a picture (uploads are checked to be real images)"
            ),
        );
    }
    let upload_to = match &attrs.upload_to {
        None => UploadToPlan::Root,
        Some(UploadToAttr::Function(path)) => UploadToPlan::Function(path.clone()),
        Some(UploadToAttr::Pattern(lit)) => {
            check_upload_to(lit, errors);
            UploadToPlan::Pattern(lit.value())
        }
    };
    let permission = attrs.permission.as_ref().map(|lit| {
        check_permission(lit, app, errors);
        lit.value()
    });
    check_view_options(attrs, &name, errors);
    let max_size = attrs
        .max_size
        .as_ref()
        .and_then(|max_size| max_size_bytes(max_size, errors));
    let content_types = attrs
        .content_types
        .as_ref()
        .map(|list| check_content_types(list, kind, &name, errors))
        .unwrap_or_default();
    let Some((handle, url_fn)) = field_names(field.ident) else {
        errors.at(
            field.ident.span(),
            format!("cannot derive a handle name from `{name}`: rename the field"),
        );
        return None;
    };
    Some(FieldPlan {
        ident: field.ident,
        ty: field.ty,
        name,
        handle,
        url_fn,
        kind: kind?,
        optional: optional?,
        permission,
        upload_to,
        no_download: attrs.no_download.is_some(),
        attachment: attrs.attachment.is_some(),
        filename: attrs.filename.as_ref().map(LitStr::value),
        mimetype: attrs.mimetype.as_ref().map(LitStr::value),
        max_size,
        content_types,
    })
}

/// `attachment`, `filename`, `mimetype`, and their clash with `no_download`.
fn check_view_options(attrs: &FieldAttrs, name: &str, errors: &mut Errors) {
    if attrs.no_download.is_some() {
        let options = [
            ("attachment", attrs.attachment),
            ("filename", attrs.filename.as_ref().map(LitStr::span)),
            ("mimetype", attrs.mimetype.as_ref().map(LitStr::span)),
        ];
        for (key, span) in options {
            if let Some(span) = span {
                errors.at(
                    span,
                    format!(
                        "`{key}` has no effect on `{name}`: it is `no_download`, so it has no \
                         download route to answer with. Remove `{key}`, or remove `no_download`"
                    ),
                );
            }
        }
    }
    if let Some(lit) = &attrs.filename {
        check_filename(lit, errors);
    }
    if let Some(lit) = &attrs.mimetype {
        check_mimetype(lit, errors);
    }
}

/// `max_size` in bytes. A number's suffix is its unit (`10MiB`, `1.5GiB`), read by the rules of
/// the string form: never dropped.
fn max_size_bytes(max_size: &MaxSizeAttr, errors: &mut Errors) -> Option<u64> {
    let (text, span) = match max_size {
        MaxSizeAttr::Text(lit) => (lit.value(), lit.span()),
        MaxSizeAttr::Number(Lit::Int(lit)) if lit.suffix().is_empty() => {
            return match lit.base10_parse::<u64>() {
                Ok(0) => {
                    errors.at(
                        lit.span(),
                        "a `max_size` of zero would refuse every upload: give a positive size, \
                         or remove `max_size` to accept any size",
                    );
                    None
                }
                Ok(bytes) => Some(bytes),
                Err(error) => {
                    errors.at(
                        lit.span(),
                        format!("`max_size` in bytes must fit a u64: {error}"),
                    );
                    None
                }
            };
        }
        MaxSizeAttr::Number(lit) => {
            let (digits, suffix) = match lit {
                Lit::Int(lit) => (lit.base10_digits(), lit.suffix()),
                Lit::Float(lit) => (lit.base10_digits(), lit.suffix()),
                _ => ("", ""),
            };
            if let Some(problem) = number_suffix_problem(digits, suffix) {
                errors.at(lit.span(), problem);
                return None;
            }
            (format!("{digits}{suffix}"), lit.span())
        }
    };
    match size::parse(&text) {
        Ok(bytes) => Some(bytes),
        Err(message) => {
            errors.at(span, message);
            None
        }
    }
}

/// A Rust type suffix on a `max_size` number (`10u64`, `1.5f32`): not a unit.
fn number_suffix_problem(digits: &str, suffix: &str) -> Option<String> {
    const TYPES: &[&str] = &[
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
        "f16", "f32", "f64", "f128",
    ];
    TYPES.contains(&suffix).then(|| {
        format!(
            "the suffix of a `max_size` number is its unit ({}), and `{suffix}` is a Rust type: \
             write `max_size = {digits}` for {digits} bytes, or a unit such as \
             `max_size = {digits}MiB`",
            size::UNIT_NAMES
        )
    })
}

/// `Some(false)` for `String`, `Some(true)` for `Option<String>`, `None` otherwise.
pub(crate) fn stored_name_type(ty: &Type) -> Option<bool> {
    if let Some(Segment::Bare) = last_segment(ty, STRING, "String") {
        return Some(false);
    }
    let Some(Segment::Args(args)) = last_segment(ty, OPTION, "Option") else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    let (Some(inner), None) = (types.next(), types.next()) else {
        return None;
    };
    matches!(last_segment(inner, STRING, "String"), Some(Segment::Bare)).then_some(true)
}

/// The paths `String` and `Option` may be spelled with.
const STRING: &[&[&str]] = &[&["std", "string"], &["alloc", "string"]];
const OPTION: &[&[&str]] = &[&["std", "option"], &["core", "option"]];

/// The last segment of a type path: without or with generic arguments.
enum Segment<'t> {
    Bare,
    Args(&'t syn::AngleBracketedGenericArguments),
}

/// When `ty` is `name` or `prefix::name` for one of the `prefixes` (with or without a leading
/// `::`): its last segment.
fn last_segment<'t>(ty: &'t Type, prefixes: &[&[&str]], name: &str) -> Option<Segment<'t>> {
    let ty = match ty {
        Type::Group(group) => &*group.elem,
        Type::Paren(paren) => &*paren.elem,
        ty => ty,
    };
    let Type::Path(path) = ty else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let segments: Vec<_> = path.path.segments.iter().collect();
    let (last, leading) = segments.split_last()?;
    if last.ident != name {
        return None;
    }
    let leading: Vec<String> = leading.iter().map(|s| s.ident.to_string()).collect();
    let prefix_ok = leading.is_empty() && path.path.leading_colon.is_none()
        || prefixes.iter().any(|prefix| {
            prefix.len() == leading.len() && prefix.iter().zip(&leading).all(|(a, b)| a == b)
        });
    if !prefix_ok
        || leading
            .iter()
            .zip(segments.iter())
            .any(|(_, s)| !s.arguments.is_none())
    {
        return None;
    }
    match &last.arguments {
        PathArguments::None => Some(Segment::Bare),
        PathArguments::AngleBracketed(args) => Some(Segment::Args(args)),
        PathArguments::Parenthesized(_) => None,
    }
}

/// A type as the user would write it.
fn type_text(ty: &Type) -> String {
    quote!(#ty)
        .to_string()
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("& ", "&")
        .replace("[ ", "[")
        .replace(" ]", "]")
        .replace(" ;", ";")
}

fn check_label(value: &str, span: Span, key: &str, what: &str, errors: &mut Errors) {
    if !is_label(value) {
        let fix = to_label(value).unwrap_or_else(|| "docs".to_owned());
        errors.at(
            span,
            format!(
                "`{value}` is not {what}: it goes into permission names and URLs, so use \
                 lower-case ASCII letters, digits and `_`, e.g. `{key} = \"{fix}\"`"
            ),
        );
    }
}

/// `permission = "app_label.codename"`; the fix keeps what can be kept of the given name.
fn check_permission(lit: &LitStr, app: Option<&str>, errors: &mut Errors) {
    let value = lit.value();
    if is_permission(&value) {
        return;
    }
    let fix = match value.split_once('.') {
        Some((first, rest)) => to_label(first).zip(to_label(rest)),
        None => to_label(&value).map(|codename| (app.unwrap_or("docs").to_owned(), codename)),
    }
    .map(|(app, codename)| format!("{app}.{codename}"))
    .filter(|fix| is_permission(fix))
    .unwrap_or_else(|| "docs.view_scans".to_owned());
    errors.at(
        lit.span(),
        format!(
            "`{value}` is not a permission name: write `app_label.codename`, each part in \
             lower-case ASCII letters, digits and `_`, e.g. `permission = \"{fix}\"`"
        ),
    );
}

/// What is wrong with a `url_prefix`, if anything.
fn url_prefix_problem(value: &str) -> Option<String> {
    if value.is_empty() {
        None
    } else if !value.starts_with('/') {
        Some("it must start with `/`".to_owned())
    } else if value.ends_with('/') {
        Some("it must not end with `/` (the routes add their own)".to_owned())
    } else if value
        .split('/')
        .skip(1)
        .any(|segment| segment.is_empty() || segment == "." || segment == "..")
    {
        Some("it has an empty, `.` or `..` segment".to_owned())
    } else {
        value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '~')))
            .map(|bad| {
                format!(
                    "`{bad}` is not allowed: use ASCII letters, digits, `-`, `_`, `.`, `~` and `/`"
                )
            })
    }
}

fn check_url_prefix(lit: &LitStr, errors: &mut Errors) {
    let value = lit.value();
    let Some(problem) = url_prefix_problem(&value) else {
        return;
    };
    // The same folders, each once, between single slashes; `""` is the root. Suggested only
    // when it is valid and not the refused value itself.
    let segments: Vec<&str> = value
        .split('/')
        .filter(|segment| !segment.is_empty() && *segment != ".")
        .collect();
    let fixed = if segments.is_empty() {
        String::new()
    } else {
        format!("/{}", segments.join("/"))
    };
    let fix = if fixed != value && url_prefix_problem(&fixed).is_none() {
        if fixed.is_empty() {
            ": for routes at the root, write `url_prefix = \"\"`".to_owned()
        } else {
            format!(": `url_prefix = \"{fixed}\"`")
        }
    } else {
        String::new()
    };
    errors.at(
        lit.span(),
        format!("`{value}` is not a URL prefix: {problem}{fix}"),
    );
}

fn check_upload_to(lit: &LitStr, errors: &mut Errors) {
    if let Some(problem) = upload_to::problem(&lit.value()) {
        errors.at(lit.span(), problem);
    }
}

fn check_filename(lit: &LitStr, errors: &mut Errors) {
    let value = lit.value();
    let problem = if value.is_empty() || value == "." || value == ".." {
        Some(format!("`filename = {value:?}` is not a file name"))
    } else if value.contains(['/', '\\']) {
        Some(format!(
            "`filename = \"{value}\"` contains a path separator: the browser is told a bare \
             name such as `\"invoice.pdf\"`"
        ))
    } else if value.chars().any(char::is_control) {
        Some(format!(
            "`filename = {value:?}` contains a control character"
        ))
    } else {
        None
    };
    if let Some(problem) = problem {
        errors.at(lit.span(), problem);
    }
}

/// RFC 9110 `token` characters.
fn is_token(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

/// `type/subtype` (and no parameters).
fn media_type_problem(value: &str, allow_wildcard: bool) -> Option<String> {
    let Some((kind, subtype)) = value.split_once('/') else {
        return Some("a media type is `type/subtype`, e.g. `application/pdf`".to_owned());
    };
    if kind == "*" {
        return Some("`*/*` accepts anything: remove `content_types` instead".to_owned());
    }
    if !is_token(kind) || kind.contains('*') {
        return Some(format!(
            "`{kind}` is not a media type's type (e.g. `image`, `application`)"
        ));
    }
    if subtype == "*" && allow_wildcard {
        return None;
    }
    if !is_token(subtype) || subtype.contains('*') {
        return Some(format!(
            "`{subtype}` is not a subtype{}",
            if allow_wildcard {
                " (`*` alone accepts any subtype)"
            } else {
                ""
            }
        ));
    }
    None
}

fn check_mimetype(lit: &LitStr, errors: &mut Errors) {
    let value = lit.value();
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    let mut problem = media_type_problem(essence, false);
    if problem.is_none() {
        for parameter in parts {
            let valid = parameter.split_once('=').is_some_and(|(name, value)| {
                is_token(name.trim()) && is_token(value.trim().trim_matches('"'))
            });
            if !valid {
                problem = Some(format!(
                    "`{}` is not a `name=value` parameter",
                    parameter.trim()
                ));
                break;
            }
        }
    }
    if let Some(problem) = problem {
        errors.at(
            lit.span(),
            format!("`mimetype = \"{value}\"` is not a media type: {problem}"),
        );
    }
}

fn check_content_types(
    list: &ContentTypesAttr,
    kind: Option<Kind>,
    name: &str,
    errors: &mut Errors,
) -> Vec<String> {
    if list.empty {
        errors.at(
            list.span,
            "`content_types = []` would refuse every upload: list the accepted types, e.g. \
             `[\"application/pdf\"]`, or remove `content_types` to accept any type",
        );
    }
    let mut seen: Vec<String> = Vec::new();
    for lit in &list.items {
        let value = lit.value();
        let problem = if value.trim().is_empty() {
            Some("an empty entry: remove it".to_owned())
        } else if value != value.trim() || value.contains(';') {
            // The fix is suggested only when it is itself accepted.
            let essence = value.split(';').next().unwrap_or_default().trim();
            let fix = essence.to_ascii_lowercase();
            let what = if value.contains(';') {
                "parameters are not matched against uploads"
            } else {
                "remove the spaces"
            };
            Some(media_type_problem(&fix, true).map_or_else(
                || format!("{what}: write `\"{fix}\"`"),
                |problem| format!("{what}, and {problem}"),
            ))
        } else if let Some(problem) = media_type_problem(&value, true) {
            Some(problem)
        } else if value != value.to_ascii_lowercase() {
            Some(format!(
                "write it in lower case: `\"{}\"`",
                value.to_ascii_lowercase()
            ))
        } else if seen.contains(&value) {
            Some("listed twice: remove one".to_owned())
        } else if kind == Some(Kind::Image) && !value.starts_with("image/") {
            Some(format!(
                "`{name}` is an `image` field, which accepts only `image/...` types: make it \
                 `file` to accept other uploads"
            ))
        } else {
            None
        };
        match problem {
            Some(problem) => errors.at(
                lit.span(),
                format!("`\"{value}\"` in `content_types`: {problem}"),
            ),
            None => seen.push(value),
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::{crate_label_problem, stored_name_type, type_text};

    #[test]
    fn the_crate_name_is_checked_as_an_app_label() {
        assert_eq!(crate_label_problem("my_app"), None);
        assert_eq!(crate_label_problem("trybuild000"), None);
        let problem = crate_label_problem("MyApp").unwrap_or_default();
        assert!(problem.contains("`MyApp` is not a label"), "{problem}");
        assert!(
            problem.contains("`#[private_media(app = \"myapp\")]`"),
            "{problem}"
        );
    }

    fn ty(text: &str) -> syn::Type {
        syn::parse_str(text).unwrap_or_else(|_| syn::parse_quote!(()))
    }

    #[test]
    fn stored_name_types() {
        assert_eq!(stored_name_type(&ty("String")), Some(false));
        assert_eq!(stored_name_type(&ty("std::string::String")), Some(false));
        assert_eq!(stored_name_type(&ty("::std::string::String")), Some(false));
        assert_eq!(stored_name_type(&ty("alloc::string::String")), Some(false));
        assert_eq!(stored_name_type(&ty("Option<String>")), Some(true));
        assert_eq!(
            stored_name_type(&ty("::core::option::Option<std::string::String>")),
            Some(true)
        );
        assert_eq!(stored_name_type(&ty("Option<i32>")), None);
        assert_eq!(stored_name_type(&ty("i32")), None);
        assert_eq!(stored_name_type(&ty("Vec<u8>")), None);
        assert_eq!(stored_name_type(&ty("&'static str")), None);
        assert_eq!(stored_name_type(&ty("my::String")), None);
        assert_eq!(stored_name_type(&ty("String<u8>")), None);
        assert_eq!(stored_name_type(&ty("Option<String, String>")), None);
    }

    #[test]
    fn type_texts() {
        assert_eq!(type_text(&ty("Vec<u8>")), "Vec<u8>");
        assert_eq!(
            type_text(&ty("Option<std::string::String>")),
            "Option<std::string::String>"
        );
        assert_eq!(type_text(&ty("&'static str")), "&'static str");
        assert_eq!(type_text(&ty("[u8; 4]")), "[u8; 4]");
    }
}
