//! `#[private_media(admin)]`: per-field widget methods from privates-admin.
#![allow(clippy::unwrap_used)]

use privates::PrivateMedia;

#[derive(Clone, Debug, PrivateMedia)]
#[private_media(app = "docs", model = "iddocument", admin, find = none)]
struct Doc {
    id: i32,
    #[private_media(file)]
    pdf: Option<String>,
    #[private_media(image, no_download)]
    mugshot: String,
}

#[test]
fn widget_methods_render_the_admin_widgets() {
    let doc = Doc {
        id: 7,
        pdf: Some("docs/a\"b<c>.pdf".to_string()),
        mugshot: "m/x.png".to_string(),
    };
    let pdf = doc.pdf_widget().to_string();
    assert!(
        pdf.contains("href=\"/admin/docs/iddocument/7/pdf/\""),
        "{pdf}"
    );
    assert!(
        pdf.contains("docs/a&#34;b&#60;c&#62;.pdf") || pdf.contains("docs/a&quot;b&lt;c&gt;.pdf"),
        "{pdf}"
    );
    assert!(!pdf.contains("<c>"), "{pdf}");
    assert!(pdf.contains("name=\"pdf-clear\""), "{pdf}");
    let mugshot = doc.mugshot_widget().to_string();
    assert!(
        !mugshot.contains("href="),
        "no_download has no link: {mugshot}"
    );
    assert!(mugshot.contains("m/x.png"), "{mugshot}");
    assert!(
        !mugshot.contains("mugshot-clear"),
        "a required field has no clear box: {mugshot}"
    );
}
