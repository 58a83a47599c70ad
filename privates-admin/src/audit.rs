//! "Who opened this file" (feature `audit`): the recorded decisions about one object, from
//! privates-audit's table, shown only to holders of [`VIEW_AUDIT`] — a permission of its own,
//! since knowing who looked at a passport scan is itself sensitive.
//!
//! - [`ModelAdmin::access_log`] gives the latest events of an object for its change page
//!   (`None` for a user without the permission, who then sees no trace of it);
//! - [`ModelAdmin::access_routes`] serves the whole log on a page of its own,
//!   `{prefix}/{app}/{model}/{pk}/access/`: 401 (or the login redirect) and 403 as the
//!   download view refuses, 404 for an unknown object.

use std::str::FromStr;

use askama::{Template, filters::HtmlSafe};
use axum::{
    extract::{Path, State},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use http::{StatusCode, request::Parts};
use loco_rs::{app::AppContext, controller::Routes};
use privates::{Decision, FindByPk, PrivateMedia, Privates, refuse};
pub use privates_audit::VIEW_AUDIT;
use privates_audit::{entities::events, query};

use crate::{ModelAdmin, pages::Page, url::route_path};

/// How many events the page of its own shows (the newest).
pub const PAGE_LIMIT: u64 = 500;

/// An object's events, newest first (`templates/privates/admin/access_log.html`): a block for
/// the change page ([`Markup::render`](crate::Markup::render) it into
/// [`ChangeFormPage::tools`](crate::pages::ChangeFormPage::tools)) or the page of its own.
#[derive(Clone, Debug, PartialEq, Eq, Template)]
#[template(path = "privates/admin/access_log.html")]
pub struct AccessLog {
    /// One row per event.
    pub rows: Vec<AccessRow>,
}

/// One event, as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRow {
    /// When, UTC.
    pub at: String,
    /// `user 3`, `anonymous`, `share link (expires …)`.
    pub who: String,
    /// The field and the stored name.
    pub field: String,
    /// `served (nginx)`, `refused 403 (permission)`.
    pub outcome: String,
    /// The client's address, `-` when unknown.
    pub client: String,
}

/// The template escapes every value.
impl HtmlSafe for AccessLog {}

impl AccessLog {
    /// The log of `events`.
    #[must_use]
    pub fn new(events: &[events::Model]) -> Self {
        let rows = events
            .iter()
            .map(|event| {
                let at = privates_audit::show_time(event.at_ms);
                let who = match (event.who.as_str(), &event.user_id) {
                    ("user", Some(id)) => format!("user {id}"),
                    ("link", _) => "share link".to_owned(),
                    (who, _) => who.to_owned(),
                };
                let outcome = match (&event.backend, &event.refused_by) {
                    (Some(backend), _) => format!("served ({backend})"),
                    (None, check) => format!(
                        "refused {} ({})",
                        event.status,
                        check.as_deref().unwrap_or("-")
                    ),
                };
                AccessRow {
                    at,
                    who,
                    field: match &event.name {
                        Some(name) => format!("{}: {name}", event.field),
                        None => event.field.clone(),
                    },
                    outcome,
                    client: event.client.clone().unwrap_or_else(|| "-".to_owned()),
                }
            })
            .collect();
        Self { rows }
    }
}

/// The access log on a page of its own.
#[derive(Template)]
#[template(path = "privates/admin/access_log_page.html")]
pub struct AccessLogPage<'a> {
    /// The layout.
    pub page: Page<'a>,
    /// The log.
    pub log: AccessLog,
}

impl<M: PrivateMedia> ModelAdmin<M> {
    /// The latest `limit` events about `object`, when the request's user holds
    /// [`VIEW_AUDIT`]; `Ok(None)` otherwise.
    ///
    /// # Errors
    /// When privates is not initialised, or the permission store or the database fails.
    pub async fn access_log(
        &self,
        ctx: &AppContext,
        parts: &Parts,
        object: &M,
        limit: u64,
    ) -> loco_rs::Result<Option<AccessLog>> {
        let privates = Privates::from_ctx(ctx)?;
        if privates.decide(parts, ctx, VIEW_AUDIT).await? != Decision::Allowed {
            return Ok(None);
        }
        Ok(Some(
            events_of::<M>(ctx, &object.pk().to_string(), limit).await?,
        ))
    }
}

async fn events_of<M: PrivateMedia>(
    ctx: &AppContext,
    pk: &str,
    limit: u64,
) -> loco_rs::Result<AccessLog> {
    let filter = query::Filter {
        object: Some((M::APP.to_owned(), M::MODEL.to_owned(), Some(pk.to_owned()))),
        limit: Some(limit),
        ..query::Filter::default()
    };
    let events = query::events(&ctx.db, &filter)
        .await
        .map_err(|err| loco_rs::Error::Message(format!("privates-admin: the access log: {err}")))?;
    Ok(AccessLog::new(&events))
}

impl<M: PrivateMedia + FindByPk> ModelAdmin<M> {
    /// The route of the access log's own page, `{prefix}/{app}/{model}/{pk}/access/` (a
    /// model with a private field named `access` would need another prefix).
    #[must_use]
    pub fn access_routes(&self) -> Routes {
        let path = route_path(self.url_prefix(), M::APP, M::MODEL, "access");
        Routes::new().add(&path, get(access_page::<M>))
    }
}

async fn access_page<M: PrivateMedia + FindByPk>(
    State(ctx): State<AppContext>,
    Path(pk): Path<String>,
    parts: Parts,
) -> Response {
    match render_access_page::<M>(&ctx, &parts, &pk).await {
        Ok(response) | Err(response) => response,
    }
}

async fn render_access_page<M: PrivateMedia + FindByPk>(
    ctx: &AppContext,
    parts: &Parts,
    pk: &str,
) -> Result<Response, Response> {
    let internal = |err: &dyn std::fmt::Display| {
        tracing::error!("privates-admin: the access log page: {err}");
        refuse(parts, StatusCode::INTERNAL_SERVER_ERROR)
    };
    let privates = Privates::from_ctx(ctx).map_err(|err| internal(&err))?;
    // The permission before the object (no existence leak), as the download view.
    if let Some(refusal) = privates
        .require(parts, ctx, VIEW_AUDIT)
        .await
        .map_err(|err| internal(&err))?
    {
        return Err(refusal);
    }
    // The key's parse error is not held across the lookup (it need not be `Send`).
    let key = M::Pk::from_str(pk).ok();
    let found = match key {
        Some(key) => M::find_by_pk(ctx, &key)
            .await
            .map_err(|err| internal(&err))?,
        None => None,
    };
    let Some(object) = found else {
        return Err(refuse(parts, StatusCode::NOT_FOUND));
    };
    let log = events_of::<M>(ctx, &object.pk().to_string(), PAGE_LIMIT)
        .await
        .map_err(|err| internal(&err))?;
    let title = format!(
        "Who opened the files of {}.{} {}",
        M::APP,
        M::MODEL,
        object.pk()
    );
    let page = AccessLogPage {
        page: Page::new(&title),
        log,
    };
    let html = page.render().map_err(|err| internal(&err))?;
    let mut response = Html(html).into_response();
    crate::pages::admin_headers_on(response.headers_mut());
    Ok(response)
}
