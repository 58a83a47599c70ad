//! Parses `#[private_media(...)]` attributes (with syn's `parse_nested_meta`) into typed values.
//!
//! Parsing only checks the shape of each key (a flag, a string, a list...); what the values mean
//! is checked by `validate`. Every mistake is recorded and parsing goes on, so one compile shows
//! them all.

use proc_macro2::{Span, TokenStream};
use syn::{
    Attribute, Expr, ExprLit, Ident, Lit, LitStr, Meta, Path, Token, meta::ParseNestedMeta,
    spanned::Spanned, token,
};

use crate::{errors::Errors, suggest};

/// The attribute's name.
pub(crate) const ATTR: &str = "private_media";

/// The keys of the struct attribute.
pub(crate) const STRUCT_KEYS: &[&str] = &[
    "app",
    "model",
    "permission",
    "pk",
    "crate",
    "url_prefix",
    "find",
    "entity",
    "admin",
    "remote",
];

/// The keys of a field attribute.
pub(crate) const FIELD_KEYS: &[&str] = &[
    "file",
    "image",
    "upload_to",
    "permission",
    "no_download",
    "attachment",
    "filename",
    "mimetype",
    "max_size",
    "content_types",
];

/// The values of `find`.
const FIND_VALUES: &[&str] = &["sea_orm", "none"];

/// `#[private_media(...)]` on the struct.
#[derive(Default)]
pub(crate) struct StructAttrs {
    pub(crate) app: Option<LitStr>,
    pub(crate) model: Option<LitStr>,
    pub(crate) permission: Option<LitStr>,
    pub(crate) pk: Option<Ident>,
    pub(crate) krate: Option<Path>,
    pub(crate) url_prefix: Option<LitStr>,
    pub(crate) find: Option<(Find, Span)>,
    pub(crate) entity: Option<Path>,
    /// `admin` (`::privates_admin`) or `admin = "path"`: generate widget methods.
    pub(crate) admin: Option<Path>,
    /// `remote = path::to::Model`: the struct is a mirror naming some fields of that model,
    /// which gets the impls (the model's own file is generated and rewritten by loco).
    pub(crate) remote: Option<Path>,
}

/// How the derive implements `FindByPk`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Find {
    /// Through `SeaORM`'s `Entity::find_by_id`.
    SeaOrm,
    /// Not at all: the user implements it.
    None,
}

/// `file` or `image`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Image,
}

impl Kind {
    pub(crate) const fn key(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Image => "image",
        }
    }
}

/// The value of `upload_to`.
pub(crate) enum UploadToAttr {
    /// `upload_to = "scans/%Y/"`.
    Pattern(LitStr),
    /// `upload_to = path::to::function`.
    Function(Path),
}

/// The value of `max_size`.
pub(crate) enum MaxSizeAttr {
    /// `max_size = "10 MiB"`.
    Text(LitStr),
    /// `max_size = 10_485_760`, or with a unit as the literal's suffix: `10MiB`, `1.5GiB`.
    Number(Lit),
}

/// `content_types = [...]`.
pub(crate) struct ContentTypesAttr {
    pub(crate) span: Span,
    pub(crate) items: Vec<LitStr>,
    /// Whether the list as written is empty (`[]`), not merely empty of accepted items.
    pub(crate) empty: bool,
}

/// `#[private_media(...)]` on a field (all such attributes of the field, merged).
pub(crate) struct FieldAttrs {
    /// Where the (first) attribute is, for errors about the field as a whole.
    pub(crate) span: Span,
    /// Whether an attribute was not of the `#[private_media(...)]` form, or held an unknown or
    /// misplaced key (already reported): what the field is meant to be is then unclear, and
    /// checks that would follow from it are skipped (one error per mistake).
    pub(crate) malformed: bool,
    /// `pk` was written on this field (reported): the field is taken as the primary key, so
    /// that the misplaced key is the only error.
    pub(crate) pk_hint: bool,
    pub(crate) kind: Option<(Kind, Span)>,
    pub(crate) upload_to: Option<UploadToAttr>,
    pub(crate) permission: Option<LitStr>,
    pub(crate) no_download: Option<Span>,
    pub(crate) attachment: Option<Span>,
    pub(crate) filename: Option<LitStr>,
    pub(crate) mimetype: Option<LitStr>,
    pub(crate) max_size: Option<MaxSizeAttr>,
    pub(crate) content_types: Option<ContentTypesAttr>,
}

/// Parses the struct's `#[private_media(...)]` attributes.
pub(crate) fn struct_attrs(attrs: &[Attribute], errors: &mut Errors) -> StructAttrs {
    let mut out = StructAttrs::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(ATTR)) {
        if !is_list(attr, "#[private_media(app = \"docs\")]", errors) {
            continue;
        }
        let result = attr.parse_nested_meta(|meta| {
            let key = key_of(&meta);
            let span = meta.path.span();
            match key.as_str() {
                "app" => {
                    let value = string(&meta, "app", "\"docs\"", errors)?;
                    set(&mut out.app, value, "app", span, errors);
                }
                "model" => {
                    let value = string(&meta, "model", "\"iddocument\"", errors)?;
                    set(&mut out.model, value, "model", span, errors);
                }
                "permission" => {
                    let value = string(&meta, "permission", "\"docs.view_scans\"", errors)?;
                    set(&mut out.permission, value, "permission", span, errors);
                }
                "url_prefix" => {
                    let value = string(&meta, "url_prefix", "\"/admin\"", errors)?;
                    set(&mut out.url_prefix, value, "url_prefix", span, errors);
                }
                "pk" => {
                    let value = ident(&meta, "pk", "id", errors)?;
                    set(&mut out.pk, value, "pk", span, errors);
                }
                "crate" => {
                    let value = path(&meta, "crate", "\"my_privates\"", errors)?;
                    set(&mut out.krate, value, "crate", span, errors);
                }
                "entity" => {
                    let value = path(&meta, "entity", "super::documents::Entity", errors)?;
                    set(&mut out.entity, value, "entity", span, errors);
                }
                "admin" => {
                    let value = if meta.input.peek(Token![=]) {
                        path(&meta, "admin", "\"my_admin\"", errors)?
                    } else {
                        flag(&meta, "admin", errors)?;
                        Some(syn::parse_quote!(::privates_admin))
                    };
                    set(&mut out.admin, value, "admin", span, errors);
                }
                "remote" => {
                    let value = path(&meta, "remote", "super::_entities::invoices::Model", errors)?;
                    set(&mut out.remote, value, "remote", span, errors);
                }
                "find" => {
                    let value = find(&meta, errors)?;
                    set(&mut out.find, value, "find", span, errors);
                }
                _ => unknown_key(&meta, &key, Place::Struct, errors)?,
            }
            Ok(())
        });
        errors.ok(result);
    }
    out
}

/// Parses a field's `#[private_media(...)]` attributes; `None` when it has none (the field is
/// not private).
pub(crate) fn field_attrs(
    attrs: &[Attribute],
    field: &Ident,
    errors: &mut Errors,
) -> Option<FieldAttrs> {
    let mut out: Option<FieldAttrs> = None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(ATTR)) {
        let out = out.get_or_insert_with(|| FieldAttrs {
            span: attr.path().span(),
            malformed: false,
            pk_hint: false,
            kind: None,
            upload_to: None,
            permission: None,
            no_download: None,
            attachment: None,
            filename: None,
            mimetype: None,
            max_size: None,
            content_types: None,
        });
        if !is_list(attr, "#[private_media(file)]", errors) {
            out.malformed = true;
            continue;
        }
        let result = attr.parse_nested_meta(|meta| {
            let key = key_of(&meta);
            let span = meta.path.span();
            match key.as_str() {
                "file" | "image" => {
                    flag(&meta, &key, errors)?;
                    let kind = if key == "file" {
                        Kind::File
                    } else {
                        Kind::Image
                    };
                    match out.kind {
                        None => out.kind = Some((kind, span)),
                        Some((previous, _)) if previous == kind => {
                            duplicate(&key, span, errors);
                        }
                        Some((previous, _)) => errors.at(
                            span,
                            format!(
                                "a private field is either `file` or `image`, not both: this \
                                 field is already `{}`; keep `image` for pictures (uploads are \
                                 checked to be real images), `file` for anything else",
                                previous.key()
                            ),
                        ),
                    }
                }
                "no_download" => {
                    flag(&meta, &key, errors)?;
                    set(
                        &mut out.no_download,
                        Some(span),
                        "no_download",
                        span,
                        errors,
                    );
                }
                "attachment" => {
                    flag(&meta, &key, errors)?;
                    set(&mut out.attachment, Some(span), "attachment", span, errors);
                }
                "upload_to" => {
                    let value = upload_to(&meta, errors)?;
                    set(&mut out.upload_to, value, "upload_to", span, errors);
                }
                "permission" => {
                    let value = string(&meta, "permission", "\"docs.view_scans\"", errors)?;
                    set(&mut out.permission, value, "permission", span, errors);
                }
                "filename" => {
                    let value = string(&meta, "filename", "\"invoice.pdf\"", errors)?;
                    set(&mut out.filename, value, "filename", span, errors);
                }
                "mimetype" => {
                    let value = string(&meta, "mimetype", "\"application/pdf\"", errors)?;
                    set(&mut out.mimetype, value, "mimetype", span, errors);
                }
                "max_size" => {
                    let value = max_size(&meta, errors)?;
                    set(&mut out.max_size, value, "max_size", span, errors);
                }
                "content_types" => {
                    let value = content_types(&meta, errors)?;
                    set(&mut out.content_types, value, "content_types", span, errors);
                }
                _ => {
                    // `pk` alone on a field means "this field is the key".
                    let bare = !meta.input.peek(Token![=]) && !meta.input.peek(token::Paren);
                    unknown_key(&meta, &key, Place::Field(field), errors)?;
                    out.malformed = true;
                    out.pk_hint |= key == "pk" && bare;
                }
            }
            Ok(())
        });
        errors.ok(result);
    }
    out
}

/// Whether `attr` is `#[private_media(...)]`; records an error for any other form.
fn is_list(attr: &Attribute, example: &str, errors: &mut Errors) -> bool {
    match &attr.meta {
        Meta::List(_) => true,
        Meta::Path(path) => {
            errors.at(
                path.span(),
                format!("`#[private_media]` needs its keys in parentheses, e.g. `{example}`"),
            );
            false
        }
        Meta::NameValue(name_value) => {
            errors.at(
                name_value.eq_token.span(),
                format!(
                    "`#[private_media = ...]` is not a form of this attribute: write its keys \
                     in parentheses, e.g. `{example}`"
                ),
            );
            false
        }
    }
}

/// Where an attribute is: the keys allowed differ.
#[derive(Clone, Copy)]
enum Place<'a> {
    Struct,
    /// On this field.
    Field(&'a Ident),
}

/// The key of `meta` as written (`a::b` for a path).
fn key_of(meta: &ParseNestedMeta<'_>) -> String {
    meta.path.get_ident().map_or_else(
        || {
            let path = &meta.path;
            quote::quote!(#path).to_string().replace(' ', "")
        },
        ToString::to_string,
    )
}

/// Records an unknown key (suggesting the closest known one) and skips its value. A key of the
/// other place is shown spelled for that place, with the value as written.
fn unknown_key(
    meta: &ParseNestedMeta<'_>,
    key: &str,
    place: Place<'_>,
    errors: &mut Errors,
) -> syn::Result<()> {
    let written = if meta.input.peek(Token![=]) {
        let expr = ungroup(meta.value()?.parse()?);
        Some(tidy(&quote::quote!(#expr).to_string()))
    } else {
        skip_value(meta)?;
        None
    };
    let (keys, other_keys, here, there) = match place {
        Place::Struct => (STRUCT_KEYS, FIELD_KEYS, "the struct", "a field"),
        Place::Field(_) => (FIELD_KEYS, STRUCT_KEYS, "a field", "the struct"),
    };
    let message = if other_keys.contains(&key) {
        match place {
            Place::Struct => format!(
                "`{key}` belongs on a field, not on the struct: e.g. \
                 `#[private_media({})] pub pdf: String`",
                field_key_example(key, written.as_deref())
            ),
            Place::Field(field) => format!(
                "`{key}` belongs on the struct, not on a field: write \
                 `#[private_media({})]` above the struct",
                struct_key_example(key, written.as_deref(), field)
            ),
        }
    } else {
        let hint = suggest::did_you_mean(key, keys.iter().copied());
        let hint = if hint.is_empty() {
            let elsewhere = suggest::closest(key, other_keys.iter().copied());
            elsewhere.map_or_else(String::new, |found| {
                format!("; did you mean `{found}` (a key of {there})?")
            })
        } else {
            hint
        };
        format!(
            "unknown key `{key}` on {here}{hint}\nthe keys of {here} are: {}",
            keys.join(", ")
        )
    };
    errors.at(meta.path.span(), message);
    Ok(())
}

/// Tokens as a user would write them (`super::x::Entity`, not `super :: x :: Entity`).
fn tidy(text: &str) -> String {
    text.replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" . ", ".")
        .replace("[ ", "[")
        .replace(" ]", "]")
        .replace(" ,", ",")
}

/// A field attribute that uses `key` (with its value as written, if any), for messages.
fn field_key_example(key: &str, written: Option<&str>) -> String {
    let value = match (key, written) {
        ("file" | "image", _) => return key.to_owned(),
        ("no_download" | "attachment", _) => return format!("file, {key}"),
        (_, Some(written)) => written,
        ("upload_to", None) => "\"scans/%Y/\"",
        ("permission", None) => "\"docs.view_scans\"",
        ("filename", None) => "\"invoice.pdf\"",
        ("mimetype", None) => "\"application/pdf\"",
        ("max_size", None) => "\"10 MiB\"",
        ("content_types", None) => "[\"application/pdf\"]",
        _ => "...",
    };
    format!("file, {key} = {value}")
}

/// The struct attribute that uses `key`, written on `field` (with its value as written, if
/// any), for messages: `pk` on a field is `pk = <that field>`.
fn struct_key_example(key: &str, written: Option<&str>, field: &Ident) -> String {
    let value = match (key, written) {
        (_, Some(written)) => written.to_owned(),
        ("pk", None) => field.to_string(),
        ("admin", None) => return key.to_owned(),
        ("app", None) => "\"docs\"".to_owned(),
        ("model", None) => "\"iddocument\"".to_owned(),
        ("url_prefix", None) => "\"/admin\"".to_owned(),
        ("find", None) => "none".to_owned(),
        ("entity", None) => "Entity".to_owned(),
        ("remote", None) => "super::_entities::invoices::Model".to_owned(),
        ("crate", None) => "\"my_privates\"".to_owned(),
        _ => "...".to_owned(),
    };
    format!("{key} = {value}")
}

/// Consumes whatever value follows a key (`= expr` or `(...)`).
pub(crate) fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        let _: Expr = meta.value()?.parse()?;
    } else if meta.input.peek(token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        let _: TokenStream = content.parse()?;
    }
    Ok(())
}

/// Records a duplicate key.
fn duplicate(key: &str, span: Span, errors: &mut Errors) {
    errors.at(
        span,
        format!("duplicate `{key}`: it is already given; keep one"),
    );
}

/// Stores a key's value unless the key was given before.
fn set<T>(slot: &mut Option<T>, value: Option<T>, key: &str, span: Span, errors: &mut Errors) {
    if slot.is_some() {
        duplicate(key, span, errors);
    } else if value.is_some() {
        *slot = value;
    }
}

/// A flag key (`file`, `attachment`): records an error if a value follows.
fn flag(meta: &ParseNestedMeta<'_>, key: &str, errors: &mut Errors) -> syn::Result<()> {
    if meta.input.peek(Token![=]) || meta.input.peek(token::Paren) {
        skip_value(meta)?;
        errors.at(
            meta.path.span(),
            format!("`{key}` is a flag and takes no value: write `{key}` alone"),
        );
    }
    Ok(())
}

/// The expression after `key =`; records an error (and returns `None`) when there is none.
fn value(
    meta: &ParseNestedMeta<'_>,
    key: &str,
    example: &str,
    errors: &mut Errors,
) -> syn::Result<Option<Expr>> {
    if meta.input.peek(Token![=]) {
        let expr = ungroup(meta.value()?.parse()?);
        if let Some(message) = suffix_problem(&expr, key) {
            errors.spanned(&expr, message);
            // The string without its suffix goes on to the key's own checks: a second mistake
            // in it is reported in the same compile.
            return Ok(without_suffix(&expr));
        }
        return Ok(Some(expr));
    }
    let message = if meta.input.peek(token::Paren) {
        skip_value(meta)?;
        format!("`{key}` takes a value after `=`: write `{key} = {example}`")
    } else {
        format!("`{key}` needs a value: write `{key} = {example}`")
    };
    errors.at(meta.path.span(), message);
    Ok(None)
}

/// Unwraps the invisible groups `macro_rules!` puts around substituted fragments.
fn ungroup(expr: Expr) -> Expr {
    match expr {
        Expr::Group(group) => ungroup(*group.expr),
        Expr::Paren(paren) => ungroup(*paren.expr),
        expr => expr,
    }
}

/// A string literal with a suffix (`"docs"x`, `b"x"y`): what was written, the suffix, and the
/// literal without it (for a string). Rust's lexer accepts a suffix on any literal inside an
/// attribute, and reading the value would drop it silently, so it is refused. Numbers are
/// judged by the keys that take them (`max_size` reads a suffix as a unit).
struct Suffixed {
    written: String,
    suffix: String,
    plain: Option<String>,
}

fn suffixed(expr: &Expr) -> Option<Suffixed> {
    let Expr::Lit(ExprLit { lit, .. }) = expr else {
        return None;
    };
    let (suffix, plain) = match lit {
        Lit::Str(lit) => (lit.suffix(), Some(format!("{:?}", lit.value()))),
        Lit::ByteStr(lit) => (lit.suffix(), None),
        Lit::CStr(lit) => (lit.suffix(), None),
        Lit::Byte(lit) => (lit.suffix(), None),
        Lit::Char(lit) => (lit.suffix(), None),
        _ => return None,
    };
    (!suffix.is_empty()).then(|| Suffixed {
        written: quote::ToTokens::to_token_stream(lit).to_string(),
        suffix: suffix.to_owned(),
        plain,
    })
}

/// A string literal without its suffix, as an expression; `None` for other literals.
fn without_suffix(expr: &Expr) -> Option<Expr> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(Expr::Lit(ExprLit {
            attrs: Vec::new(),
            lit: Lit::Str(LitStr::new(&lit.value(), lit.span())),
        })),
        _ => None,
    }
}

/// The message for a suffixed string literal given as `key = ...`.
fn suffix_problem(expr: &Expr, key: &str) -> Option<String> {
    let Suffixed {
        written,
        suffix,
        plain,
    } = suffixed(expr)?;
    let fix = plain.map_or_else(String::new, |plain| format!(": `{key} = {plain}`"));
    Some(format!(
        "`{key}` takes a plain string literal, and `{written}` ends with the suffix `{suffix}`, \
         which would be ignored; remove the suffix{fix}"
    ))
}

/// A string literal, or `None` when absent.
fn as_str(expr: &Expr) -> Option<&LitStr> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit),
        _ => None,
    }
}

/// What the user wrote, for messages.
fn shown(expr: &Expr) -> String {
    let text = quote::quote!(#expr).to_string();
    if text.chars().count() > 40 {
        "this".to_owned()
    } else {
        format!("`{text}`")
    }
}

/// `key = "string"`.
fn string(
    meta: &ParseNestedMeta<'_>,
    key: &str,
    example: &str,
    errors: &mut Errors,
) -> syn::Result<Option<LitStr>> {
    let Some(expr) = value(meta, key, example, errors)? else {
        return Ok(None);
    };
    if let Some(lit) = as_str(&expr) {
        return Ok(Some(lit.clone()));
    }
    let fix = match &expr {
        Expr::Path(path) if path.path.get_ident().is_some() => {
            format!("quote it: `{key} = \"{}\"`", quote::quote!(#path))
        }
        _ => format!("e.g. `{key} = {example}`"),
    };
    errors.spanned(
        &expr,
        format!(
            "`{key}` takes a string literal, found {}: {fix}",
            shown(&expr)
        ),
    );
    Ok(None)
}

/// `key = ident` or `key = "ident"`.
fn ident(
    meta: &ParseNestedMeta<'_>,
    key: &str,
    example: &str,
    errors: &mut Errors,
) -> syn::Result<Option<Ident>> {
    let Some(expr) = value(meta, key, example, errors)? else {
        return Ok(None);
    };
    match &expr {
        Expr::Path(path) if path.qself.is_none() => {
            if let Some(ident) = path.path.get_ident() {
                return Ok(Some(ident.clone()));
            }
        }
        _ => {
            if let Some(lit) = as_str(&expr)
                && let Ok(ident) = lit.parse::<Ident>()
            {
                return Ok(Some(ident));
            }
        }
    }
    errors.spanned(
        &expr,
        format!(
            "`{key}` takes the name of a field, found {}: e.g. `{key} = {example}`",
            shown(&expr)
        ),
    );
    Ok(None)
}

/// `key = path` or `key = "path"`.
fn path(
    meta: &ParseNestedMeta<'_>,
    key: &str,
    example: &str,
    errors: &mut Errors,
) -> syn::Result<Option<Path>> {
    let Some(expr) = value(meta, key, example, errors)? else {
        return Ok(None);
    };
    match &expr {
        Expr::Path(path) if path.qself.is_none() => return Ok(Some(path.path.clone())),
        _ => {
            if let Some(lit) = as_str(&expr) {
                if let Ok(path) = lit.parse::<Path>() {
                    return Ok(Some(path));
                }
                errors.at(
                    lit.span(),
                    format!(
                        "`{}` is not a Rust path: write `{key} = {example}`",
                        lit.value()
                    ),
                );
                return Ok(None);
            }
        }
    }
    errors.spanned(
        &expr,
        format!(
            "`{key}` takes a path, found {}: e.g. `{key} = {example}`",
            shown(&expr)
        ),
    );
    Ok(None)
}

/// `find = sea_orm | none`.
fn find(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<(Find, Span)>> {
    let Some(expr) = value(meta, "find", "sea_orm", errors)? else {
        return Ok(None);
    };
    let word = match &expr {
        Expr::Path(path) => path.path.get_ident().map(ToString::to_string),
        _ => as_str(&expr).map(LitStr::value),
    };
    match word.as_deref() {
        Some("sea_orm") => return Ok(Some((Find::SeaOrm, expr.span()))),
        Some("none") => return Ok(Some((Find::None, expr.span()))),
        Some(other) => {
            let hint = suggest::did_you_mean(other, FIND_VALUES.iter().copied());
            errors.spanned(
                &expr,
                format!(
                    "unknown `find = {other}`{hint}\n`find = sea_orm` derives `FindByPk` \
                     through SeaORM's `Entity::find_by_id`; `find = none` leaves it to a \
                     hand-written `impl FindByPk`"
                ),
            );
        }
        None => errors.spanned(
            &expr,
            "`find` takes `sea_orm` or `none`: e.g. `find = none`",
        ),
    }
    Ok(None)
}

/// `upload_to = "pattern"` or `upload_to = function`.
fn upload_to(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<UploadToAttr>> {
    let Some(expr) = value(meta, "upload_to", "\"scans/%Y/%m/\"", errors)? else {
        return Ok(None);
    };
    if let Some(lit) = as_str(&expr) {
        return Ok(Some(UploadToAttr::Pattern(lit.clone())));
    }
    if let Expr::Path(path) = &expr
        && path.qself.is_none()
    {
        return Ok(Some(UploadToAttr::Function(path.path.clone())));
    }
    errors.spanned(
        &expr,
        format!(
            "`upload_to` takes a strftime pattern such as `upload_to = \"scans/%Y/%m/\"` or the \
             path of a `fn(&str) -> String`, found {}",
            shown(&expr)
        ),
    );
    Ok(None)
}

/// `max_size = "10 MiB"` or `max_size = 10_485_760`.
fn max_size(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<MaxSizeAttr>> {
    let Some(expr) = value(meta, "max_size", "\"10 MiB\"", errors)? else {
        return Ok(None);
    };
    match &expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Ok(Some(MaxSizeAttr::Text(lit.clone()))),
        Expr::Lit(ExprLit {
            lit: lit @ (Lit::Int(_) | Lit::Float(_)),
            ..
        }) => Ok(Some(MaxSizeAttr::Number(lit.clone()))),
        _ => {
            errors.spanned(
                &expr,
                format!(
                    "`max_size` takes a size such as `max_size = \"10 MiB\"` ({}) or a number \
                     of bytes, found {}",
                    crate::size::UNIT_NAMES,
                    shown(&expr)
                ),
            );
            Ok(None)
        }
    }
}

/// `content_types = ["type/subtype", ...]`.
fn content_types(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<Option<ContentTypesAttr>> {
    let example = "[\"application/pdf\"]";
    let Some(expr) = value(meta, "content_types", example, errors)? else {
        return Ok(None);
    };
    let Expr::Array(array) = &expr else {
        let fix = as_str(&expr).map_or_else(
            || format!("e.g. `content_types = {example}`"),
            |lit| format!("write a list: `content_types = [\"{}\"]`", lit.value()),
        );
        errors.spanned(
            &expr,
            format!("`content_types` takes a list of string literals: {fix}"),
        );
        return Ok(None);
    };
    let mut items = Vec::new();
    for element in &array.elems {
        let element = ungroup(element.clone());
        if let Some(Suffixed {
            written,
            suffix,
            plain,
        }) = suffixed(&element)
        {
            let fix = plain.map_or_else(String::new, |plain| format!(": `{plain}`"));
            errors.spanned(
                &element,
                format!(
                    "`{written}` in `content_types` ends with the suffix `{suffix}`, which would \
                     be ignored; remove the suffix{fix}"
                ),
            );
            if let Some(Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            })) = without_suffix(&element)
            {
                items.push(lit);
            }
            continue;
        }
        match as_str(&element) {
            Some(lit) => items.push(lit.clone()),
            None => errors.spanned(
                &element,
                format!(
                    "`content_types` takes string literals such as `\"application/pdf\"`, found {}",
                    shown(&element)
                ),
            ),
        }
    }
    Ok(Some(ContentTypesAttr {
        span: array.bracket_token.span.join(),
        items,
        empty: array.elems.is_empty(),
    }))
}
