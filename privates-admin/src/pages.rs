//! A small admin page set — base layout, change list, change form, login and error pages —
//! as askama templates under `templates/privates/admin/` with typed structs. The demo app
//! uses them; copy the templates into your own `templates/` folder to change them (askama
//! resolves templates in the crate that derives `Template`).
//!
//! Every value is HTML-escaped by askama except [`Markup`] (widgets and inputs, already safe).
//!
//! ```
//! use askama::Template;
//! use privates_admin::{Markup, pages::{ChangeFormPage, FormRow, Page}};
//!
//! let page = ChangeFormPage {
//!     page: Page::new("Change document").user("clerk@example.com").logout_url("/logout"),
//!     action: "/admin/docs/iddocument/1/change/",
//!     form_id: "iddocument_form",
//!     errors: vec![],
//!     rows: vec![FormRow::new("title", "Title", Markup::text_input("title", "<b>"))],
//!     submit_label: "Save",
//!     tools: vec![],
//! };
//! let html = page.render().unwrap();
//! assert!(html.contains(r#"enctype="multipart/form-data""#));
//! assert!(html.contains(r#"value="&#60;b&#62;""#));
//! ```

use std::fmt;

use askama::{Template, filters::HtmlSafe};
use axum::response::Response;
use http::{HeaderMap, HeaderValue, header};

use crate::markup::Markup;

/// The headers every admin page carries ([`admin_headers`]): not frameable
/// (`X-Frame-Options: DENY`, `Content-Security-Policy: frame-ancestors 'none'`), no script
/// but the site's own files (`script-src 'self'`: an injected inline script never runs; the
/// admin's own script is an external file, [`assets`](crate::assets)), never cached
/// (`Cache-Control: no-store`: the pages show private data and per-form CSRF tokens), and no
/// admin URL leaked to another site (`Referrer-Policy: same-origin`).
pub const ADMIN_HEADERS: [(header::HeaderName, &str); 4] = [
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        header::CONTENT_SECURITY_POLICY,
        "frame-ancestors 'none'; script-src 'self'",
    ),
    (header::CACHE_CONTROL, "no-store"),
    (header::REFERRER_POLICY, "same-origin"),
];

/// Sets [`ADMIN_HEADERS`] on `headers` (replacing any value the handler set).
pub fn admin_headers_on(headers: &mut HeaderMap) {
    for (name, value) in ADMIN_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// Adds [`ADMIN_HEADERS`] to a response: put it on the routes of the admin pages with
/// `axum::middleware::map_response(privates_admin::pages::admin_headers)` (loco's
/// `Routes::layer`), so that no page can forget them.
///
/// ```
/// # tokio_test_block_on(async {
/// use axum::response::IntoResponse;
/// let response = privates_admin::pages::admin_headers("page".into_response()).await;
/// assert_eq!(response.headers()["x-frame-options"], "DENY");
/// assert_eq!(response.headers()["cache-control"], "no-store");
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
pub async fn admin_headers(mut response: Response) -> Response {
    admin_headers_on(response.headers_mut());
    response
}

/// What the base layout shows on every page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<'a> {
    /// The page's title, also its heading.
    pub title: &'a str,
    /// The site's name, in the header and the window title.
    pub site_title: &'a str,
    /// Where the site name links.
    pub home_url: &'a str,
    /// The logged-in user's name, `None` when anonymous.
    pub user: Option<&'a str>,
    /// The logout form's action (a POST), shown with the user.
    pub logout_url: Option<&'a str>,
    /// A CSRF token, sent as the hidden `csrf_token` field of every form.
    pub csrf_token: Option<&'a str>,
    /// Messages shown at the top ("The document was saved.").
    pub messages: Vec<String>,
    /// Where the admin's static files are served ([`assets::routes`](crate::assets::routes)):
    /// a change form loads its upload-progress script from here.
    /// [`assets::DEFAULT_URL`](crate::assets::DEFAULT_URL) by default.
    pub assets_url: &'a str,
}

impl<'a> Page<'a> {
    /// A page titled `title` of the site "Administration", anonymous, without messages.
    #[must_use]
    pub fn new(title: &'a str) -> Self {
        Self {
            title,
            site_title: "Administration",
            home_url: "/admin/",
            user: None,
            logout_url: None,
            csrf_token: None,
            messages: Vec::new(),
            assets_url: crate::assets::DEFAULT_URL,
        }
    }

    /// Sets the logged-in user's name.
    #[must_use]
    pub fn user(mut self, user: &'a str) -> Self {
        self.user = Some(user);
        self
    }

    /// Sets the logout form's action.
    #[must_use]
    pub fn logout_url(mut self, url: &'a str) -> Self {
        self.logout_url = Some(url);
        self
    }

    /// Sets the CSRF token.
    #[must_use]
    pub fn csrf_token(mut self, token: &'a str) -> Self {
        self.csrf_token = Some(token);
        self
    }

    /// Adds a message.
    #[must_use]
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.messages.push(message.into());
        self
    }
}

/// One object in a change list: the first cell links to its change page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListRow {
    /// The object's change page.
    pub change_url: String,
    /// The cells, in column order (text is escaped with [`Markup::escape`]; widgets are
    /// rendered read-only).
    pub cells: Vec<Markup>,
}

/// The list of a model's objects (`templates/privates/admin/change_list.html`).
#[derive(Template)]
#[template(path = "privates/admin/change_list.html")]
pub struct ChangeListPage<'a> {
    /// The layout.
    pub page: Page<'a>,
    /// The model's name for people ("ID document").
    pub model_name: &'a str,
    /// The "add" page, `None` to hide the link.
    pub add_url: Option<&'a str>,
    /// The column headings.
    pub columns: Vec<&'a str>,
    /// The objects.
    pub rows: Vec<ListRow>,
}

/// One field of a change form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormRow {
    /// The input's name (its id is `id_{name}`, as Django's).
    pub name: String,
    /// The label.
    pub label: String,
    /// The input: a widget or any other safe markup.
    pub input: Markup,
    /// Validation messages.
    pub errors: Vec<String>,
    /// Help text.
    pub help: Option<String>,
}

impl FormRow {
    /// A row for the input `name` labelled `label`.
    #[must_use]
    pub fn new(name: impl Into<String>, label: impl Into<String>, input: Markup) -> Self {
        Self {
            name: name.into(),
            label: label.into(),
            input,
            errors: Vec::new(),
            help: None,
        }
    }

    /// A row for a widget (a [`FileWidget`](crate::FileWidget) or
    /// [`AdminWidget`](crate::AdminWidget)) named `name`.
    ///
    /// # Errors
    /// When the widget fails to render.
    pub fn widget(
        name: impl Into<String>,
        label: impl Into<String>,
        widget: &impl HtmlSafe,
    ) -> Result<Self, fmt::Error> {
        Ok(Self::new(name, label, Markup::render(widget)?))
    }

    /// Adds validation messages.
    #[must_use]
    pub fn errors<S: Into<String>>(mut self, errors: impl IntoIterator<Item = S>) -> Self {
        self.errors.extend(errors.into_iter().map(Into::into));
        self
    }

    /// Sets the help text.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// An add or change form (`templates/privates/admin/change_form.html`), sent as
/// `multipart/form-data`.
#[derive(Template)]
#[template(path = "privates/admin/change_form.html")]
pub struct ChangeFormPage<'a> {
    /// The layout.
    pub page: Page<'a>,
    /// Where the form posts.
    pub action: &'a str,
    /// The form's id (Django's `{model}_form`).
    pub form_id: &'a str,
    /// Messages about the whole form.
    pub errors: Vec<String>,
    /// The fields.
    pub rows: Vec<FormRow>,
    /// The submit button's text.
    pub submit_label: &'a str,
    /// Object tools shown above the form (Django's `object-tools`): buttons with small forms
    /// of their own, such as [`ShareButton`], and the results of their actions, such as
    /// [`SharedLink`]. Never inside the change form (forms do not nest).
    pub tools: Vec<Markup>,
}

/// A button that POSTs to `action` to mint a share link for one field
/// (`templates/privates/admin/share_button.html`): a small form of its own, for
/// [`ChangeFormPage::tools`]. The form's id is `share_{field}_form`.
///
/// ```
/// use privates_admin::{Markup, pages::ShareButton};
///
/// let button = ShareButton {
///     action: "/admin/docs/iddocument/1/share/pdf/",
///     field: "pdf",
///     label: "PDF",
///     button_label: "Share for 10 minutes",
///     csrf_token: None,
/// };
/// let html = Markup::render(&button).unwrap();
/// assert!(html.as_str().contains(r#"<form method="post" action="/admin/docs/iddocument/1/share/pdf/""#));
/// assert!(html.as_str().contains(r#"<button type="submit">Share for 10 minutes</button>"#));
/// ```
#[derive(Template)]
#[template(path = "privates/admin/share_button.html")]
pub struct ShareButton<'a> {
    /// Where the form posts.
    pub action: &'a str,
    /// The field's name (in the form's id).
    pub field: &'a str,
    /// The field's label, shown before the button.
    pub label: &'a str,
    /// The button's text ("Share for 10 minutes").
    pub button_label: &'a str,
    /// A CSRF token, sent as the hidden `csrf_token` field.
    pub csrf_token: Option<&'a str>,
}

/// A minted share link, shown in a read-only text input ready to be copied
/// (`templates/privates/admin/shared_link.html`), for [`ChangeFormPage::tools`]. The input's
/// id is `shared_{field}_url`.
///
/// ```
/// use privates_admin::{Markup, pages::SharedLink};
///
/// let link = SharedLink {
///     field: "pdf",
///     label: "Share link for PDF",
///     url: "http://example.com/admin/docs/iddocument/1/pdf/shared/?expires=9&sig=x",
///     help: "Anyone with this link can download the file for 10 minutes.",
/// };
/// let html = Markup::render(&link).unwrap();
/// assert!(html.as_str().contains(r#"value="http://example.com/admin/docs/iddocument/1/pdf/shared/?expires=9&#38;sig=x" readonly"#));
/// ```
#[derive(Template)]
#[template(path = "privates/admin/shared_link.html")]
pub struct SharedLink<'a> {
    /// The field's name (in the input's id).
    pub field: &'a str,
    /// The input's label.
    pub label: &'a str,
    /// The link (absolute, so that it can be sent anywhere).
    pub url: &'a str,
    /// Help text under the link (how long it works, who can use it).
    pub help: &'a str,
}

/// Both templates escape every value.
impl HtmlSafe for ShareButton<'_> {}

/// Both templates escape every value.
impl HtmlSafe for SharedLink<'_> {}

/// The login page (`templates/privates/admin/login.html`): fields `email`, `password`, and
/// `next` when given.
#[derive(Template)]
#[template(path = "privates/admin/login.html")]
pub struct LoginPage<'a> {
    /// The layout.
    pub page: Page<'a>,
    /// Where the form posts.
    pub action: &'a str,
    /// The email typed before (kept after a failed attempt).
    pub email: &'a str,
    /// Where to go after logging in.
    pub next: Option<&'a str>,
    /// Why the last attempt failed.
    pub error: Option<&'a str>,
}

/// A refusal or failure page (`templates/privates/admin/error.html`): 403, 404, 413...
#[derive(Template)]
#[template(path = "privates/admin/error.html")]
pub struct ErrorPage<'a> {
    /// The layout.
    pub page: Page<'a>,
    /// The HTTP status code.
    pub status: u16,
    /// What happened, for a person.
    pub message: &'a str,
}
