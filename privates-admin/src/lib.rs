//! # privates-admin
//!
//! The admin side of [privates](https://docs.rs/privates): what a loco app needs to manage
//! private files in its own admin pages — django-privates' `PrivateMediaMixin` and widgets.
//!
//! - [`ModelAdmin`] registers a model: which fields are private, which may not be downloaded,
//!   the permission, per-field view options, custom views and widgets. It yields the download
//!   routes `/{prefix}/{app}/{model}/{pk}/{field}/` behind the runtime's permission-checked
//!   view, and the signed share links of the files a user may download
//!   ([`ModelAdmin::may_share`], [`ModelAdmin::share_url`], [`ModelAdmin::routes`]).
//! - [`FileWidget`] renders a field: the clearable private file input ("Currently: <link>",
//!   "Clear", "Change:"), its no-download, read-only and image (thumbnail) variants. Widgets
//!   implement askama's `HtmlSafe`, so `{{ doc.widget(Doc::PDF) }}` ([`WidgetExt`]) in your
//!   own askama template is written as HTML, not escaped twice. Given the file's [`facts`]
//!   (read from the storage with [`ModelAdmin::facts`]), a widget shows its size and type
//!   after the name: "Currently: report.pdf (2.4 MB, application/pdf)", or "(missing)".
//! - [`upload`] receives `multipart/form-data` change forms: streams each file into the private
//!   storage (local disk or S3, [`Privates::files`](privates::Privates::files)), enforcing
//!   `max_size`, content types by sniffed bytes and real image validation, handles the clear
//!   checkboxes and replaced files, and returns validation messages.
//! - [`csrf`] protects every form the admin renders (add, change, clear, share) and the
//!   app's own ([`CsrfToken`], [`CsrfForm`]): a session-bound token plus `Origin` /
//!   `Sec-Fetch-Site` checks. [`AdminInitializer`] sets it up from
//!   `initializers.privates_admin` ([`settings`]).
//! - [`upload::FieldUpload`] receives one file into one field from the app's own controller
//!   (REST and SPA apps): permission, the field's limits, a compare-and-set save, errors in
//!   loco's JSON shape.
//! - [`task::CopyTemplates`] copies the templates into the app's own template folder, where
//!   askama finds them for the app's pages (`{% extends "privates/admin/base.html" %}`).
//! - [`thumbnail`] makes, keeps and serves a small PNG of each stored image (its own route,
//!   behind the download's checks), which image widgets show; an image that cannot be one
//!   keeps its link alone.
//! - [`direct`]: direct uploads from the browser to the bucket (S3), checked by the same rules
//!   before they are saved under a field ([`ModelAdmin::direct_uploads`]).
//! - [`assets`] serves the change form's upload-progress script (a progress bar per file and
//!   for the form, with Cancel; the form stays a plain post without JavaScript).
//! - [`users`] (feature `users`, on by default) is the page to see and change a user's
//!   groups, grants and superuser status in privates-auth's store, guarded by
//!   `auth.change_user` ([`users::UserAdmin`]).
//! - `audit` (feature `audit`, off by default) shows "who opened this file" on an object's change page and
//!   on a page of its own, from privates-audit's table, to holders of `privates.view_audit`.
//! - [`pages`] is a small admin page set (layout, list, change form with object tools such as
//!   a share button, login, error) to use or copy; the templates are in this crate's
//!   `templates/privates/`.
//!
//! ## Using a widget in your own askama template
//!
//! ```
//! # use privates::{Field, FieldSpec, PrivateMedia};
//! # #[derive(Debug)] struct Doc { id: i32, pdf: Option<String> }
//! # static PDF: FieldSpec = FieldSpec { optional: true, ..FieldSpec::file("pdf") };
//! # static FIELDS: [Field<Doc>; 1] = [Field { spec: &PDF, get: |d| d.pdf.as_deref() }];
//! # impl Doc { const PDF: Field<Self> = FIELDS[0]; }
//! # impl PrivateMedia for Doc {
//! #     type Pk = i32;
//! #     const APP: &'static str = "docs";
//! #     const MODEL: &'static str = "iddocument";
//! #     const PERMISSION: &'static str = "docs.can_change_iddocument";
//! #     fn fields() -> &'static [Field<Self>] { &FIELDS }
//! #     fn pk(&self) -> i32 { self.id }
//! # }
//! use askama::Template;
//! use privates_admin::{FileWidget, WidgetExt};
//!
//! #[derive(Template)]
//! #[template(
//!     source = "{{ doc.widget(Doc::PDF) }}|{{ doc.readonly_widget(Doc::PDF) }}|{{ pdf }}",
//!     ext = "html"
//! )]
//! struct Page<'a> { doc: &'a Doc, pdf: FileWidget<'a> }
//!
//! let doc = Doc { id: 1, pdf: Some("a&b.pdf".into()) };
//! let html = Page { doc: &doc, pdf: FileWidget::new(Doc::PDF, &doc) }.render().unwrap();
//! // Markup as markup, the stored name escaped once.
//! assert!(html.contains(r#"<a href="/admin/docs/iddocument/1/pdf/">a&#38;b.pdf</a>"#));
//! assert!(!html.contains("&#60;a"));
//! ```
//!
//! A widget is `Display` + [`askama::filters::HtmlSafe`]; askama writes such values as they
//! are in HTML templates. If a value ever goes through a filter (`{{ w|upper }}`), the filter's
//! output is escaped again: call the widget last, or use `|safe` on a widget value only.

pub mod admin;
pub mod assets;
#[cfg(feature = "audit")]
pub mod audit;
pub mod csrf;
pub mod direct;
pub mod facts;
pub mod markup;
pub mod pages;
pub mod settings;
pub mod task;
pub mod thumbnail;
pub mod upload;
pub mod url;
#[cfg(feature = "users")]
pub mod users;
pub mod widget;

pub use admin::{AdminWidget, ModelAdmin, WidgetHook};
pub use csrf::{Csrf, CsrfError, CsrfForm, CsrfToken};
pub use facts::{Facts, FileFacts, FileSize};
pub use markup::Markup;
pub use settings::{AdminInitializer, AdminSettings, AdminState};
pub use upload::{Submission, UploadError, UploadOptions};
pub use widget::{FileWidget, WidgetExt, WidgetLabels, WidgetMode};
