//! Every key of the grammar, and what lands in the field table.
#![deny(warnings)]

use loco_rs::app::AppContext;
use privates::{FieldKind, FindByPk, PrivateMedia, UploadTo};

/// `upload_to` as a function of the (already valid) file name.
fn by_initial(name: &str) -> String {
    format!("{}/{name}", name.chars().next().unwrap_or('_'))
}

#[derive(Debug, PrivateMedia)]
#[private_media(
    app = "billing",
    model = "invoice_file",
    permission = "billing.view_invoice",
    pk = r#ref,
    url_prefix = "/staff/files",
    find = none,
    crate = "::privates"
)]
pub struct InvoiceFiles {
    pub r#ref: u64,
    #[private_media(file, upload_to = "invoices/%Y/%m/%d/", attachment, filename = "invoice.pdf")]
    #[private_media(mimetype = "application/pdf", max_size = "512 KB")]
    #[private_media(content_types = ["application/pdf", "application/x-pdf"])]
    pub pdf: String,
    #[private_media(image, upload_to = by_initial, permission = "billing.view_scan")]
    #[private_media(max_size = 1_048_576, content_types = ["image/*"])]
    pub scan: Option<String>,
    #[private_media(file, no_download, permission = "billing.audit")]
    pub r#type: Option<String>,
    pub note: String,
}

#[async_trait::async_trait]
impl FindByPk for InvoiceFiles {
    async fn find_by_pk(_: &AppContext, _: &u64) -> loco_rs::Result<Option<Self>> {
        Ok(None)
    }
}

fn main() {
    assert_eq!(InvoiceFiles::APP, "billing");
    assert_eq!(InvoiceFiles::MODEL, "invoice_file");
    assert_eq!(InvoiceFiles::PERMISSION, "billing.view_invoice");
    assert_eq!(InvoiceFiles::URL_PREFIX, "/staff/files");

    let pdf = InvoiceFiles::PDF.spec;
    assert_eq!(pdf.name, "pdf");
    assert_eq!(pdf.kind, FieldKind::File);
    assert!(!pdf.optional);
    assert_eq!(pdf.permission, None);
    assert!(matches!(pdf.upload_to, UploadTo::Pattern("invoices/%Y/%m/%d/")));
    assert!(!pdf.no_download);
    assert!(pdf.view.attachment);
    assert_eq!(pdf.view.filename, Some("invoice.pdf"));
    assert_eq!(pdf.view.mimetype, Some("application/pdf"));
    assert_eq!(pdf.limits.max_size, Some(512_000));
    assert_eq!(pdf.limits.content_types, ["application/pdf", "application/x-pdf"]);

    let scan = InvoiceFiles::SCAN.spec;
    assert_eq!(scan.kind, FieldKind::Image);
    assert!(scan.optional);
    assert_eq!(scan.permission, Some("billing.view_scan"));
    let UploadTo::Function(upload_to) = scan.upload_to else {
        panic!("upload_to is a function");
    };
    assert_eq!(upload_to("scan.png"), "s/scan.png");
    assert_eq!(scan.limits.max_size, Some(1_048_576));
    assert_eq!(scan.limits.content_types, ["image/*"]);

    // A raw identifier: the handle is `TYPE`, the name and route segment `type`.
    let kind = InvoiceFiles::TYPE.spec;
    assert_eq!(kind.name, "type");
    assert!(kind.no_download);
    assert_eq!(InvoiceFiles::permission_for(&InvoiceFiles::TYPE), "billing.audit");

    let names: Vec<&str> = InvoiceFiles::fields().iter().map(|f| f.name()).collect();
    assert_eq!(names, ["pdf", "scan", "type"]);
    assert_eq!(InvoiceFiles::field("scan").map(|f| f.name()), Some("scan"));
    assert!(InvoiceFiles::field("note").is_none());

    let files = InvoiceFiles {
        r#ref: 42,
        pdf: "invoices/2024/01/02/42.pdf".to_owned(),
        scan: None,
        r#type: Some("t".to_owned()),
        note: String::new(),
    };
    assert_eq!(files.pk(), 42);
    assert_eq!(files.pdf_url().as_deref(), Some("/staff/files/billing/invoice_file/42/pdf/"));
    assert_eq!(files.scan_url(), None);
    assert_eq!(files.type_url(), None);
    assert!(files.note.is_empty());
}
