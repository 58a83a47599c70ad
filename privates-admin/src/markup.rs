//! [`Markup`]: HTML that is already safe, so askama writes it as it is.

use std::fmt;

use askama::filters::{Escaper, Html, HtmlSafe};

/// A piece of HTML that is already safe to write into a page: askama does not escape it again
/// (it implements [`HtmlSafe`]), so `{{ row.input }}` in a template writes the markup itself.
///
/// Build it from something that escapes ([`Markup::escape`], [`Markup::text_input`], a
/// rendered widget or askama template) or, for HTML you wrote yourself, with
/// [`Markup::trusted`].
///
/// ```
/// use privates_admin::Markup;
///
/// assert_eq!(Markup::escape("<b>&").as_str(), "&#60;b&#62;&#38;");
/// assert_eq!(
///     Markup::text_input("title", "a \"quoted\" title").as_str(),
///     r#"<input type="text" name="title" id="id_title" value="a &#34;quoted&#34; title">"#
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Markup(String);

impl Markup {
    /// Markup from HTML the application wrote itself. Never pass user data here: escape it
    /// with [`Markup::escape`] or render it through an askama template.
    #[must_use]
    pub fn trusted(html: impl Into<String>) -> Self {
        Self(html.into())
    }

    /// Text, HTML-escaped (the characters `<`, `>`, `&`, `"` and `'`).
    #[must_use]
    pub fn escape(text: &str) -> Self {
        let mut out = String::with_capacity(text.len());
        // Writing into a `String` cannot fail.
        let _ = Html.write_escaped_str(&mut out, text);
        Self(out)
    }

    /// A single-line text input `name` holding `value`, both escaped, with Django's
    /// `id_<name>` id.
    #[must_use]
    pub fn text_input(name: &str, value: &str) -> Self {
        let name = Self::escape(name);
        let value = Self::escape(value);
        Self(format!(
            r#"<input type="text" name="{name}" id="id_{name}" value="{value}">"#
        ))
    }

    /// Renders an askama template (or anything whose `Display` writes safe HTML, such as a
    /// [`FileWidget`](crate::FileWidget)) into markup.
    ///
    /// # Errors
    /// When rendering fails.
    pub fn render(html: &(impl HtmlSafe + ?Sized)) -> Result<Self, fmt::Error> {
        use fmt::Write as _;
        let mut out = String::new();
        write!(out, "{html}")?;
        Ok(Self(out))
    }

    /// The HTML.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The HTML, owned.
    #[must_use]
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Markup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl HtmlSafe for Markup {}
