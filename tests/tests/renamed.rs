//! A crate that depends on privates only as `my_privates` (see `renamed/`): the derive's code,
//! built there with `crate = "my_privates"`, works.
#![allow(missing_docs)]

use privates::PrivateMedia;
use privates_tests_renamed::Invoice;

#[test]
fn renamed_dependency() {
    assert_eq!(Invoice::APP, "billing");
    assert_eq!(Invoice::MODEL, "invoice");
    assert_eq!(Invoice::PERMISSION, "billing.can_change_invoice");
    assert!(Invoice::PDF.spec.view.attachment);
    let invoice = Invoice {
        id: 9,
        pdf: "invoices/9.pdf".to_owned(),
    };
    assert_eq!(
        invoice.pdf_url().as_deref(),
        Some("/admin/billing/invoice/9/pdf/")
    );
    let routes = privates::routing::model_routes::<Invoice>();
    let uris: Vec<&str> = routes.handlers.iter().map(|h| h.uri.as_str()).collect();
    assert_eq!(
        uris,
        [
            "/admin/billing/invoice/{pk}/pdf/",
            "/admin/billing/invoice/{pk}/pdf/shared/",
            "/admin/billing/invoice/{pk}/{*rest}",
        ]
    );
}
