//! `privates_copy_templates`: the templates land in the app's folder as this crate has them,
//! an existing file is kept unless `force:true`; and an app's own page that extends the admin
//! base and includes its parts (the README's example) compiles against them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use std::path::{Path, PathBuf};

use askama::Template;
use loco_rs::task::{Task, Vars};
use privates_admin::{
    pages::Page,
    task::{CopyTemplates, TEMPLATES},
};

/// Every file below `dir`, as names relative to it.
fn files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path: PathBuf = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                found.push(
                    path.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    found.sort();
    found
}

#[test]
fn the_list_is_every_template_of_the_crate() {
    let crate_templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut listed: Vec<String> = TEMPLATES
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    listed.sort();
    assert_eq!(listed, files(&crate_templates));
    for (name, text) in TEMPLATES {
        assert_eq!(
            std::fs::read_to_string(crate_templates.join(name)).unwrap(),
            *text,
            "{name}"
        );
    }
}

async fn run(args: &[(&str, &str)]) -> loco_rs::Result<()> {
    let ctx = loco_rs::tests_cfg::app::get_app_context().await;
    let vars = Vars::from_cli_args(
        args.iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect(),
    );
    CopyTemplates.run(&ctx, &vars).await
}

#[tokio::test]
async fn copies_keeps_existing_files_and_overwrites_only_with_force() {
    let app = tempfile::tempdir().unwrap();
    let dir = app.path().join("templates");
    let dir_arg = dir.to_str().unwrap();
    run(&[("dir", dir_arg)]).await.unwrap();
    let expected: Vec<String> = {
        let mut names: Vec<String> = TEMPLATES.iter().map(|(n, _)| (*n).to_owned()).collect();
        names.sort();
        names
    };
    assert_eq!(files(&dir), expected);
    for (name, text) in TEMPLATES {
        assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), *text);
    }

    // The app edits one copy and deletes another: a rerun keeps the edit, restores the other.
    let base = dir.join("privates/admin/base.html");
    let csrf = dir.join("privates/admin/includes/csrf.html");
    std::fs::write(&base, "the app's own base").unwrap();
    std::fs::remove_file(&csrf).unwrap();
    let copied = CopyTemplates::copy(&dir, false).unwrap();
    assert_eq!(copied.copied, std::slice::from_ref(&csrf));
    assert_eq!(copied.skipped.len(), TEMPLATES.len() - 1);
    assert!(copied.skipped.contains(&base));
    assert_eq!(
        std::fs::read_to_string(&base).unwrap(),
        "the app's own base"
    );
    run(&[("dir", dir_arg), ("force", "false")]).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(&base).unwrap(),
        "the app's own base"
    );

    // `force:true` puts this version's text back.
    run(&[("dir", dir_arg), ("force", "true")]).await.unwrap();
    let original = TEMPLATES
        .iter()
        .find(|(name, _)| *name == "privates/admin/base.html")
        .unwrap()
        .1;
    assert_eq!(std::fs::read_to_string(&base).unwrap(), original);

    let err = run(&[("dir", dir_arg), ("force", "yes")])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`force:yes`"), "{err}");
}

#[tokio::test]
async fn an_unwritable_folder_names_the_file() {
    let app = tempfile::tempdir().unwrap();
    // A file where the `privates` folder would go.
    std::fs::write(app.path().join("privates"), "not a folder").unwrap();
    let err = CopyTemplates::copy(app.path(), false).unwrap_err();
    assert!(err.to_string().contains("cannot write"), "{err}");
    assert!(err.to_string().contains("privates"), "{err}");
}

mod invoice {
    use privates::PrivateMedia;

    #[derive(Debug, PrivateMedia)]
    #[private_media(app = "billing", admin)]
    pub struct Invoice {
        pub id: i32,
        pub title: String,
        #[private_media(file)]
        pub scan: Option<String>,
    }
}

/// The README's page: the app's own template (in the app's `templates/` beside the copies;
/// here the crate's own folder holds the very files the task copies).
#[derive(Template)]
#[template(
    source = r#"{% extends "privates/admin/base.html" %}
{% block content %}
<h1>{{ invoice.title }}</h1>
<form method="post" enctype="multipart/form-data" action="/invoices/{{ invoice.id }}">
{%- include "privates/admin/includes/csrf.html" %}
{{ invoice.scan_widget() }}
<button type="submit">Save</button>
</form>
{% endblock %}"#,
    ext = "html"
)]
struct InvoicePage<'a> {
    page: Page<'a>,
    invoice: &'a invoice::Invoice,
}

#[test]
fn an_app_page_extends_the_admin_base_and_includes_its_parts() {
    let invoice = invoice::Invoice {
        id: 7,
        title: "March".to_owned(),
        scan: Some("scans/march.pdf".to_owned()),
    };
    let page = Page {
        csrf_token: Some("the-token"),
        ..Page::new("Invoice")
    };
    let html = InvoicePage {
        page,
        invoice: &invoice,
    }
    .render()
    .unwrap();
    // The base's layout, the app's block, the included CSRF field, the widget's link.
    assert!(
        html.contains("<title>Invoice | Administration</title>"),
        "{html}"
    );
    assert!(html.contains("<h1>March</h1>"), "{html}");
    assert!(
        html.contains(r#"<input type="hidden" name="csrf_token" value="the-token">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<a href="/admin/billing/invoice/7/scan/">scans/march.pdf</a>"#),
        "{html}"
    );
}
