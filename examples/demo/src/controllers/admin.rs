//! The ID documents' admin: the list, the add and change forms (multipart, through
//! privates-admin's upload handling) and the protected downloads of their files. The site's
//! `/` leads to the list.
//!
//! Both the list and the change form show each file's size and type next to its link
//! ([`ModelAdmin::facts`], read from the configured storage); a file missing from the storage
//! shows "missing" and the page is still served. An image shows its thumbnail (made on first
//! view under the app's image-decoding memory, `with_budget`), or its link alone when none
//! can be made. The forms load privates-admin's upload-progress script (its route is in
//! `app.rs`); without it they are plain posts.
//!
//! Every page requires the model's permission (`docs.can_change_iddocument`) through
//! [`ModelAdmin::require`]: an anonymous browser is sent to the login page with `?next=`, a
//! user without the permission gets the HTML 403 page. Every form carries a CSRF token
//! ([`CsrfToken`]) that is checked, with the request's origin, before anything changes:
//! [`ModelAdmin::receive`] for the add and change forms (clearing included),
//! [`checked_form`] for the share button. The pages carry privates-admin's security headers
//! ([`admin_headers`]).
//!
//! Direct uploads ([`privates_admin::direct`]) are on: on S3 the browser `PUT`s each file to
//! the bucket through a presigned URL and the form carries a ticket, checked and saved through
//! the same `receive` and compare-and-set as a file sent with the form.
//!
//! Saving a change is a compare-and-set on the file columns (`save_files`): if another
//! editor saved a file in between, this save changes nothing, its new uploads are removed,
//! and the form comes back with a message; a replaced file is deleted only once the row no
//! longer names it.
//!
//! The change page offers a "Share for 10 minutes" button for each file the user may
//! download ([`ModelAdmin::may_share`]): it POSTs to [`share_url`], which mints a signed link
//! ([`ModelAdmin::share_url`]) and shows it, ready to be copied. The link works without
//! logging in until it expires, or until the file is replaced (see [`privates::share`]).

use std::time::Duration;

use axum::{
    extract::{Path, Request, State},
    middleware::map_response,
    response::{IntoResponse, Redirect, Response},
};
use http::{StatusCode, header, request::Parts, uri::Authority};
use loco_rs::{app::AppContext, controller::Routes, prelude::*};
use privates::{Field, PrivateMedia, Privates, share::ShareError};
use privates_admin::{
    AdminState, CsrfToken, Facts, Markup, ModelAdmin, Submission, UploadError,
    csrf::checked_form,
    pages::{
        ChangeFormPage, ChangeListPage, FormRow, ListRow, ShareButton, SharedLink, admin_headers,
    },
    upload::compare_and_set,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder, sea_query::Expr};

use super::pages::{error_page, layout, render};
use super::session;
use crate::models::{iddocuments, users};

type Doc = iddocuments::Model;

/// The change list.
pub const LIST: &str = "/admin/docs/iddocument/";
/// The add form.
pub const ADD: &str = "/admin/docs/iddocument/add/";

/// The admin registration of ID documents: every private field, downloads under `/admin`,
/// direct uploads on: with the S3 storage (`config/s3.yaml`) the browser sends each file
/// straight to the bucket and the form carries its ticket; with the local disk the issuing
/// route answers 409 and the form carries the file.
#[must_use]
pub fn admin() -> ModelAdmin<Doc> {
    ModelAdmin::new().direct_uploads(privates_admin::direct::DEFAULT_TTL)
}

/// The change form of document `pk`.
#[must_use]
pub fn change_url(pk: i32) -> String {
    format!("/admin/docs/iddocument/{pk}/change/")
}

/// How many of the latest audit events the change page shows (the access page shows more).
const ACCESS_LOG_ROWS: u64 = 10;

/// How long a link minted with the share button works.
pub const SHARE_TTL: Duration = Duration::from_secs(600);

/// The share button's text.
pub const SHARE_LABEL: &str = "Share for 10 minutes";

/// Where the share button of `field` on document `pk` posts.
#[must_use]
pub fn share_url(pk: i32, field: &str) -> String {
    format!("/admin/docs/iddocument/{pk}/share/{field}/")
}

/// The label of a private field in the forms.
fn label(field: Field<Doc>) -> &'static str {
    if field.name() == Doc::MUGSHOT.name() {
        "Mugshot"
    } else {
        "PDF"
    }
}

/// The logged-in user holding the admin's permission, or the refusal to answer with.
async fn guard(
    ctx: &AppContext,
    parts: &Parts,
    admin: &ModelAdmin<Doc>,
    csrf: &CsrfToken,
) -> Result<std::result::Result<users::Model, Response>> {
    if let Some(refusal) = admin.require(ctx, parts).await? {
        if refusal.status() == StatusCode::FORBIDDEN {
            let user = session::current_user(parts, ctx).await?;
            return error_page(
                StatusCode::FORBIDDEN,
                "You do not have permission to manage ID documents.",
                user.as_ref(),
                csrf,
            )
            .map(Err);
        }
        return Ok(Err(refusal));
    }
    // `require` authenticated the request already; a session that vanished in between is
    // treated as anonymous.
    match session::current_user(parts, ctx).await? {
        Some(user) => Ok(Ok(user)),
        None => Ok(Err(StatusCode::UNAUTHORIZED.into_response())),
    }
}

/// Evaluates to the user, or returns the refusal.
macro_rules! guarded {
    ($ctx:expr, $parts:expr, $admin:expr, $csrf:expr) => {
        match guard($ctx, $parts, $admin, $csrf).await? {
            Ok(user) => user,
            Err(refusal) => return Ok(refusal),
        }
    };
}

/// Evaluates to the user and the document `pk` names, or returns the refusal (a 404 page for
/// a malformed or unknown key).
macro_rules! guarded_doc {
    ($ctx:expr, $parts:expr, $admin:expr, $csrf:expr, $pk:expr) => {{
        let user = guarded!($ctx, $parts, $admin, $csrf);
        match find($ctx, $pk).await? {
            Some(doc) => (user, doc),
            None => {
                return error_page(
                    StatusCode::NOT_FOUND,
                    "There is no ID document with this key.",
                    Some(&user),
                    $csrf,
                );
            }
        }
    }};
}

/// The document `pk` names, `None` for a malformed or unknown key.
async fn find(ctx: &AppContext, pk: &str) -> Result<Option<Doc>> {
    let Ok(id) = pk.parse::<i32>() else {
        return Ok(None);
    };
    Ok(iddocuments::Entity::find_by_id(id).one(&ctx.db).await?)
}

async fn list(State(ctx): State<AppContext>, csrf: CsrfToken, parts: Parts) -> Result<Response> {
    let admin = admin();
    let user = guarded!(&ctx, &parts, &admin, &csrf);
    let docs = iddocuments::Entity::find()
        .order_by_asc(iddocuments::Column::Id)
        .all(&ctx.db)
        .await?;
    let facts = with_budget(&ctx, &admin)?
        .facts_of_each(Privates::from_ctx(&ctx)?.files(), &docs)
        .await;
    let rows = docs
        .iter()
        .zip(&facts)
        .map(|(doc, facts)| {
            let title = if doc.title.is_empty() {
                format!("ID document {}", doc.id)
            } else {
                doc.title.clone()
            };
            let widget =
                |field| Markup::render(&admin.readonly_widget_with_facts(field, doc, facts));
            Ok(ListRow {
                change_url: change_url(doc.id),
                cells: vec![
                    Markup::escape(&title),
                    widget(Doc::PDF)?,
                    widget(Doc::MUGSHOT)?,
                ],
            })
        })
        .collect::<std::result::Result<Vec<_>, std::fmt::Error>>()
        .map_err(|err| Error::Message(format!("rendering a widget failed: {err}")))?;
    render(
        StatusCode::OK,
        &ChangeListPage {
            page: layout("Select ID document to change", Some(&user), &csrf),
            model_name: "ID document",
            add_url: Some(ADD),
            columns: vec!["Title", "PDF", "Mugshot"],
            rows,
        },
    )
}

/// `admin` sharing the app's image-decoding memory with the uploads, for reading facts (which
/// makes the thumbnails of images that have none yet).
fn with_budget(ctx: &AppContext, admin: &ModelAdmin<Doc>) -> Result<ModelAdmin<Doc>> {
    let state = AdminState::from_ctx(ctx).map_err(|err| Error::Message(err.to_string()))?;
    Ok(admin.clone().decode_budget(state.decode))
}

/// What a form shows besides the object: the values typed and the messages.
#[derive(Default)]
struct FormState<'a> {
    /// The title typed (or stored).
    title: &'a str,
    /// Messages about the whole form.
    errors: Vec<String>,
    /// The received form, for its per-field messages.
    submission: Option<&'a Submission>,
    /// Messages at the top of the page.
    messages: Vec<String>,
    /// Object tools above the form: share buttons, a minted link.
    tools: Vec<Markup>,
}

/// The add form (`doc` is `None`) or the change form of `doc`, its files shown with their
/// size and type (read from the storage; a missing file says so).
async fn form_page(
    ctx: &AppContext,
    status: StatusCode,
    admin: &ModelAdmin<Doc>,
    user: &users::Model,
    doc: Option<&Doc>,
    state: FormState<'_>,
    csrf: &CsrfToken,
) -> Result<Response> {
    let field_errors = |name: &str| -> Vec<String> {
        state
            .submission
            .map(|s| s.field_errors(name).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let facts = match doc {
        Some(doc) => {
            with_budget(ctx, admin)?
                .facts(Privates::from_ctx(ctx)?.files(), doc)
                .await
        }
        None => Facts::default(),
    };
    let file_row = |field: Field<Doc>, help: &str| {
        FormRow::widget(
            field.name(),
            label(field),
            &admin.widget_with_facts(field, doc, &facts),
        )
        .map(|row| row.errors(field_errors(field.name())).help(help))
        .map_err(|err| Error::Message(format!("rendering a widget failed: {err}")))
    };
    let rows = vec![
        FormRow::new("title", "Title", Markup::text_input("title", state.title))
            .errors(field_errors("title")),
        file_row(Doc::PDF, "A PDF file, at most 20 MiB.")?,
        file_row(
            Doc::MUGSHOT,
            "A PNG, JPEG, GIF or WebP image, at most 5 MiB.",
        )?,
    ];
    let (title, action) = match doc {
        Some(doc) => ("Change ID document", change_url(doc.id)),
        None => ("Add ID document", ADD.to_owned()),
    };
    let mut page = layout(title, Some(user), csrf);
    page.messages = state.messages;
    render(
        status,
        &ChangeFormPage {
            page,
            action: &action,
            form_id: "iddocument_form",
            errors: state.errors,
            rows,
            submit_label: "Save",
            tools: state.tools,
        },
    )
}

fn render_error(err: std::fmt::Error) -> Error {
    Error::Message(format!("rendering a page part failed: {err}"))
}

/// The share buttons of `doc` for the user of `parts`: one per file they may download.
async fn share_buttons(
    ctx: &AppContext,
    parts: &Parts,
    admin: &ModelAdmin<Doc>,
    doc: &Doc,
    csrf: &CsrfToken,
) -> Result<Vec<Markup>> {
    let mut buttons = Vec::new();
    for &field in admin.fields() {
        if admin.may_share(ctx, parts, doc, field).await? {
            let action = share_url(doc.id, field.name());
            let button = ShareButton {
                action: &action,
                field: field.name(),
                label: label(field),
                button_label: SHARE_LABEL,
                csrf_token: Some(csrf.as_str()),
            };
            buttons.push(Markup::render(&button).map_err(render_error)?);
        }
    }
    Ok(buttons)
}

/// `path` as an absolute URL on the host the request was sent to (the config's host when the
/// request names none), so that a share link can be pasted anywhere.
fn absolute_url(ctx: &AppContext, parts: &Parts, path: &str) -> String {
    let server = &ctx.config.server;
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<Authority>().ok())
        .filter(|host| !host.as_str().contains('@'));
    match host {
        Some(host) => {
            let scheme = if server.host.starts_with("https://") {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{host}{path}")
        }
        None => format!("{}{path}", server.full_url()),
    }
}

/// How a form that could not be received is answered.
enum NotReceived {
    /// Refused by the CSRF check: its 403 page, nothing else.
    Refused(Response),
    /// The form again, with the status and the reason.
    Again(StatusCode, String),
}

/// Reads the multipart body of a form request (CSRF-checked by [`ModelAdmin::receive`]).
async fn receive(
    ctx: &AppContext,
    admin: &ModelAdmin<Doc>,
    request: Request,
    current: Option<&Doc>,
) -> std::result::Result<Submission, NotReceived> {
    admin
        .receive(ctx, request, current)
        .await
        .map_err(|err| match err {
            UploadError::Csrf(refusal) => NotReceived::Refused(refusal.into_response()),
            err => {
                if err.status().is_server_error() {
                    tracing::error!("demo: receiving a form failed: {err}");
                }
                NotReceived::Again(err.status(), err.public_message())
            }
        })
}

/// The title of a received form, with a message when it is missing.
fn title(submission: &mut Submission) -> String {
    let title = submission
        .text("title")
        .unwrap_or_default()
        .trim()
        .to_owned();
    if title.is_empty() {
        submission.add_error("title", "This field is required.");
    }
    title
}

/// Deletes the files of a form that is shown again; failures are logged.
async fn rollback(ctx: &AppContext, submission: Submission) -> Result<()> {
    let privates = Privates::from_ctx(ctx)?;
    if let Err(err) = submission.rollback(privates.files()).await {
        tracing::warn!("demo: removing the files of a refused form failed: {err}");
    }
    Ok(())
}

/// Deletes the files the saved row no longer refers to; failures are logged.
async fn commit(ctx: &AppContext, submission: Submission) -> Result<()> {
    let privates = Privates::from_ctx(ctx)?;
    if let Err(err) = submission.commit(privates.files()).await {
        tracing::warn!("demo: removing replaced files failed: {err}");
    }
    Ok(())
}

fn saved(parts: &Parts) -> bool {
    parts
        .uri
        .query()
        .is_some_and(|query| query.split('&').any(|pair| pair == "saved=1"))
}

async fn add_form(
    State(ctx): State<AppContext>,
    csrf: CsrfToken,
    parts: Parts,
) -> Result<Response> {
    let admin = admin();
    let user = guarded!(&ctx, &parts, &admin, &csrf);
    form_page(
        &ctx,
        StatusCode::OK,
        &admin,
        &user,
        None,
        FormState::default(),
        &csrf,
    )
    .await
}

async fn add_save(
    State(ctx): State<AppContext>,
    csrf: CsrfToken,
    request: Request,
) -> Result<Response> {
    let admin = admin();
    let (parts, body) = request.into_parts();
    let user = guarded!(&ctx, &parts, &admin, &csrf);
    let mut submission = match receive(&ctx, &admin, Request::from_parts(parts, body), None).await {
        Ok(submission) => submission,
        Err(NotReceived::Refused(response)) => return Ok(response),
        Err(NotReceived::Again(status, message)) => {
            let state = FormState {
                errors: vec![message],
                ..FormState::default()
            };
            return form_page(&ctx, status, &admin, &user, None, state, &csrf).await;
        }
    };
    let title = title(&mut submission);
    if !submission.is_valid() {
        let response = form_page(
            &ctx,
            StatusCode::BAD_REQUEST,
            &admin,
            &user,
            None,
            FormState {
                title: &title,
                errors: vec!["Please correct the errors below.".to_owned()],
                submission: Some(&submission),
                ..FormState::default()
            },
            &csrf,
        )
        .await;
        rollback(&ctx, submission).await?;
        return response;
    }
    let inserted = iddocuments::ActiveModel {
        title: Set(title),
        pdf: Set(submission.value(&Doc::PDF, None)),
        mugshot: Set(submission.value(&Doc::MUGSHOT, None).unwrap_or_default()),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await;
    match inserted {
        Ok(doc) => {
            commit(&ctx, submission).await?;
            Ok(Redirect::to(&format!("{}?saved=1", change_url(doc.id))).into_response())
        }
        Err(err) => {
            rollback(&ctx, submission).await?;
            Err(err.into())
        }
    }
}

async fn change_form(
    State(ctx): State<AppContext>,
    Path(pk): Path<String>,
    csrf: CsrfToken,
    parts: Parts,
) -> Result<Response> {
    let admin = admin();
    let (user, doc) = guarded_doc!(&ctx, &parts, &admin, &csrf, &pk);
    let mut state = FormState {
        title: &doc.title,
        ..FormState::default()
    };
    if saved(&parts) {
        state
            .messages
            .push(format!("The ID document “{}” was saved.", doc.title));
    }
    state.tools = share_buttons(&ctx, &parts, &admin, &doc, &csrf).await?;
    // "Who opened this file", for holders of `privates.view_audit` only.
    if let Some(log) = admin
        .access_log(&ctx, &parts, &doc, ACCESS_LOG_ROWS)
        .await?
    {
        state
            .tools
            .push(Markup::render(&log).map_err(render_error)?);
    }
    form_page(
        &ctx,
        StatusCode::OK,
        &admin,
        &user,
        Some(&doc),
        state,
        &csrf,
    )
    .await
}

/// The share button: mints a link to one file of the document, valid for [`SHARE_TTL`], and
/// shows the change page with it. Only for users who may download that file.
async fn share(
    State(ctx): State<AppContext>,
    Path((pk, name)): Path<(String, String)>,
    csrf: CsrfToken,
    request: Request,
) -> Result<Response> {
    let admin = admin();
    let (parts, body) = request.into_parts();
    let (user, doc) = guarded_doc!(&ctx, &parts, &admin, &csrf, &pk);
    let parts = match checked_form(Request::from_parts(parts, body), &ctx).await {
        Ok((parts, _)) => parts,
        Err(refusal) => return Ok(refusal),
    };
    let Some(field) = admin.fields().iter().copied().find(|f| f.name() == name) else {
        return error_page(
            StatusCode::NOT_FOUND,
            "There is no such file field.",
            Some(&user),
            &csrf,
        );
    };
    if field.stored_name(&doc).is_none() {
        return error_page(
            StatusCode::NOT_FOUND,
            "There is no file to share.",
            Some(&user),
            &csrf,
        );
    }
    if !admin.may_share(&ctx, &parts, &doc, field).await? {
        return error_page(
            StatusCode::FORBIDDEN,
            "You may not share this file.",
            Some(&user),
            &csrf,
        );
    }
    let privates = Privates::from_ctx(&ctx)?;
    let path = match admin.share_url(&privates, &doc, field, SHARE_TTL).await {
        Ok(Some(path)) => path,
        Ok(None) => {
            return error_page(
                StatusCode::FORBIDDEN,
                "This file cannot be shared.",
                Some(&user),
                &csrf,
            );
        }
        Err(privates::Error::Share(ShareError::Missing { .. })) => {
            return error_page(
                StatusCode::NOT_FOUND,
                "The file is missing from the storage.",
                Some(&user),
                &csrf,
            );
        }
        Err(err) => return Err(err.into()),
    };
    let url = absolute_url(&ctx, &parts, &path);
    let link_label = format!("Share link for {}", label(field));
    let link = SharedLink {
        field: field.name(),
        label: &link_label,
        url: &url,
        help: "Anyone with this link can download the file, without logging in, for 10 \
               minutes. Replacing or clearing the file ends it sooner.",
    };
    let mut tools = share_buttons(&ctx, &parts, &admin, &doc, &csrf).await?;
    tools.push(Markup::render(&link).map_err(render_error)?);
    let state = FormState {
        title: &doc.title,
        messages: vec![format!(
            "A share link for the {} of “{}” was created.",
            label(field),
            doc.title
        )],
        tools,
        ..FormState::default()
    };
    form_page(
        &ctx,
        StatusCode::OK,
        &admin,
        &user,
        Some(&doc),
        state,
        &csrf,
    )
    .await
}

/// The message of a save that lost the race against another editor's.
pub const CONFLICT: &str = "Another editor changed the files of this document while you were \
                            saving. Nothing was changed and your upload was discarded: check \
                            the current files below and save again.";

/// Writes a received change form to `doc`'s row as a compare-and-set on the file columns
/// ([`compare_and_set`]: one `UPDATE ... WHERE id = ? AND pdf IS ? AND mugshot = ?` with the
/// values `doc` was read with, atomic in SQLite and PostgreSQL alike), the title with it.
/// `false` when another save changed a file (or deleted the row) since `doc` was read: then
/// nothing was written.
async fn save_files(
    ctx: &AppContext,
    doc: &Doc,
    title: String,
    submission: &Submission,
) -> Result<bool> {
    let update = compare_and_set(doc, Doc::fields(), submission)?
        .col_expr(iddocuments::Column::Title, Expr::value(title));
    Ok(update.exec(&ctx.db).await?.rows_affected == 1)
}

async fn change_save(
    State(ctx): State<AppContext>,
    Path(pk): Path<String>,
    csrf: CsrfToken,
    request: Request,
) -> Result<Response> {
    let admin = admin();
    let (parts, body) = request.into_parts();
    let (user, doc) = guarded_doc!(&ctx, &parts, &admin, &csrf, &pk);
    let mut submission =
        match receive(&ctx, &admin, Request::from_parts(parts, body), Some(&doc)).await {
            Ok(submission) => submission,
            Err(NotReceived::Refused(response)) => return Ok(response),
            Err(NotReceived::Again(status, message)) => {
                let state = FormState {
                    title: &doc.title,
                    errors: vec![message],
                    ..FormState::default()
                };
                return form_page(&ctx, status, &admin, &user, Some(&doc), state, &csrf).await;
            }
        };
    let title = title(&mut submission);
    if !submission.is_valid() {
        let response = form_page(
            &ctx,
            StatusCode::BAD_REQUEST,
            &admin,
            &user,
            Some(&doc),
            FormState {
                title: &title,
                errors: vec!["Please correct the errors below.".to_owned()],
                submission: Some(&submission),
                ..FormState::default()
            },
            &csrf,
        )
        .await;
        rollback(&ctx, submission).await?;
        return response;
    }
    match save_files(&ctx, &doc, title.clone(), &submission).await {
        Ok(true) => {
            // The row no longer names the replaced files: now they may go.
            commit(&ctx, submission).await?;
            Ok(Redirect::to(&format!("{}?saved=1", change_url(doc.id))).into_response())
        }
        Ok(false) => {
            rollback(&ctx, submission).await?;
            let Some(current) = find(&ctx, &pk).await? else {
                return error_page(
                    StatusCode::NOT_FOUND,
                    "The ID document was deleted while you were saving it.",
                    Some(&user),
                    &csrf,
                );
            };
            let state = FormState {
                title: &title,
                errors: vec![CONFLICT.to_owned()],
                ..FormState::default()
            };
            form_page(
                &ctx,
                StatusCode::CONFLICT,
                &admin,
                &user,
                Some(&current),
                state,
                &csrf,
            )
            .await
        }
        Err(err) => {
            rollback(&ctx, submission).await?;
            Err(err)
        }
    }
}

/// The site's front page: the change list (an anonymous browser then goes on to the login
/// page, and comes back after logging in).
async fn home() -> Redirect {
    Redirect::to(LIST)
}

/// The admin pages, with privates-admin's security headers, and `/` leading to the change
/// list. The form routes carry the body limit of the model's upload fields (loco's default
/// payload limit, 2 MB, is below them).
#[must_use]
pub fn routes() -> Routes {
    let admin = admin();
    Routes::new()
        .add("/", get(home))
        .add(LIST, get(list))
        .add(ADD, admin.upload_route(get(add_form).post(add_save)))
        .add(
            "/admin/docs/iddocument/{pk}/change/",
            admin.upload_route(get(change_form).post(change_save)),
        )
        .add("/admin/docs/iddocument/{pk}/share/{field}/", post(share))
        .merge(admin.access_routes())
        .layer(map_response(admin_headers))
}

/// The downloads `/admin/docs/iddocument/{pk}/{field}/`, behind the permission check
/// and the share links `/admin/docs/iddocument/{pk}/{field}/shared/` that need no login
/// ([`ModelAdmin::routes`]).
#[must_use]
pub fn download_routes() -> Routes {
    admin().routes()
}
