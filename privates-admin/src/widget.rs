//! The admin widget of a private field: django-privates' clearable private file input, its
//! no-download, read-only and image variants.
//!
//! A [`FileWidget`] is built from a typed field handle and the object (or none, on an "add"
//! form) and renders through the askama templates under `templates/privates/widgets/`. It
//! implements askama's [`HtmlSafe`], so it drops into a page unescaped:
//!
//! ```
//! # use privates::{Field, FieldSpec, PrivateMedia};
//! # #[derive(Debug)] struct Doc { id: i32, pdf: Option<String> }
//! # static PDF: FieldSpec = FieldSpec { optional: true, ..FieldSpec::file("pdf") };
//! # static FIELDS: [Field<Doc>; 1] = [Field { spec: &PDF, get: |d| d.pdf.as_deref() }];
//! # impl Doc { const PDF: Field<Self> = Field { spec: &PDF, get: |d| d.pdf.as_deref() }; }
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
//! #[template(source = "<form>{{ doc.widget(Doc::PDF) }}</form>", ext = "html")]
//! struct Page<'a> { doc: &'a Doc }
//!
//! let doc = Doc { id: 7, pdf: Some("scans/<me>.pdf".into()) };
//! let html = Page { doc: &doc }.render().unwrap();
//! assert!(html.contains(r#"<a href="/admin/docs/iddocument/7/pdf/">scans/&#60;me&#62;.pdf</a>"#));
//! ```

use std::{borrow::Cow, fmt};

use askama::{Template, filters::HtmlSafe};
use privates::{Field, FieldKind, FieldSpec, PrivateMedia};

use crate::{
    facts::{FileFacts, FileSize},
    upload::sniff::IMAGE_CONTENT_TYPES,
    url::{UrlPrefix, download_path},
};

/// Whether the widget is a form input or a read-only display.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WidgetMode {
    /// The clearable file input of a change form.
    #[default]
    Edit,
    /// Django's read-only field: the current file (still a link), no input.
    ReadOnly,
}

/// The words a widget shows (Django's `initial_text`, `input_text`, `clear_checkbox_label`,
/// and the admin's `empty_value_display`). English by default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WidgetLabels {
    /// Before the current file: "Currently".
    pub currently: Cow<'static, str>,
    /// Before the file input: "Change".
    pub change: Cow<'static, str>,
    /// The clear checkbox's label: "Clear".
    pub clear: Cow<'static, str>,
    /// A read-only field without a file: "-".
    pub empty: Cow<'static, str>,
    /// Instead of the size and type of a file missing from the storage: "missing".
    pub missing: Cow<'static, str>,
    /// Instead of the size when the storage could not tell it: "size unknown".
    pub size_unknown: Cow<'static, str>,
}

impl WidgetLabels {
    /// The English words, the default.
    pub const ENGLISH: Self = Self {
        currently: Cow::Borrowed("Currently"),
        change: Cow::Borrowed("Change"),
        clear: Cow::Borrowed("Clear"),
        empty: Cow::Borrowed("-"),
        missing: Cow::Borrowed("missing"),
        size_unknown: Cow::Borrowed("size unknown"),
    };
}

/// What a widget uses unless given other [`labels`](FileWidget::labels).
static ENGLISH: WidgetLabels = WidgetLabels::ENGLISH;

impl Default for WidgetLabels {
    fn default() -> Self {
        Self::ENGLISH
    }
}

/// The widget of one private field, for one object.
///
/// Rendering (its `Display`) HTML-escapes the stored name and every attribute; the link is the
/// field's protected download URL, built from the object's key (percent-encoded) and static
/// labels, so a stored name never ends up in an `href`. Given the file's
/// [facts](Self::facts), it shows its size and type after the name:
/// `report.pdf (2.4 MB, application/pdf)`, or `report.pdf (missing)`.
#[derive(Clone, Debug)]
pub struct FileWidget<'a> {
    spec: &'static FieldSpec,
    input_name: Cow<'a, str>,
    stored: Option<&'a str>,
    url: Option<String>,
    downloadable: bool,
    mode: WidgetMode,
    labels: &'a WidgetLabels,
    facts: Option<FileFacts>,
    thumbnail: bool,
    direct_upload: Option<String>,
}

impl<'a> FileWidget<'a> {
    /// The edit widget of `field` on `object`, linking to the download route under the model's
    /// [`URL_PREFIX`](PrivateMedia::URL_PREFIX).
    #[must_use]
    pub fn new<M: PrivateMedia>(field: Field<M>, object: &'a M) -> Self {
        Self::build(field, Some(object), &UrlPrefix::new(M::URL_PREFIX))
    }

    /// The edit widget of `field` on an "add" form: only the file input.
    #[must_use]
    pub fn empty<M: PrivateMedia>(field: Field<M>) -> Self {
        Self::build(field, None, &UrlPrefix::new(M::URL_PREFIX))
    }

    /// The edit widget of `field` on `object` (`None` on an "add" form), with download links
    /// under `prefix`.
    #[must_use]
    pub fn build<M: PrivateMedia>(
        field: Field<M>,
        object: Option<&'a M>,
        prefix: &UrlPrefix,
    ) -> Self {
        let stored = object.and_then(|object| field.stored_name(object));
        let url = object.map(|object| {
            download_path(
                prefix,
                M::APP,
                M::MODEL,
                &object.pk().to_string(),
                field.name(),
            )
        });
        Self {
            spec: field.spec,
            input_name: Cow::Borrowed(field.name()),
            stored,
            url,
            downloadable: !field.spec.no_download,
            mode: WidgetMode::Edit,
            labels: &ENGLISH,
            facts: None,
            thumbnail: true,
            direct_upload: None,
        }
    }

    /// The read-only variant (Django's `readonly_fields`): the current file as a link to its
    /// protected URL (a thumbnail too for images), or `-` when empty.
    #[must_use]
    pub fn read_only(mut self) -> Self {
        self.mode = WidgetMode::ReadOnly;
        self
    }

    /// Sets the mode.
    #[must_use]
    pub fn mode(mut self, mode: WidgetMode) -> Self {
        self.mode = mode;
        self
    }

    /// Whether the file may be downloaded from this page: `false` shows the name without a
    /// link (django-privates' `private_media_no_download_fields`). Defaults to the field's own
    /// `no_download`.
    #[must_use]
    pub fn downloadable(mut self, downloadable: bool) -> Self {
        self.downloadable = downloadable;
        self
    }

    /// Whether an image field shows its [thumbnail](crate::thumbnail) (a small image from
    /// the route `{download URL}thumbnail/`, which [`ModelAdmin::routes`](crate::ModelAdmin::routes)
    /// registers) above its link: on by default for image fields; `false` shows the link
    /// alone (what a [`ModelAdmin`](crate::ModelAdmin) does for an image whose thumbnail
    /// could not be made, and for a field without a thumbnail route).
    #[must_use]
    pub fn thumbnail(mut self, shown: bool) -> Self {
        self.thumbnail = shown;
        self
    }

    /// The issuing route of [direct uploads](crate::direct) of the field's model, which the
    /// file input carries in `data-direct-upload` for the change form's script; `None`: the
    /// form carries the file.
    #[must_use]
    pub fn direct_upload(mut self, url: Option<String>) -> Self {
        self.direct_upload = url;
        self
    }

    /// The URL of the thumbnail the widget shows, `None` when it shows none (not an image
    /// field, nothing stored, no download link, or [`thumbnail`](Self::thumbnail) off).
    #[must_use]
    pub fn thumbnail_url(&self) -> Option<String> {
        let shown = self.thumbnail && self.spec.kind == FieldKind::Image;
        self.download_url()
            .filter(|_| shown)
            .map(|url| format!("{}/thumbnail/", url.trim_end_matches('/')))
    }

    /// Prefixes the input's name, for inline use (a child object's field in the parent's
    /// form): `prefix("children-0-")` names the input `children-0-pdf` and the clear checkbox
    /// `children-0-pdf-clear`. Give the upload handling the same prefix
    /// ([`UploadOptions::prefix`](crate::upload::UploadOptions::prefix)).
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.input_name = Cow::Owned(format!("{prefix}{}", self.spec.name));
        self
    }

    /// Links to `url` instead of the default download route (for a custom view mounted
    /// elsewhere). The URL is written HTML-escaped; it must come from the application, never
    /// from user data.
    #[must_use]
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Uses other words ("Currently", "Change", "Clear", "-", "missing", "size unknown").
    #[must_use]
    pub fn labels(mut self, labels: &'a WidgetLabels) -> Self {
        self.labels = labels;
        self
    }

    /// Shows the current file's size and type after its name (read them with
    /// [`FileFacts::read`] or [`ModelAdmin::facts`](crate::ModelAdmin::facts)). Without
    /// facts, or when the field is empty, nothing is shown.
    ///
    /// ```
    /// # use privates::{Field, FieldSpec, PrivateMedia};
    /// # #[derive(Debug)] struct Doc { id: i32, pdf: Option<String> }
    /// # static PDF: FieldSpec = FieldSpec { optional: true, ..FieldSpec::file("pdf") };
    /// # static FIELDS: [Field<Doc>; 1] = [Field { spec: &PDF, get: |d| d.pdf.as_deref() }];
    /// # impl Doc { const PDF: Field<Self> = FIELDS[0]; }
    /// # impl PrivateMedia for Doc {
    /// #     type Pk = i32;
    /// #     const APP: &'static str = "docs";
    /// #     const MODEL: &'static str = "iddocument";
    /// #     const PERMISSION: &'static str = "docs.can_change_iddocument";
    /// #     fn fields() -> &'static [Field<Self>] { &FIELDS }
    /// #     fn pk(&self) -> i32 { self.id }
    /// # }
    /// use privates_admin::{WidgetExt, facts::{FileFacts, FileSize}};
    ///
    /// let doc = Doc { id: 7, pdf: Some("report.pdf".into()) };
    /// let facts = FileFacts { size: FileSize::Bytes(2_400_000), content_type: "application/pdf".into() };
    /// let html = doc.readonly_widget(Doc::PDF).facts(facts).to_string();
    /// assert_eq!(html, concat!(
    ///     r#"<a href="/admin/docs/iddocument/7/pdf/">report.pdf</a> "#,
    ///     r#"<span class="file-facts">(<span class="file-size">2.4 MB</span>, "#,
    ///     r#"<span class="file-type">application/pdf</span>)</span>"#,
    /// ));
    /// let missing = FileFacts { size: FileSize::Missing, content_type: "application/pdf".into() };
    /// let html = doc.readonly_widget(Doc::PDF).facts(missing).to_string();
    /// assert!(html.ends_with(r#"</a> <span class="file-facts file-missing">(missing)</span>"#));
    /// ```
    #[must_use]
    pub fn facts(mut self, facts: FileFacts) -> Self {
        self.facts = Some(facts);
        self
    }

    /// The current file's facts, when given.
    #[must_use]
    pub fn file_facts(&self) -> Option<&FileFacts> {
        self.facts.as_ref()
    }

    /// The field's description.
    #[must_use]
    pub fn spec(&self) -> &'static FieldSpec {
        self.spec
    }

    /// The form input's name (the field name, prefixed for inline use).
    #[must_use]
    pub fn input_name(&self) -> &str {
        &self.input_name
    }

    /// The stored name of the current file, `None` when the field is empty.
    #[must_use]
    pub fn stored_name(&self) -> Option<&'a str> {
        self.stored
    }

    /// The protected download URL the widget links to: `None` when nothing is stored or the
    /// file may not be downloaded from this page.
    #[must_use]
    pub fn download_url(&self) -> Option<&str> {
        match (self.stored, self.downloadable) {
            (Some(_), true) => self.url.as_deref(),
            _ => None,
        }
    }

    /// The mode.
    #[must_use]
    pub fn widget_mode(&self) -> WidgetMode {
        self.mode
    }

    /// The template data of this widget.
    fn view(&self) -> View<'_> {
        let name = self.input_name.as_ref();
        let current = self.stored.map(|stored| Current {
            name: stored,
            url: self.download_url().unwrap_or_default(),
            thumbnail: self.thumbnail_url().unwrap_or_default(),
            facts: self.facts.as_ref().map(|facts| FactsView {
                size: match facts.size {
                    FileSize::Bytes(_) => Cow::Owned(facts.size.to_string()),
                    FileSize::Missing => Cow::Borrowed(&self.labels.missing),
                    FileSize::Unknown => Cow::Borrowed(&self.labels.size_unknown),
                },
                content_type: &facts.content_type,
                missing: facts.is_missing(),
            }),
        });
        View {
            name,
            input_id: format!("id_{name}"),
            checkbox_name: format!("{name}-clear"),
            checkbox_id: format!("{name}-clear_id"),
            current,
            clearable: self.spec.optional,
            required: !self.spec.optional && self.stored.is_none(),
            accept: accept(self.spec),
            labels: self.labels,
            direct_upload: self.direct_upload.as_deref(),
        }
    }
}

impl fmt::Display for FileWidget<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = &self.view();
        let downloadable = w.current.as_ref().is_some_and(|c| !c.url.is_empty());
        let rendered = match self.mode {
            WidgetMode::ReadOnly => ReadOnlyFile { w }.render(),
            WidgetMode::Edit if w.current.as_ref().is_some_and(|c| !c.thumbnail.is_empty()) => {
                ClearableImageInput { w }.render()
            }
            WidgetMode::Edit if downloadable || w.current.is_none() => {
                ClearableFileInput { w }.render()
            }
            WidgetMode::Edit => NoDownloadFileInput { w }.render(),
        };
        // A template error cannot carry a message through `fmt::Error`; log it.
        match rendered {
            Ok(html) => f.write_str(&html),
            Err(err) => {
                tracing::error!(
                    field = self.spec.name,
                    "privates-admin: widget rendering failed: {err}"
                );
                Err(fmt::Error)
            }
        }
    }
}

/// The output is built by templates that escape every value.
impl HtmlSafe for FileWidget<'_> {}

/// Widgets straight from a model object: `{{ doc.widget(Doc::PDF) }}` in an askama template.
pub trait WidgetExt: PrivateMedia {
    /// The edit widget of `field` on this object.
    fn widget(&self, field: Field<Self>) -> FileWidget<'_> {
        FileWidget::new(field, self)
    }

    /// The read-only widget of `field` on this object.
    fn readonly_widget(&self, field: Field<Self>) -> FileWidget<'_> {
        FileWidget::new(field, self).read_only()
    }
}

impl<M: PrivateMedia> WidgetExt for M {}

/// The `accept` attribute: the field's accepted types, or the decodable image types for an
/// image field.
fn accept(spec: &FieldSpec) -> Option<String> {
    let types: Vec<&str> = match (spec.kind, spec.limits.content_types) {
        (FieldKind::File, []) => return None,
        (FieldKind::File, types) => types.to_vec(),
        (FieldKind::Image, []) => IMAGE_CONTENT_TYPES.to_vec(),
        (FieldKind::Image, types) => types.to_vec(),
    };
    Some(types.join(","))
}

/// What the widget templates read.
struct View<'a> {
    name: &'a str,
    input_id: String,
    checkbox_name: String,
    checkbox_id: String,
    current: Option<Current<'a>>,
    clearable: bool,
    required: bool,
    accept: Option<String>,
    labels: &'a WidgetLabels,
    direct_upload: Option<&'a str>,
}

/// The file currently stored.
struct Current<'a> {
    name: &'a str,
    /// Empty when there is no link.
    url: &'a str,
    /// The thumbnail's URL, empty when none is shown.
    thumbnail: String,
    /// Its size and type, when read.
    facts: Option<FactsView<'a>>,
}

/// The facts of the current file, as shown.
struct FactsView<'a> {
    /// `2.4 MB`, or the label for a missing file or an unknown size.
    size: Cow<'a, str>,
    content_type: &'a str,
    /// The file is missing: only the label is shown.
    missing: bool,
}

#[derive(Template)]
#[template(path = "privates/widgets/clearable_private_file_input.html")]
struct ClearableFileInput<'a> {
    w: &'a View<'a>,
}

#[derive(Template)]
#[template(path = "privates/widgets/clearable_private_file_input_no_download.html")]
struct NoDownloadFileInput<'a> {
    w: &'a View<'a>,
}

#[derive(Template)]
#[template(path = "privates/widgets/clearable_private_image_input.html")]
struct ClearableImageInput<'a> {
    w: &'a View<'a>,
}

#[derive(Template)]
#[template(path = "privates/widgets/readonly_private_file.html")]
struct ReadOnlyFile<'a> {
    w: &'a View<'a>,
}
