//! Widget rendering: the exact structure of every variant, and hostile stored names and keys
//! that must not change it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use askama::Template;
use common::{Doc, Page};
use privates::{ViewOptions, storage::LocalStorage, storage::Storage};
use privates_admin::{
    AdminWidget, Facts, FileFacts, FileSize, FileWidget, Markup, ModelAdmin, WidgetExt,
    WidgetLabels,
    pages::{
        ChangeFormPage, ChangeListPage, ErrorPage, FormRow, ListRow, LoginPage, Page as Layout,
        ShareButton, SharedLink,
    },
};
use privates_testing::TempPrivateRoot;

fn doc(pdf: Option<&str>, mugshot: &str) -> Doc {
    Doc {
        id: 1,
        pdf: pdf.map(str::to_owned),
        mugshot: mugshot.to_owned(),
        secret: Some("secret.txt".to_owned()),
        notes: None,
    }
}

/// askama's HTML escaping.
fn escaped(text: &str) -> String {
    Markup::escape(text).into_string()
}

const PDF_WIDGET: &str = r#"<p class="file-upload">Currently: <a href="/admin/docs/iddocument/1/pdf/">NAME</a>
<span class="clearable-file-input">
<input type="checkbox" name="pdf-clear" id="pdf-clear_id">
<label for="pdf-clear_id">Clear</label></span><br>
Change:
<input type="file" name="pdf" id="id_pdf" accept="application/pdf"></p>"#;

const MUGSHOT_WIDGET: &str = r#"<p class="file-upload"><a href="/admin/docs/iddocument/1/mugshot/" class="privates-thumbnail-link"><img src="/admin/docs/iddocument/1/mugshot/thumbnail/" alt="" class="privates-thumbnail" loading="lazy"></a><br>
Currently: <a href="/admin/docs/iddocument/1/mugshot/">NAME</a><br>
Change:
<input type="file" name="mugshot" id="id_mugshot" accept="image/png,image/jpeg,image/gif,image/webp"></p>"#;

const SECRET_WIDGET: &str = r#"<p class="file-upload">Currently: <span class="file-name">NAME</span>
<span class="clearable-file-input">
<input type="checkbox" name="secret-clear" id="secret-clear_id">
<label for="secret-clear_id">Clear</label></span><br>
Change:
<input type="file" name="secret" id="id_secret"></p>"#;

const PDF_READONLY: &str = r#"<a href="/admin/docs/iddocument/1/pdf/">NAME</a>"#;

const MUGSHOT_READONLY: &str = r#"<a href="/admin/docs/iddocument/1/mugshot/" class="privates-thumbnail-link"><img src="/admin/docs/iddocument/1/mugshot/thumbnail/" alt="" class="privates-thumbnail" loading="lazy"></a><br><a href="/admin/docs/iddocument/1/mugshot/">NAME</a>"#;

const HOSTILE: &[&str] = &[
    "\"><script>alert(1)</script>.pdf",
    "javascript:alert(1)",
    "javascript:alert(document.cookie)//.pdf",
    "a'b\"c.pdf",
    "' onmouseover='alert(1)",
    "résumé 日本語.pdf",
    "my file (1).pdf",
    "100%.pdf",
    "%22%3E%3Cscript%3E.pdf",
    "docs/&amp;&lt;x&gt;.pdf",
    "<img src=x onerror=alert(1)>",
    "`${alert(1)}`",
];

#[test]
fn clearable_file_input_structure() {
    let doc = doc(Some("docs/passport.pdf"), "m.png");
    assert_eq!(
        doc.widget(Doc::PDF).to_string(),
        PDF_WIDGET.replace("NAME", "docs/passport.pdf")
    );
}

#[test]
fn required_field_has_no_clear_checkbox() {
    let doc = doc(None, "mugshots/me.png");
    let html = doc.widget(Doc::MUGSHOT).to_string();
    assert_eq!(html, MUGSHOT_WIDGET.replace("NAME", "mugshots/me.png"));
    assert!(!html.contains("checkbox"));
}

#[test]
fn empty_fields_show_only_the_input() {
    let doc = doc(None, "");
    assert_eq!(
        doc.widget(Doc::PDF).to_string(),
        r#"<input type="file" name="pdf" id="id_pdf" accept="application/pdf">"#
    );
    // A required field without a file: the input is required.
    assert_eq!(
        doc.widget(Doc::MUGSHOT).to_string(),
        r#"<input type="file" name="mugshot" id="id_mugshot" accept="image/png,image/jpeg,image/gif,image/webp" required>"#
    );
    // The add form: no object at all.
    assert_eq!(
        FileWidget::empty(Doc::NOTES).to_string(),
        r#"<input type="file" name="notes" id="id_notes">"#
    );
}

#[test]
fn no_download_variant_shows_the_name_without_a_link() {
    let doc = doc(None, "m.png");
    let html = doc.widget(Doc::SECRET).to_string();
    assert_eq!(html, SECRET_WIDGET.replace("NAME", "secret.txt"));
    assert!(!html.contains("href"));
    // The admin's own no-download list does the same for a downloadable field.
    let doc = self::doc(Some("a.pdf"), "m.png");
    let admin = ModelAdmin::<Doc>::new().no_download(Doc::PDF);
    let html = admin.widget(Doc::PDF, Some(&doc)).to_string();
    assert!(
        html.contains(r#"Currently: <span class="file-name">a.pdf</span>"#),
        "{html}"
    );
    assert!(!html.contains("href"));
    assert_eq!(
        admin.readonly_widget(Doc::PDF, &doc).to_string(),
        r#"<span class="file-name">a.pdf</span>"#
    );
}

#[test]
fn read_only_variant_still_links() {
    let doc = doc(Some("docs/passport.pdf"), "mugshots/me.png");
    assert_eq!(
        doc.readonly_widget(Doc::PDF).to_string(),
        PDF_READONLY.replace("NAME", "docs/passport.pdf")
    );
    assert_eq!(
        doc.readonly_widget(Doc::MUGSHOT).to_string(),
        MUGSHOT_READONLY.replace("NAME", "mugshots/me.png")
    );
    assert_eq!(
        doc.readonly_widget(Doc::SECRET).to_string(),
        r#"<span class="file-name">secret.txt</span>"#
    );
    assert_eq!(doc.readonly_widget(Doc::NOTES).to_string(), "-");
}

#[test]
fn hostile_names_are_escaped_and_never_reach_an_attribute() {
    for name in HOSTILE {
        let doc = doc(Some(name), name);
        let shown = escaped(name);
        for (html, expected) in [
            (doc.widget(Doc::PDF).to_string(), PDF_WIDGET),
            (doc.widget(Doc::MUGSHOT).to_string(), MUGSHOT_WIDGET),
            (doc.readonly_widget(Doc::PDF).to_string(), PDF_READONLY),
            (
                doc.readonly_widget(Doc::MUGSHOT).to_string(),
                MUGSHOT_READONLY,
            ),
        ] {
            // Exactly the benign structure, with the name escaped as text.
            assert_eq!(html, expected.replace("NAME", &shown), "{name}");
            assert!(!html.contains("<script"), "{name}");
            assert!(!html.contains("<img src=x"), "{name}");
            for attribute in attributes(&html, "href").chain(attributes(&html, "src")) {
                assert!(
                    attribute.starts_with("/admin/docs/iddocument/1/"),
                    "{name}: {attribute}"
                );
            }
        }
        let secret = Doc {
            secret: Some((*name).to_owned()),
            ..doc.clone()
        };
        assert_eq!(
            secret.widget(Doc::SECRET).to_string(),
            SECRET_WIDGET.replace("NAME", &shown),
            "{name}"
        );
    }
}

#[test]
fn escaping_covers_every_special_character() {
    assert_eq!(escaped("<>&\"'"), "&#60;&#62;&#38;&#34;&#39;");
    // Non-ASCII and spaces are text: kept as they are.
    assert_eq!(escaped("résumé 日本.pdf"), "résumé 日本.pdf");
}

/// The values of every `attr="..."` in `html`.
fn attributes<'a>(html: &'a str, attr: &str) -> std::vec::IntoIter<&'a str> {
    let needle = format!(" {attr}=\"");
    let mut values = Vec::new();
    for (index, _) in html.match_indices(&needle) {
        let rest = &html[index + needle.len()..];
        values.push(&rest[..rest.find('"').unwrap()]);
    }
    values.into_iter()
}

#[test]
fn hostile_keys_are_percent_encoded() {
    let page = Page {
        slug: "a/b?c#d\"<>' é%".to_owned(),
        doc_id: 1,
        scan: Some("x.pdf".to_owned()),
    };
    let html = page.readonly_widget(Page::SCAN).to_string();
    assert_eq!(
        html,
        r#"<a href="/admin/docs/page/a%2Fb%3Fc%23d%22%3C%3E%27%20%C3%A9%25/scan/">x.pdf</a>"#
    );
}

#[test]
fn inline_widget_links_to_the_child_and_prefixes_the_inputs() {
    let child = Page {
        slug: "p-2".to_owned(),
        doc_id: 1,
        scan: Some("pages/2.pdf".to_owned()),
    };
    let admin = ModelAdmin::<Page>::new();
    let html = admin
        .inline_widget(Page::SCAN, Some(&child), "pages-0-")
        .to_string();
    assert_eq!(
        html,
        r#"<p class="file-upload">Currently: <a href="/admin/docs/page/p-2/scan/">pages/2.pdf</a>
<span class="clearable-file-input">
<input type="checkbox" name="pages-0-scan-clear" id="pages-0-scan-clear_id">
<label for="pages-0-scan-clear_id">Clear</label></span><br>
Change:
<input type="file" name="pages-0-scan" id="id_pages-0-scan"></p>"#
    );

    // Inside the parent's own askama template.
    #[derive(Template)]
    #[template(
        source = "<h2>{{ title }}</h2>{% for page in pages %}<div>{{ page.widget(Page::SCAN).prefix(prefix) }}</div>{% endfor %}",
        ext = "html"
    )]
    struct Parent<'a> {
        title: &'a str,
        pages: &'a [Page],
        prefix: &'a str,
    }
    let pages = [child];
    let html = Parent {
        title: "<doc>",
        pages: &pages,
        prefix: "pages-0-",
    }
    .render()
    .unwrap();
    assert!(
        html.starts_with("<h2>&#60;doc&#62;</h2><div><p class=\"file-upload\">"),
        "{html}"
    );
    assert!(html.contains(r#"<a href="/admin/docs/page/p-2/scan/">pages/2.pdf</a>"#));
    assert!(html.contains(r#"name="pages-0-scan""#));
}

#[test]
fn widgets_are_not_escaped_twice_in_user_templates() {
    #[derive(Template)]
    #[template(
        source = "{{ doc.widget(Doc::PDF) }}\n{{ admin_widget }}\n{{ doc.readonly_widget(Doc::MUGSHOT) }}",
        ext = "html"
    )]
    struct UserPage<'a> {
        doc: &'a Doc,
        admin_widget: AdminWidget<'a>,
    }
    let doc = doc(Some("<x>.pdf"), "m&m.png");
    let admin = ModelAdmin::<Doc>::new().prefix("/backoffice");
    let html = UserPage {
        doc: &doc,
        admin_widget: admin.widget(Doc::PDF, Some(&doc)),
    }
    .render()
    .unwrap();
    let expected = format!(
        "{}\n{}\n{}",
        PDF_WIDGET.replace("NAME", "&#60;x&#62;.pdf"),
        PDF_WIDGET
            .replace("NAME", "&#60;x&#62;.pdf")
            .replace("/admin/", "/backoffice/"),
        MUGSHOT_READONLY.replace("NAME", "m&#38;m.png"),
    );
    assert_eq!(html, expected);
}

#[test]
fn custom_widget_hook_and_labels() {
    let doc = doc(Some("a.pdf"), "m.png");
    let admin = ModelAdmin::<Doc>::new().widget_hook(Doc::PDF, |widget| {
        Markup::trusted(format!(
            "<div class=\"mine\">{}</div>",
            Markup::escape(widget.download_url().unwrap_or("none"))
        ))
    });
    assert_eq!(
        admin.widget(Doc::PDF, Some(&doc)).to_string(),
        r#"<div class="mine">/admin/docs/iddocument/1/pdf/</div>"#
    );
    // Other fields keep the standard widget.
    assert!(
        admin
            .widget(Doc::MUGSHOT, Some(&doc))
            .to_string()
            .contains("privates-thumbnail")
    );

    let labels = WidgetLabels {
        currently: "Actuellement".into(),
        change: "Modifier".into(),
        clear: "Effacer <tout>".into(),
        empty: "vide".into(),
        missing: "manquant <!>".into(),
        size_unknown: "taille inconnue".into(),
    };
    let html = FileWidget::new(Doc::PDF, &doc).labels(&labels).to_string();
    assert!(html.contains("Actuellement: <a"), "{html}");
    assert!(html.contains(">Effacer &#60;tout&#62;</label>"), "{html}");
    assert!(html.contains("Modifier:\n<input"), "{html}");
    let missing = FileFacts {
        size: FileSize::Missing,
        content_type: "application/pdf".into(),
    };
    let html = FileWidget::new(Doc::PDF, &doc)
        .labels(&labels)
        .facts(missing)
        .to_string();
    assert!(
        html.contains(
            r#"</a> <span class="file-facts file-missing">(manquant &#60;!&#62;)</span>"#
        ),
        "{html}"
    );
    let unknown = FileFacts {
        size: FileSize::Unknown,
        content_type: "application/pdf".into(),
    };
    let html = FileWidget::new(Doc::PDF, &doc)
        .labels(&labels)
        .facts(unknown)
        .to_string();
    assert!(
        html.contains(r#"(<span class="file-size">taille inconnue</span>, <span class="file-type">application/pdf</span>)"#),
        "{html}"
    );
}

/// The facts markup after a file's name.
fn facts_html(size: &str, content_type: &str) -> String {
    format!(
        r#" <span class="file-facts">(<span class="file-size">{size}</span>, <span class="file-type">{content_type}</span>)</span>"#
    )
}

const MISSING_HTML: &str = r#" <span class="file-facts file-missing">(missing)</span>"#;

#[test]
fn facts_follow_the_name_in_every_variant() {
    let doc = doc(Some("docs/passport.pdf"), "mugshots/me.png");
    let pdf = FileFacts {
        size: FileSize::Bytes(2_400_000),
        content_type: "application/pdf".into(),
    };
    let png = FileFacts {
        size: FileSize::Bytes(17),
        content_type: "image/png".into(),
    };
    let facts = facts_html("2.4 MB", "application/pdf");
    let png_facts = facts_html("17 bytes", "image/png");

    // The edit variants: after the name, before the clear checkbox or the line break.
    assert_eq!(
        doc.widget(Doc::PDF).facts(pdf.clone()).to_string(),
        PDF_WIDGET.replace("NAME</a>", &format!("docs/passport.pdf</a>{facts}"))
    );
    assert_eq!(
        doc.widget(Doc::MUGSHOT).facts(png.clone()).to_string(),
        MUGSHOT_WIDGET.replace("NAME</a>", &format!("mugshots/me.png</a>{png_facts}"))
    );
    assert_eq!(
        doc.widget(Doc::SECRET).facts(pdf.clone()).to_string(),
        SECRET_WIDGET.replace("NAME</span>", &format!("secret.txt</span>{facts}"))
    );
    // The read-only variants, as a change list shows them.
    assert_eq!(
        doc.readonly_widget(Doc::PDF).facts(pdf.clone()).to_string(),
        PDF_READONLY.replace("NAME</a>", &format!("docs/passport.pdf</a>{facts}"))
    );
    assert_eq!(
        doc.readonly_widget(Doc::MUGSHOT)
            .facts(png.clone())
            .to_string(),
        MUGSHOT_READONLY.replace("NAME</a>", &format!("mugshots/me.png</a>{png_facts}"))
    );
    assert_eq!(
        doc.readonly_widget(Doc::SECRET)
            .facts(pdf.clone())
            .to_string(),
        format!(r#"<span class="file-name">secret.txt</span>{facts}"#)
    );
    // An empty field shows no facts, even if given some.
    assert_eq!(
        doc.readonly_widget(Doc::NOTES)
            .facts(pdf.clone())
            .to_string(),
        "-"
    );
    assert_eq!(
        doc.widget(Doc::NOTES).facts(pdf).to_string(),
        r#"<input type="file" name="notes" id="id_notes">"#
    );
    // A missing file says so instead of a size and a type.
    let missing = FileFacts {
        size: FileSize::Missing,
        content_type: "application/pdf".into(),
    };
    assert_eq!(
        doc.readonly_widget(Doc::PDF)
            .facts(missing.clone())
            .to_string(),
        PDF_READONLY.replace("NAME</a>", &format!("docs/passport.pdf</a>{MISSING_HTML}"))
    );
    assert_eq!(
        doc.widget(Doc::PDF).facts(missing).to_string(),
        PDF_WIDGET.replace("NAME</a>", &format!("docs/passport.pdf</a>{MISSING_HTML}"))
    );
}

#[test]
fn facts_are_escaped() {
    let doc = doc(Some("<x>.pdf"), "m.png");
    let hostile = FileFacts {
        size: FileSize::Bytes(1),
        content_type: "text/html\"><script>alert(1)</script>".into(),
    };
    let html = doc.widget(Doc::PDF).facts(hostile).to_string();
    assert!(!html.contains("<script"), "{html}");
    assert!(
        html.contains(&facts_html(
            "1 byte",
            "text/html&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;"
        )),
        "{html}"
    );
}

#[tokio::test]
async fn admin_reads_facts_from_the_storage() {
    let root = TempPrivateRoot::new().unwrap();
    std::fs::create_dir(root.path().join("docs")).unwrap();
    std::fs::write(root.path().join("docs/passport.pdf"), vec![b'%'; 2_500_000]).unwrap();
    let storage = Storage::Local(LocalStorage::new(root.path(), "/private-media/").unwrap());
    let doc = Doc {
        notes: Some("notes.bin".to_owned()),
        ..doc(Some("docs/passport.pdf"), "mugshots/gone.png")
    };
    // The type is the download's: its `mimetype` option wins over the name.
    let admin = ModelAdmin::<Doc>::new().view_options(
        Doc::SECRET,
        ViewOptions {
            mimetype: Some("text/markdown"),
            ..ViewOptions::INLINE
        },
    );
    let facts = admin.facts(&storage, &doc).await;
    let shown: Vec<_> = facts
        .iter()
        .map(|(name, facts)| (name, facts.size, facts.content_type.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("pdf", FileSize::Bytes(2_500_000), "application/pdf"),
            ("mugshot", FileSize::Missing, "image/png"),
            ("secret", FileSize::Missing, "text/markdown"),
            ("notes", FileSize::Missing, "application/octet-stream"),
        ]
    );
    let html = admin
        .widget_with_facts(Doc::PDF, Some(&doc), &facts)
        .to_string();
    assert!(
        html.contains(&format!(
            "docs/passport.pdf</a>{}",
            facts_html("2.5 MB", "application/pdf")
        )),
        "{html}"
    );
    let html = admin
        .readonly_widget_with_facts(Doc::MUGSHOT, &doc, &facts)
        .to_string();
    assert!(
        html.ends_with(&format!("mugshots/gone.png</a>{MISSING_HTML}")),
        "{html}"
    );
    // A custom widget receives the facts with the standard widget.
    let hooked = ModelAdmin::<Doc>::new().widget_hook(Doc::PDF, |widget| {
        Markup::escape(&format!("{:?}", widget.file_facts().map(|f| f.size)))
    });
    assert_eq!(
        hooked
            .widget_with_facts(Doc::PDF, Some(&doc), &facts)
            .to_string(),
        "Some(Bytes(2500000))"
    );
    // A list: each object's facts, in order; an empty field has none.
    let empty = Doc {
        id: 2,
        ..self::doc(None, "")
    };
    let each = admin.facts_of_each(&storage, [&doc, &empty]).await;
    assert_eq!(each.len(), 2);
    assert_eq!(each[0], facts);
    assert!(each[1].get("pdf").is_none());
    assert!(Facts::default().is_empty());
    assert_eq!(
        admin
            .widget_with_facts(Doc::PDF, None, &Facts::default())
            .to_string(),
        r#"<input type="file" name="pdf" id="id_pdf" accept="application/pdf">"#
    );
}

#[test]
fn admin_pages_render_and_escape() {
    let doc = doc(Some("<a>.pdf"), "m.png");
    let admin = ModelAdmin::<Doc>::new();
    let list = ChangeListPage {
        page: Layout::new("ID documents <all>")
            .user("clerk <c@example.com>")
            .logout_url("/logout")
            .csrf_token("tok\"en")
            .message("Saved <ok>"),
        model_name: "ID document",
        add_url: Some("/admin/docs/iddocument/add/"),
        columns: vec!["ID", "PDF"],
        rows: vec![ListRow {
            change_url: "/admin/docs/iddocument/1/change/".to_owned(),
            cells: vec![
                Markup::escape("1"),
                Markup::render(&admin.readonly_widget(Doc::PDF, &doc)).unwrap(),
            ],
        }],
    }
    .render()
    .unwrap();
    assert!(
        list.contains("<title>ID documents &#60;all&#62; | Administration</title>"),
        "{list}"
    );
    assert!(list.contains("clerk &#60;c@example.com&#62;"));
    assert!(
        list.contains(r#"<input type="hidden" name="csrf_token" value="tok&#34;en">"#),
        "{list}"
    );
    assert!(list.contains("<li>Saved &#60;ok&#62;</li>"));
    assert!(
        list.contains(r#"<th scope="row"><a href="/admin/docs/iddocument/1/change/">1</a></th>"#),
        "{list}"
    );
    assert!(
        list.contains(r#"<td><a href="/admin/docs/iddocument/1/pdf/">&#60;a&#62;.pdf</a></td>"#),
        "{list}"
    );

    let form = ChangeFormPage {
        page: Layout::new("Change ID document"),
        action: "/admin/docs/iddocument/1/change/",
        form_id: "iddocument_form",
        errors: vec!["Please correct the errors below.".to_owned()],
        rows: vec![
            FormRow::widget("pdf", "PDF", &admin.widget(Doc::PDF, Some(&doc)))
                .unwrap()
                .errors(["Files of type <x> are not accepted."]),
            FormRow::new("title", "Title", Markup::text_input("title", "\"><script>")),
        ],
        submit_label: "Save",
        tools: vec![
            Markup::render(&ShareButton {
                action: "/admin/docs/iddocument/1/share/pdf/?a=1&b=\"2",
                field: "pdf",
                label: "<PDF>",
                button_label: "Share for 10 minutes",
                csrf_token: Some("t\"k"),
            })
            .unwrap(),
            Markup::render(&SharedLink {
                field: "pdf",
                label: "Share link for <PDF>",
                url: "http://h/admin/docs/iddocument/1/pdf/shared/?expires=1&sig=\"><script>",
                help: "Valid <10> minutes.",
            })
            .unwrap(),
        ],
    }
    .render()
    .unwrap();
    // The object tools come before the change form, each share button a form of its own.
    let tools = form.find(r#"<div class="object-tools">"#).unwrap();
    let change_form = form.find(r#"id="iddocument_form""#).unwrap();
    assert!(tools < change_form, "{form}");
    assert!(form.contains(concat!(
        r#"<form method="post" action="/admin/docs/iddocument/1/share/pdf/?a=1&#38;b=&#34;2" class="share-form" id="share_pdf_form">"#,
        r#"<input type="hidden" name="csrf_token" value="t&#34;k">"#,
        "\n<span class=\"share-label\">&#60;PDF&#62;</span> <button type=\"submit\">Share for 10 minutes</button>\n</form>"
    )), "{form}");
    assert!(form.contains(concat!(
        r#"<label for="shared_pdf_url">Share link for &#60;PDF&#62;</label>"#,
        "\n",
        r#"<input type="text" id="shared_pdf_url" value="http://h/admin/docs/iddocument/1/pdf/shared/?expires=1&#38;sig=&#34;&#62;&#60;script&#62;" readonly size="80">"#,
        "\n",
        r#"<div class="help">Valid &#60;10&#62; minutes.</div>"#,
    )), "{form}");
    assert!(form.contains(r#"<form method="post" action="/admin/docs/iddocument/1/change/" enctype="multipart/form-data" id="iddocument_form" novalidate>"#), "{form}");
    assert!(form.contains(r#"<ul class="errorlist" id="pdf_errors">"#));
    assert!(form.contains("<li>Files of type &#60;x&#62; are not accepted.</li>"));
    assert!(form.contains(r#"<a href="/admin/docs/iddocument/1/pdf/">&#60;a&#62;.pdf</a>"#));
    assert!(form.contains(r#"value="&#34;&#62;&#60;script&#62;""#));
    // The one script is the admin's own file (upload progress), never inline.
    assert_eq!(form.matches("<script").count(), 1, "{form}");
    assert!(
        form.contains(r#"<script src="/admin/static/privates/upload-progress.js" defer></script>"#)
    );
    assert!(
        !form.contains("logout-form"),
        "anonymous pages have no logout form"
    );

    let login = LoginPage {
        page: Layout::new("Log in"),
        action: "/login",
        email: "a\"@b",
        next: Some("/admin/docs/iddocument/1/pdf/?x=\"y"),
        error: Some("Wrong <password>"),
    }
    .render()
    .unwrap();
    assert!(
        login.contains(
            r#"<input type="hidden" name="next" value="/admin/docs/iddocument/1/pdf/?x=&#34;y">"#
        ),
        "{login}"
    );
    assert!(login.contains(r#"value="a&#34;@b""#));
    assert!(login.contains("Wrong &#60;password&#62;"));

    let error = ErrorPage {
        page: Layout::new("Permission denied"),
        status: 403,
        message: "You may not <see> this.",
    }
    .render()
    .unwrap();
    assert!(error.contains("<p class=\"error-status\">403</p>"));
    assert!(error.contains("You may not &#60;see&#62; this."));
}
