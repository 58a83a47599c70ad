//! The groups pages (`{prefix}/group/`, `{prefix}/group/add/`, `{prefix}/group/{id}/change/`,
//! `{prefix}/group/{id}/delete/`): the list with an "add group" form, and a group's page to change its
//! permissions or delete it. Guarded, checked and rendered as the users pages are.

use std::{collections::BTreeSet, sync::Arc};

use super::{Choice, UserAdmin, fields, render, saved};
use crate::{
    csrf::{CsrfToken, checked_form},
    pages::Page,
};
use askama::Template;
use axum::{
    extract::{Path, Request, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use http::{StatusCode, request::Parts};
use loco_rs::{app::AppContext, controller::Routes};
use privates_auth::{
    Error as StoreError,
    directory::{self, GroupSummary},
    store,
};

/// One group in the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRow {
    /// The group's id.
    pub id: i32,
    /// The group's name.
    pub name: String,
    /// How many users are in it.
    pub members: usize,
    /// Its permissions.
    pub permissions: Vec<String>,
    /// Its change page.
    pub change_url: String,
}

/// The list of groups with the add form (`templates/privates/admin/auth/group_list.html`).
#[derive(Template)]
#[template(path = "privates/admin/auth/group_list.html")]
pub struct GroupListPage<'a> {
    /// The layout.
    pub page: Page<'a>,
    /// The list of users.
    pub users_url: &'a str,
    /// Where the add form posts.
    pub add_url: &'a str,
    /// The name typed into the add form (kept after a refusal).
    pub name: &'a str,
    /// Why the add form was refused.
    pub errors: Vec<String>,
    /// The groups, by name.
    pub groups: Vec<GroupRow>,
}

/// A group's page (`templates/privates/admin/auth/group_change.html`).
#[derive(Template)]
#[template(path = "privates/admin/auth/group_change.html")]
pub struct GroupChangePage<'a> {
    /// The layout.
    pub page: Page<'a>,
    /// The list of groups.
    pub list_url: &'a str,
    /// Where the permissions form posts.
    pub action: &'a str,
    /// Where the delete button posts.
    pub delete_url: &'a str,
    /// The group's name.
    pub name: &'a str,
    /// How many users are in it.
    pub members: usize,
    /// Messages about the form.
    pub errors: Vec<String>,
    /// Every known permission, and any other the group holds.
    pub permissions: Vec<Choice>,
}

/// The groups routes of `admin` (without the headers layer, which the caller adds).
pub(super) fn routes(admin: &Arc<UserAdmin>) -> Routes {
    let prefix = &admin.prefix;
    let (a, b, c, d, e) = (
        Arc::clone(admin),
        Arc::clone(admin),
        Arc::clone(admin),
        Arc::clone(admin),
        Arc::clone(admin),
    );
    Routes::new()
        .add(
            &admin.groups_url(),
            get(
                move |State(ctx): State<AppContext>, csrf: CsrfToken, parts: Parts| async move {
                    list(&a, &ctx, &csrf, &parts).await
                },
            ),
        )
        .add(
            &format!("{prefix}/group/add/"),
            post(
                move |State(ctx): State<AppContext>, csrf: CsrfToken, request: Request| async move {
                    add(&b, &ctx, &csrf, request).await
                },
            ),
        )
        .add(
            &format!("{prefix}/group/{{id}}/change/"),
            get(
                move |State(ctx): State<AppContext>,
                      Path(id): Path<String>,
                      csrf: CsrfToken,
                      parts: Parts| async move {
                    change_form(&c, &ctx, &id, &csrf, &parts).await
                },
            )
            .post(
                move |State(ctx): State<AppContext>,
                      Path(id): Path<String>,
                      csrf: CsrfToken,
                      request: Request| async move {
                    change_save(&d, &ctx, &id, &csrf, request).await
                },
            ),
        )
        .add(
            &format!("{prefix}/group/{{id}}/delete/"),
            post(
                move |State(ctx): State<AppContext>,
                      Path(id): Path<String>,
                      csrf: CsrfToken,
                      request: Request| async move {
                    delete(&e, &ctx, &id, &csrf, request).await
                },
            ),
        )
}

#[allow(clippy::too_many_arguments)]
async fn list_page(
    admin: &UserAdmin,
    ctx: &AppContext,
    status: StatusCode,
    viewer: &str,
    csrf: &CsrfToken,
    name: &str,
    errors: Vec<String>,
    messages: Vec<String>,
) -> loco_rs::Result<Response> {
    let groups = directory::group_summaries(&ctx.db)
        .await?
        .into_iter()
        .map(|group| GroupRow {
            change_url: admin.group_url(group.id),
            id: group.id,
            name: group.name,
            members: group.members,
            permissions: group.permissions,
        })
        .collect();
    let users_url = admin.list_url();
    let add_url = format!("{}/group/add/", admin.prefix);
    let mut page = admin.layout("Groups", Some(viewer), csrf);
    page.messages = messages;
    render(
        status,
        &GroupListPage {
            page,
            users_url: &users_url,
            add_url: &add_url,
            name,
            errors,
            groups,
        },
    )
}

async fn list(
    admin: &UserAdmin,
    ctx: &AppContext,
    csrf: &CsrfToken,
    parts: &Parts,
) -> loco_rs::Result<Response> {
    let viewer = guarded!(admin, ctx, parts, csrf);
    let deleted = parts
        .uri
        .query()
        .is_some_and(|query| query.split('&').any(|pair| pair == "deleted=1"));
    let messages = if deleted {
        vec!["The group was deleted.".to_owned()]
    } else {
        Vec::new()
    };
    list_page(
        admin,
        ctx,
        StatusCode::OK,
        &viewer,
        csrf,
        "",
        Vec::new(),
        messages,
    )
    .await
}

async fn add(
    admin: &UserAdmin,
    ctx: &AppContext,
    csrf: &CsrfToken,
    request: Request,
) -> loco_rs::Result<Response> {
    let (parts, body) = request.into_parts();
    let viewer = guarded!(admin, ctx, &parts, csrf);
    let body = match checked_form(Request::from_parts(parts, body), ctx).await {
        Ok((_, body)) => body,
        Err(refusal) => return Ok(refusal),
    };
    let name = match fields(&body) {
        Ok(fields) => fields
            .into_iter()
            .find(|(key, _)| key == "name")
            .map(|(_, value)| value)
            .unwrap_or_default(),
        Err(error) => {
            return list_page(
                admin,
                ctx,
                StatusCode::BAD_REQUEST,
                &viewer,
                csrf,
                "",
                vec![error],
                Vec::new(),
            )
            .await;
        }
    };
    match store::create_group(&ctx.db, &name).await {
        Ok(id) => Ok(Redirect::to(&format!("{}?saved=1", admin.group_url(id))).into_response()),
        Err(err @ (StoreError::EmptyGroupName | StoreError::GroupExists(_))) => {
            list_page(
                admin,
                ctx,
                StatusCode::BAD_REQUEST,
                &viewer,
                csrf,
                &name,
                vec![format!("{err}.")],
                Vec::new(),
            )
            .await
        }
        Err(err) => Err(err.into()),
    }
}

/// Evaluates to the viewer's email and the group `id` names, or returns the refusal (a 404
/// page for a malformed or unknown id).
macro_rules! guarded_group {
    ($admin:expr, $ctx:expr, $parts:expr, $csrf:expr, $id:expr) => {{
        let viewer = guarded!($admin, $ctx, $parts, $csrf);
        let found = match $id.parse::<i32>() {
            Ok(id) => directory::group(&$ctx.db, id).await?,
            Err(_) => None,
        };
        match found {
            Some(group) => (viewer, group),
            None => {
                return $admin.error_page(
                    StatusCode::NOT_FOUND,
                    "There is no group with this id.",
                    Some(&viewer),
                    $csrf,
                );
            }
        }
    }};
}

#[allow(clippy::too_many_arguments)]
async fn change_page(
    admin: &UserAdmin,
    status: StatusCode,
    viewer: &str,
    group: &GroupSummary,
    ticked: &BTreeSet<String>,
    errors: Vec<String>,
    messages: Vec<String>,
    csrf: &CsrfToken,
) -> loco_rs::Result<Response> {
    let title = format!("Change group {}", group.name);
    let list_url = admin.groups_url();
    let action = admin.group_url(group.id);
    let delete_url = format!("{}/group/{}/delete/", admin.prefix, group.id);
    let mut page = admin.layout(&title, Some(viewer), csrf);
    page.messages = messages;
    render(
        status,
        &GroupChangePage {
            page,
            list_url: &list_url,
            action: &action,
            delete_url: &delete_url,
            name: &group.name,
            members: group.members,
            errors,
            permissions: admin.permission_choices(&group.permissions, ticked),
        },
    )
}

async fn change_form(
    admin: &UserAdmin,
    ctx: &AppContext,
    id: &str,
    csrf: &CsrfToken,
    parts: &Parts,
) -> loco_rs::Result<Response> {
    let (viewer, group) = guarded_group!(admin, ctx, parts, csrf, id);
    let messages = if saved(parts) {
        vec![format!("The group “{}” was saved.", group.name)]
    } else {
        Vec::new()
    };
    let ticked = group.permissions.iter().cloned().collect();
    change_page(
        admin,
        StatusCode::OK,
        &viewer,
        &group,
        &ticked,
        Vec::new(),
        messages,
        csrf,
    )
    .await
}

async fn change_save(
    admin: &UserAdmin,
    ctx: &AppContext,
    id: &str,
    csrf: &CsrfToken,
    request: Request,
) -> loco_rs::Result<Response> {
    let (parts, body) = request.into_parts();
    let (viewer, group) = guarded_group!(admin, ctx, &parts, csrf, id);
    let body = match checked_form(Request::from_parts(parts, body), ctx).await {
        Ok((_, body)) => body,
        Err(refusal) => return Ok(refusal),
    };
    let stored: BTreeSet<String> = group.permissions.iter().cloned().collect();
    let wanted: BTreeSet<String> = match fields(&body) {
        Ok(fields) => fields
            .into_iter()
            .filter(|(key, _)| key == "permissions")
            .map(|(_, value)| value.trim().to_owned())
            .collect(),
        Err(error) => {
            return change_page(
                admin,
                StatusCode::BAD_REQUEST,
                &viewer,
                &group,
                &stored,
                vec![error],
                Vec::new(),
                csrf,
            )
            .await;
        }
    };
    let error = match admin.refused_permission(&wanted, &group.permissions) {
        Some(error) => error,
        None => match store::update_group(&ctx.db, group.id, &wanted).await {
            Ok(_) => {
                let to = format!("{}?saved=1", admin.group_url(group.id));
                return Ok(Redirect::to(&to).into_response());
            }
            Err(err @ StoreError::MalformedPermission(_)) => format!("{err}."),
            Err(err) => return Err(err.into()),
        },
    };
    change_page(
        admin,
        StatusCode::BAD_REQUEST,
        &viewer,
        &group,
        &wanted,
        vec![error],
        Vec::new(),
        csrf,
    )
    .await
}

async fn delete(
    admin: &UserAdmin,
    ctx: &AppContext,
    id: &str,
    csrf: &CsrfToken,
    request: Request,
) -> loco_rs::Result<Response> {
    let (parts, body) = request.into_parts();
    let (_, group) = guarded_group!(admin, ctx, &parts, csrf, id);
    if let Err(refusal) = checked_form(Request::from_parts(parts, body), ctx).await {
        return Ok(refusal);
    }
    match store::delete_group(&ctx.db, &group.name).await {
        // Deleted meanwhile by someone else: gone either way.
        Ok(()) | Err(StoreError::UnknownGroup(_)) => {
            Ok(Redirect::to(&format!("{}?deleted=1", admin.groups_url())).into_response())
        }
        Err(err) => Err(err.into()),
    }
}
