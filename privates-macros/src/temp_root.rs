//! `#[temp_private_root]`: the decorator form of django-privates' `temp_private_root`.
//!
//! ```ignore
//! #[privates_testing::temp_private_root]
//! #[tokio::test]
//! async fn saves_beneath_the_root(root: TempPrivateRoot) { ... }
//! ```
//!
//! becomes a test without parameters whose body starts with
//! `let root = TempPrivateRoot::new().expect(..);` — the guard lives until the body ends, so
//! the folder is removed afterwards, also when the test panics.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{FnArg, ItemFn, LitStr, Path, spanned::Spanned};

/// Expands the attribute; errors become `compile_error!`s on the offending tokens.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(args, item) {
        Ok(tokens) => tokens,
        Err(err) => err.to_compile_error(),
    }
}

fn try_expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let krate = crate_path(args)?;
    let mut function: ItemFn = syn::parse2(item)?;
    let mut inputs = std::mem::take(&mut function.sig.inputs).into_iter();
    let (Some(input), None) = (inputs.next(), inputs.next()) else {
        return Err(syn::Error::new(
            function.sig.paren_token.span.join(),
            "`#[temp_private_root]` needs exactly one parameter to hold the guard: \
             `fn my_test(root: TempPrivateRoot)`",
        ));
    };
    let FnArg::Typed(typed) = input else {
        return Err(syn::Error::new(
            input.span(),
            "`#[temp_private_root]` goes on a free test function, not a method",
        ));
    };
    let pattern = &typed.pat;
    let ty = &typed.ty;
    let body = &function.block;
    let guard = quote_spanned! {ty.span()=>
        let #pattern: #ty =
            #krate::TempPrivateRoot::new()
                .expect("temp_private_root: cannot create a temporary private root");
    };
    function.block = syn::parse2(quote!({
        #guard
        #body
    }))?;
    Ok(quote!(#function))
}

/// `crate = "path"` names a renamed `privates-testing` dependency; the default is
/// `::privates_testing`.
fn crate_path(args: TokenStream) -> syn::Result<Path> {
    let mut krate: Path = syn::parse_quote!(::privates_testing);
    if args.is_empty() {
        return Ok(krate);
    }
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("crate") {
            let value: LitStr = meta.value()?.parse()?;
            krate = value.parse()?;
            Ok(())
        } else {
            Err(meta.error("unknown argument; the only one is `crate = \"path\"`"))
        }
    });
    syn::parse::Parser::parse2(parser, args)?;
    Ok(krate)
}
