//! The derive's input as a small typed tree: the struct, its `#[private_media]` attributes, and
//! what `SeaORM`'s attributes say about it.

use proc_macro2::Span;
use syn::{
    Attribute, Data, DeriveInput, Fields, Generics, Ident, LitStr, Token, Type, Visibility,
    spanned::Spanned,
};

use crate::{
    attr::{self, FieldAttrs, StructAttrs},
    errors::Errors,
};

/// The struct the derive is applied to.
pub(crate) struct Input<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) vis: &'a Visibility,
    pub(crate) generics: &'a Generics,
    pub(crate) attrs: StructAttrs,
    /// Whether any `#[sea_orm(...)]` attribute is on the struct or a field.
    pub(crate) sea_orm: bool,
    /// `#[sea_orm(table_name = "...")]`.
    pub(crate) table_name: Option<LitStr>,
    pub(crate) shape: Shape<'a>,
}

/// What kind of item the derive is on; only `Named` is supported.
pub(crate) enum Shape<'a> {
    Named(Vec<Field<'a>>),
    Tuple(Span),
    Unit(Span),
    Enum(Span),
    Union(Span),
}

/// One named field.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    /// `None` when the field has no `#[private_media]`: it is not private.
    pub(crate) attrs: Option<FieldAttrs>,
    /// Where `#[sea_orm(primary_key)]` is, when the field has it.
    pub(crate) primary_key: Option<Span>,
}

impl<'a> Input<'a> {
    /// Reads `input`, recording malformed `#[private_media]` attributes.
    pub(crate) fn from_syn(input: &'a DeriveInput, errors: &mut Errors) -> Self {
        let attrs = attr::struct_attrs(&input.attrs, errors);
        let mut sea_orm = has_sea_orm(&input.attrs);
        let table_name = table_name(&input.attrs);
        let shape = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => Shape::Named(
                    named
                        .named
                        .iter()
                        .filter_map(|field| {
                            sea_orm |= has_sea_orm(&field.attrs);
                            let ident = field.ident.as_ref()?;
                            Some(Field {
                                ident,
                                ty: &field.ty,
                                attrs: attr::field_attrs(&field.attrs, ident, errors),
                                primary_key: primary_key(&field.attrs),
                            })
                        })
                        .collect(),
                ),
                Fields::Unnamed(unnamed) => Shape::Tuple(unnamed.paren_token.span.join()),
                Fields::Unit => Shape::Unit(
                    data.semi_token
                        .map_or_else(|| input.ident.span(), |semi: Token![;]| semi.span),
                ),
            },
            Data::Enum(data) => Shape::Enum(data.enum_token.span),
            Data::Union(data) => Shape::Union(data.union_token.span),
        };
        Self {
            ident: &input.ident,
            vis: &input.vis,
            generics: &input.generics,
            attrs,
            sea_orm,
            table_name,
            shape,
        }
    }

    /// The named fields (none for other shapes).
    pub(crate) fn fields(&self) -> &[Field<'a>] {
        match &self.shape {
            Shape::Named(fields) => fields,
            _ => &[],
        }
    }

    /// The private fields: those with `#[private_media]`.
    pub(crate) fn private_fields(&self) -> impl Iterator<Item = (&Field<'a>, &FieldAttrs)> {
        self.fields()
            .iter()
            .filter_map(|field| Some((field, field.attrs.as_ref()?)))
    }
}

fn has_sea_orm(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| attr.path().is_ident("sea_orm"))
}

/// `#[sea_orm(table_name = "...")]`. `SeaORM` reports its own malformed attributes, so anything
/// unreadable here is ignored.
fn table_name(attrs: &[Attribute]) -> Option<LitStr> {
    let mut found = None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("sea_orm")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("table_name")
                && meta.input.peek(Token![=])
                && let Ok(lit) = meta.value()?.parse::<LitStr>()
            {
                found = Some(lit);
                return Ok(());
            }
            attr::skip_value(&meta)
        });
    }
    found
}

/// The span of `primary_key` in `#[sea_orm(primary_key, ...)]`.
fn primary_key(attrs: &[Attribute]) -> Option<Span> {
    let mut found = None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("sea_orm")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("primary_key") {
                found = Some(meta.path.span());
            }
            attr::skip_value(&meta)
        });
    }
    found
}
