//! A user crate that depends on privates as `my_privates`: the derive's generated code names the
//! runtime through `#[private_media(crate = "my_privates")]` alone.
#![deny(warnings)]

use loco_rs::app::AppContext;
use my_privates::{FindByPk, PrivateMedia};

/// An invoice whose PDF is private.
#[derive(Debug, Clone, PartialEq, Eq, PrivateMedia)]
#[private_media(crate = "my_privates", app = "billing")]
pub struct Invoice {
    /// The primary key.
    pub id: u32,
    /// The invoice PDF.
    #[private_media(file, attachment)]
    pub pdf: String,
}

#[async_trait::async_trait]
impl FindByPk for Invoice {
    async fn find_by_pk(_ctx: &AppContext, pk: &u32) -> loco_rs::Result<Option<Self>> {
        Ok(Some(Self {
            id: *pk,
            pdf: format!("invoices/{pk}.pdf"),
        }))
    }
}
