//! Turns a checked `Plan` into the generated items, or, after errors, into stubs that keep the
//! rest of the user's code compiling (one error per mistake, never a cascade).
//!
//! Everything generated is attached to the struct (trait impls and one inherent impl): nothing
//! has a fixed free-standing name, so `#[sea_orm::model]`, which applies the derives to both
//! `Model` and `ModelEx`, compiles. The runtime is named through `<crate>::__private_X_Y_Z`,
//! the hidden module of the one `privates` version this derive belongs to.
//!
//! Hygiene: every name the generated code uses is an absolute path (`::core::option::Option`,
//! `::core::primitive::str`, the runtime's module), and its bindings have names no user item
//! has, so a module that shadows `Option`, `Box`, `str` or declares `const ctx` still derives.
//! Lints: every generated item carries `#[automatically_derived]` and the `#[allow]`s of
//! [`allow_lints`], so the expansion never trips the user's lint levels.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::{
    ast::Input,
    attr::Kind,
    validate::{self, App, Entity, FieldPlan, Plan, UploadToPlan},
};

/// The runtime's hidden module for this version: `__private_0_1_0`. `privates` pins this crate
/// exactly, and a derive of another version names a module that does not exist, a loud error
/// instead of an odd one.
fn runtime(krate: &TokenStream) -> TokenStream {
    let module = Ident::new(
        &format!(
            "__private_{}",
            env!("CARGO_PKG_VERSION").replace(['.', '-', '+'], "_")
        ),
        Span::call_site(),
    );
    quote!(#krate::#module)
}

/// The name the generated code gives the runtime module inside its block.
fn runtime_alias() -> TokenStream {
    quote!(__privates_runtime)
}

/// Puts the generated items in an anonymous `const` block that imports the runtime once (as
/// serde does): a runtime of another version, or a wrong `crate = "..."`, is then one error
/// (the import), not one per generated path. Impls are global, so the items stay reachable.
fn in_block(krate: &TokenStream, items: &TokenStream) -> TokenStream {
    let runtime = runtime(krate);
    let alias = runtime_alias();
    quote! {
        const _: () = {
            use #runtime as #alias;
            #items
        };
    }
}

/// The lints generated code must not trip, whatever the user's levels: names derived from the
/// user's (`Pdf_url` from a `Pdf` column), helpers the user does not call, docs on stubs.
fn allow_lints() -> TokenStream {
    quote! {
        #[allow(
            non_snake_case,
            non_upper_case_globals,
            non_camel_case_types,
            dead_code,
            deprecated,
            missing_docs,
            unreachable_pub,
            unused_qualifications,
            unused_results,
            unused_variables,
            single_use_lifetimes,
            clippy::all,
            clippy::pedantic,
            clippy::nursery
        )]
    }
}

/// The signature of `FindByPk::find_by_pk` as `#[async_trait]` declares it, with every path
/// absolute (`async_trait`'s own output names `Box` unqualified).
fn find_by_pk_signature(p: &TokenStream) -> TokenStream {
    quote! {
        fn find_by_pk<'life0, 'life1, 'async_trait>(
            __privates_ctx: &'life0 #p::loco_rs::app::AppContext,
            __privates_pk: &'life1 <Self as #p::PrivateMedia>::Pk,
        ) -> ::core::pin::Pin<
            ::std::boxed::Box<
                dyn ::core::future::Future<
                        Output = #p::loco_rs::Result<::core::option::Option<Self>>,
                    > + ::core::marker::Send
                    + 'async_trait,
            >,
        >
        where
            'life0: 'async_trait,
            'life1: 'async_trait,
            Self: 'async_trait,
    }
}

/// The generated code of a valid derive.
pub(crate) fn expand(plan: &Plan<'_>) -> TokenStream {
    let Plan {
        target,
        krate,
        model,
        ..
    } = plan;
    let p = runtime_alias();
    let allow = allow_lints();

    let app = match &plan.app {
        App::Given(app) => quote!(#app),
        App::CrateName => quote!(::core::env!("CARGO_CRATE_NAME")),
    };
    let permission = match (&plan.permission, &plan.app) {
        (Some(permission), _) => quote!(#permission),
        (None, App::Given(app)) => {
            let permission = format!("{app}.can_change_{model}");
            quote!(#permission)
        }
        (None, App::CrateName) => {
            let suffix = format!(".can_change_{model}");
            quote!(::core::concat!(::core::env!("CARGO_CRATE_NAME"), #suffix))
        }
    };
    let url_prefix = plan
        .url_prefix
        .as_ref()
        .map(|prefix| quote!(const URL_PREFIX: &'static ::core::primitive::str = #prefix;));
    let pk_value = field_of(plan, "self", plan.pk.ident, plan.pk.ty);
    let pk_ty = plan.pk.ty;
    let pk_type = quote_spanned!(pk_ty.span()=> type Pk = #pk_ty;);
    let handles: Vec<_> = plan.fields.iter().map(|field| &field.handle).collect();

    let consts = plan.fields.iter().map(|field| field_const(plan, field, &p));
    let url_fns = plan.fields.iter().map(|field| url_fn(plan, field, &p));
    let widget_fns = plan
        .admin
        .as_ref()
        .map(|admin| {
            plan.fields
                .iter()
                .map(|field| widget_fn(plan, field, admin))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let find = plan
        .entity
        .as_ref()
        .map(|entity| find_by_pk(plan, entity, &p));
    let mirror = mirror_assertions(plan);

    let items = quote! {
        #[automatically_derived]
        #allow
        impl #p::PrivateMedia for #target {
            #pk_type
            const APP: &'static ::core::primitive::str = #app;
            const MODEL: &'static ::core::primitive::str = #model;
            const PERMISSION: &'static ::core::primitive::str = #permission;
            #url_prefix

            fn fields() -> &'static [#p::Field<Self>] {
                &[#(Self::#handles),*]
            }

            fn pk(&self) -> Self::Pk {
                ::core::clone::Clone::clone(#pk_value)
            }
        }

        #find

        #[automatically_derived]
        #allow
        impl #target {
            #(#consts)*
            #(#url_fns)*
            #(#widget_fns)*
        }

        #mirror
    };
    in_block(krate, &items)
}

/// `&object.field`. With `remote`, read as the mirror's type: a field the remote model lacks,
/// or has with another type, is one error spanned on the mirror's field (a column renamed or
/// retyped by `cargo loco db entities` is reported there, where it is fixed).
fn field_of(plan: &Plan<'_>, object: &str, ident: &Ident, ty: &syn::Type) -> TokenStream {
    if plan.mirrored.is_empty() {
        let object = Ident::new(object, Span::call_site());
        return quote!(&#object.#ident);
    }
    // Every token of the argument on the mirror's field, so the error is there (a token of
    // another span would move it to the derive).
    let object = Ident::new(object, ident.span());
    quote_spanned!(ident.span()=> __privates_mirrored::<#ty>(&#object.#ident))
}

/// With `remote`: the reader [`field_of`] calls, and the same check for the mirror's other
/// fields (those neither the key nor private). Its function also moves every field out of
/// the mirror and builds one, so the mirror, never used otherwise, is not dead code.
fn mirror_assertions(plan: &Plan<'_>) -> Option<TokenStream> {
    if plan.mirrored.is_empty() {
        return None;
    }
    let Plan { ident, target, .. } = plan;
    let allow = allow_lints();
    let used: Vec<&Ident> = std::iter::once(plan.pk.ident)
        .chain(plan.fields.iter().map(|field| field.ident))
        .collect();
    let checks = plan
        .mirrored
        .iter()
        .filter(|field| !used.contains(&field.ident))
        .map(|field| {
            let value = field_of(plan, "__privates_remote", field.ident, field.ty);
            quote!(let _ = #value;)
        });
    let fields: Vec<_> = plan.mirrored.iter().map(|field| field.ident).collect();
    Some(quote! {
        #allow
        fn __privates_mirrored<T: ?::core::marker::Sized>(field: &T) -> &T {
            field
        }
        #allow
        fn __privates_mirror(__privates_remote: &#target, __privates_mirror: #ident) -> #ident {
            #(#checks)*
            #ident { #(#fields: __privates_mirror.#fields),* }
        }
    })
}

/// `const PDF: Field<Self> = ...;`
fn field_const(plan: &Plan<'_>, field: &FieldPlan<'_>, p: &TokenStream) -> TokenStream {
    let FieldPlan {
        ident,
        name,
        handle,
        ..
    } = field;
    let vis = plan.vis;
    let mut spec = Vec::new();
    if field.kind == Kind::Image {
        spec.push(quote!(kind: #p::FieldKind::Image));
    }
    if field.optional {
        spec.push(quote!(optional: true));
    }
    if let Some(permission) = &field.permission {
        spec.push(quote!(permission: ::core::option::Option::Some(#permission)));
    }
    match &field.upload_to {
        UploadToPlan::Root => {}
        UploadToPlan::Pattern(pattern) => {
            spec.push(quote!(upload_to: #p::UploadTo::Pattern(#pattern)));
        }
        UploadToPlan::Function(path) => {
            let function = quote_spanned!(path.span()=> #p::UploadTo::Function(#path));
            spec.push(quote!(upload_to: #function));
        }
    }
    if field.no_download {
        spec.push(quote!(no_download: true));
    }
    let mut view = Vec::new();
    if field.attachment {
        view.push(quote!(attachment: true));
    }
    if let Some(filename) = &field.filename {
        view.push(quote!(filename: ::core::option::Option::Some(#filename)));
    }
    if let Some(mimetype) = &field.mimetype {
        view.push(quote!(mimetype: ::core::option::Option::Some(#mimetype)));
    }
    if !view.is_empty() {
        // `..INLINE` only when some option keeps its default (else clippy's `needless_update`).
        let rest = (view.len() < 3).then(|| quote!(..#p::ViewOptions::INLINE));
        spec.push(quote!(view: #p::ViewOptions { #(#view,)* #rest }));
    }
    if field.max_size.is_some() || !field.content_types.is_empty() {
        let max_size = field.max_size.map_or_else(
            || quote!(::core::option::Option::None),
            |bytes| quote!(::core::option::Option::Some(#bytes)),
        );
        let content_types = &field.content_types;
        spec.push(quote!(limits: #p::UploadLimits {
            max_size: #max_size,
            content_types: &[#(#content_types),*],
        }));
    }
    let value = field_of(plan, "__privates_object", ident, field.ty);
    let get = if field.optional {
        quote!(|__privates_object: &Self| ::core::option::Option::as_deref(#value))
    } else {
        quote!(|__privates_object: &Self| ::core::option::Option::Some(
            ::std::string::String::as_str(#value)
        ))
    };
    let doc = format!(
        " The private {} field `{name}`: a compile-time checked handle for \
         `PrivateMedia::fields`, the download view and the admin.",
        field.kind.key()
    );
    quote! {
        #[doc = #doc]
        #vis const #handle: #p::Field<Self> = #p::Field {
            spec: &#p::FieldSpec {
                #(#spec,)*
                ..#p::FieldSpec::file(#name)
            },
            get: #get,
        };
    }
}

/// `fn pdf_url(&self) -> Option<String>`.
fn url_fn(plan: &Plan<'_>, field: &FieldPlan<'_>, p: &TokenStream) -> TokenStream {
    let FieldPlan {
        name,
        handle,
        url_fn,
        ..
    } = field;
    let vis = plan.vis;
    let (doc, body) = if field.no_download {
        (
            format!(" Always `None`: `{name}` is `no_download`, it has no download route."),
            quote! {
                let _ = self;
                ::core::option::Option::None
            },
        )
    } else {
        (
            format!(
                " The download URL of this object's `{name}` file \
                 (`{{URL_PREFIX}}/{{app}}/{{model}}/{{pk}}/{name}/`), or `None` when the field \
                 is empty."
            ),
            quote! {
                ::core::option::Option::map(
                    #p::Field::stored_name(&Self::#handle, self),
                    |_| #p::download_url(self, &Self::#handle),
                )
            },
        )
    };
    quote! {
        #[doc = #doc]
        #[must_use]
        #vis fn #url_fn(&self) -> ::core::option::Option<::std::string::String> {
            #body
        }
    }
}

/// `fn pdf_widget(&self) -> privates_admin::FileWidget<'_>` (with `admin` on the struct).
fn widget_fn(plan: &Plan<'_>, field: &FieldPlan<'_>, admin: &TokenStream) -> TokenStream {
    let FieldPlan {
        ident,
        name,
        handle,
        ..
    } = field;
    let vis = plan.vis;
    let widget_fn = proc_macro2::Ident::new(&format!("{name}_widget"), ident.span());
    let doc = format!(
        " The admin widget of this object's `{name}` file, for an askama template: \
         `{{{{ doc.{name}_widget() }}}}` (already HTML-safe)."
    );
    quote! {
        #[doc = #doc]
        #[must_use]
        #vis fn #widget_fn(&self) -> #admin::FileWidget<'_> {
            #admin::FileWidget::new(Self::#handle, self)
        }
    }
}

/// `impl FindByPk` through `SeaORM`, without `#[async_trait]` (whose output is not hygienic):
/// the boxed future written out with absolute paths.
fn find_by_pk(plan: &Plan<'_>, entity: &Entity, p: &TokenStream) -> TokenStream {
    let ident = &plan.target;
    let entity = match entity {
        Entity::Path(path) => path.clone(),
        Entity::OfRemote => quote!(<#ident as #p::sea_orm::ModelTrait>::Entity),
    };
    let allow = allow_lints();
    let signature = find_by_pk_signature(p);
    quote! {
        #[automatically_derived]
        #allow
        impl #p::FindByPk for #ident {
            #signature
            {
                ::std::boxed::Box::pin(async move {
                    let __privates_found: #p::loco_rs::Result<::core::option::Option<Self>> = {
                        let __privates_model = #p::find_by_id::<#entity>(
                            __privates_ctx,
                            ::core::clone::Clone::clone(__privates_pk),
                        )
                        .await?;
                        // `Model` as is; `ModelEx` (from `#[sea_orm::model]`) through its
                        // `From<Model>`.
                        ::core::result::Result::Ok(::core::option::Option::map(
                            __privates_model,
                            ::core::convert::Into::into,
                        ))
                    };
                    __privates_found
                })
            }
        }
    }
}

/// Stubs after an error: the same items with inert bodies, so that code using them does not
/// add errors of its own (generic structs included: their parameters were refused, their stubs
/// carry them). The bounds the trait needs are behind a binder (`for<'__privates>`), so they
/// are checked where the stubs are used, never here.
pub(crate) fn fallback(input: &Input<'_>) -> TokenStream {
    let ident = validate::target(input);
    let vis = input.vis;
    let krate = validate::krate(input);
    let p = runtime_alias();
    let allow = allow_lints();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let user_bounds = where_clause.map(|clause| {
        let predicates = &clause.predicates;
        quote!(#predicates,)
    });
    let pk_ty = validate::guess_pk(input).map_or_else(
        || quote!(::std::string::String),
        |field| {
            let ty = field.ty;
            quote!(#ty)
        },
    );
    let bounds = quote! {
        where
            #user_bounds
            for<'__privates> Self: ::core::marker::Send + ::core::marker::Sync + 'static,
            for<'__privates> #pk_ty: ::core::str::FromStr
                + ::core::fmt::Display
                + ::core::marker::Send
                + ::core::marker::Sync
                + 'static,
    };
    let mut seen = Vec::new();
    let mut items = Vec::new();
    for (field, _) in input.private_fields() {
        let Some((handle, url_fn)) = validate::field_names(field.ident) else {
            continue;
        };
        if seen.contains(&handle) {
            continue;
        }
        let name = syn::ext::IdentExt::unraw(field.ident).to_string();
        items.push(quote! {
            #vis const #handle: #p::Field<Self> = #p::Field {
                spec: &#p::FieldSpec::file(#name),
                get: |_| ::core::option::Option::None,
            };
            #vis fn #url_fn(&self) -> ::core::option::Option<::std::string::String> {
                ::core::unreachable!()
            }
        });
        seen.push(handle);
    }
    let find = validate::derives_find(input).then(|| {
        let signature = find_by_pk_signature(&p);
        quote! {
            #[automatically_derived]
            #allow
            impl #impl_generics #p::FindByPk for #ident #ty_generics #bounds {
                #signature
                {
                    ::core::unreachable!()
                }
            }
        }
    });
    let stubs = quote! {
        #[automatically_derived]
        #allow
        impl #impl_generics #p::PrivateMedia for #ident #ty_generics #bounds {
            type Pk = #pk_ty;
            const APP: &'static ::core::primitive::str = "";
            const MODEL: &'static ::core::primitive::str = "";
            const PERMISSION: &'static ::core::primitive::str = "";

            fn fields() -> &'static [#p::Field<Self>] {
                &[]
            }

            fn pk(&self) -> Self::Pk {
                ::core::unreachable!()
            }
        }

        #find

        #[automatically_derived]
        #allow
        impl #impl_generics #ident #ty_generics #bounds {
            #(#items)*

        }
    };
    in_block(&krate, &stubs)
}
