//! The users page: see and change a user's groups, direct grants and superuser status in
//! privates-auth's store, as Django's admin user change page does (its "Permissions"
//! fieldset); and the groups pages, to add, delete and grant to groups. Needs the `users`
//! feature (on by default).
//!
//! | route | shows / does |
//! |---|---|
//! | `GET {prefix}/user/` | every user (loco's `users`: email) with their superuser status and groups |
//! | `GET {prefix}/user/{id}/change/` | superuser status, every group as a checkbox, every known permission as a checkbox (plus any the user holds that no registered model uses, to remove it), and the permissions held in effect, with where each comes from |
//! | `POST {prefix}/user/{id}/change/` | makes the user hold exactly what the form says, in one transaction ([`store::update_user`]) |
//! | `GET {prefix}/group/` | every group with its members' count and permissions, and a form to add one |
//! | `POST {prefix}/group/add/` | creates the group `name` |
//! | `GET/POST {prefix}/group/{id}/change/` | the group's permissions as checkboxes; saved in one transaction ([`store::update_group`]) |
//! | `POST {prefix}/group/{id}/delete/` | deletes the group, its grants and memberships |
//!
//! `{prefix}` is `/admin/auth` unless [`UserAdmin::prefix`] says otherwise. Every route
//! requires [`CHANGE_USER`] (`auth.change_user`) through the app's authorizer
//! ([`Privates::require`]): an anonymous browser is sent to the login page, other anonymous
//! clients get 401, a user without it the 403 page. Each form is CSRF-checked
//! ([`checked_form`]) before it is read, the pages carry [`admin_headers`], and every value
//! is HTML-escaped.
//!
//! Taking the superuser status from the last superuser is refused with a form error
//! ([`privates_auth::Error::LastSuperuser`]), so nobody locks everyone out (Django does not
//! check this). A permission can be granted only if a registered model uses it (the
//! [`KnownPermissions`] given) or the user (or group) holds it already.
//!
//! ```no_run
//! use loco_rs::controller::AppRoutes;
//! use privates_admin::users::UserAdmin;
//! use privates_auth::KnownPermissions;
//! # fn known() -> KnownPermissions { KnownPermissions::new() }
//!
//! fn routes() -> AppRoutes {
//!     let users = UserAdmin::new(known()).logout_url("/logout");
//!     AppRoutes::empty().add_route(users.routes())
//! }
//! ```

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use askama::Template;
use axum::{
    extract::{Path, Request, State},
    middleware::map_response,
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use http::{StatusCode, request::Parts};
use loco_rs::{app::AppContext, controller::Routes};
use privates::Privates;
use privates_auth::{
    CHANGE_USER, Error as StoreError, KnownPermissions, UserHoldings,
    directory::{self, UserSummary},
    store,
};

use crate::{
    csrf::{CsrfToken, checked_form},
    pages::{ErrorPage, Page, admin_headers},
};

/// The users page's settings and routes: see the [module docs](self).
#[derive(Clone, Debug)]
pub struct UserAdmin {
    known: Arc<KnownPermissions>,
    prefix: String,
    site_title: String,
    home_url: String,
    logout_url: Option<String>,
}

impl UserAdmin {
    /// The page for the permissions in `known` (those of the app's registered models, and
    /// [`CHANGE_USER`]), under `/admin/auth`, in a site titled "Administration" whose home is
    /// `/admin/`, without a logout button.
    #[must_use]
    pub fn new(known: KnownPermissions) -> Self {
        Self {
            known: Arc::new(known),
            prefix: "/admin/auth".to_owned(),
            site_title: "Administration".to_owned(),
            home_url: "/admin/".to_owned(),
            logout_url: None,
        }
    }

    /// Where the routes go (`/admin/auth` by default; a trailing `/` is dropped).
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        prefix.trim_end_matches('/').clone_into(&mut self.prefix);
        self
    }

    /// The site's name in the header and the window title ([`Page::site_title`]).
    #[must_use]
    pub fn site_title(mut self, title: &str) -> Self {
        title.clone_into(&mut self.site_title);
        self
    }

    /// Where the site's name links ([`Page::home_url`]).
    #[must_use]
    pub fn home_url(mut self, url: &str) -> Self {
        url.clone_into(&mut self.home_url);
        self
    }

    /// The action of the logout form shown with the user ([`Page::logout_url`]).
    #[must_use]
    pub fn logout_url(mut self, url: &str) -> Self {
        self.logout_url = Some(url.to_owned());
        self
    }

    /// The list of users: `{prefix}/user/`.
    #[must_use]
    pub fn list_url(&self) -> String {
        format!("{}/user/", self.prefix)
    }

    /// The list of groups: `{prefix}/group/`.
    #[must_use]
    pub fn groups_url(&self) -> String {
        format!("{}/group/", self.prefix)
    }

    /// The page of group `id`: `{prefix}/group/{id}/change/`.
    #[must_use]
    pub fn group_url(&self, id: i32) -> String {
        format!("{}/group/{id}/change/", self.prefix)
    }

    /// The change page of user `id`: `{prefix}/user/{id}/change/`.
    #[must_use]
    pub fn change_url(&self, id: i32) -> String {
        format!("{}/user/{id}/change/", self.prefix)
    }

    /// The users and groups pages (see the [module docs](self)), with [`admin_headers`].
    /// Register them with `AppRoutes::add_route`.
    #[must_use]
    pub fn routes(&self) -> Routes {
        let admin = Arc::new(self.clone());
        let list_admin = Arc::clone(&admin);
        let form_admin = Arc::clone(&admin);
        let save_admin = Arc::clone(&admin);
        let admin_for_groups = admin;
        Routes::new()
            .add(
                &self.list_url(),
                get(
                    move |State(ctx): State<AppContext>, csrf: CsrfToken, parts: Parts| async move {
                        list(&list_admin, &ctx, &csrf, &parts).await
                    },
                ),
            )
            .add(
                &format!("{}/user/{{id}}/change/", self.prefix),
                get(
                    move |State(ctx): State<AppContext>,
                          Path(id): Path<String>,
                          csrf: CsrfToken,
                          parts: Parts| async move {
                        change_form(&form_admin, &ctx, &id, &csrf, &parts).await
                    },
                )
                .post(
                    move |State(ctx): State<AppContext>,
                          Path(id): Path<String>,
                          csrf: CsrfToken,
                          request: Request| async move {
                        change_save(&save_admin, &ctx, &id, &csrf, request).await
                    },
                ),
            )
            .merge(groups::routes(&admin_for_groups))
            .layer(map_response(admin_headers))
    }

    /// A checkbox for every known permission, every one in `held` and every one in `ticked`
    /// (a refused form's), sorted; ticked as `ticked` says.
    fn permission_choices(&self, held: &[String], ticked: &BTreeSet<String>) -> Vec<Choice> {
        let offered: BTreeSet<&str> = self
            .known
            .iter()
            .map(|permission| -> &str { permission })
            .chain(held.iter().map(String::as_str))
            .chain(ticked.iter().map(String::as_str))
            .collect();
        offered
            .into_iter()
            .map(|permission| Choice {
                value: permission.to_owned(),
                label: permission.to_owned(),
                checked: ticked.contains(permission),
                note: (!self.known.contains(permission)).then_some(UNUSED_NOTE),
            })
            .collect()
    }

    /// The first permission of `wanted` that may not be granted here, with the message: only
    /// a registered model's may be, or one held already (`held`), which may stay.
    fn refused_permission(&self, wanted: &BTreeSet<String>, held: &[String]) -> Option<String> {
        wanted
            .iter()
            .find(|p| !self.known.contains(p) && !held.contains(p))
            .map(|unknown| {
                format!(
                    "`{unknown}` is not a permission of any registered model: it cannot be \
                     granted here."
                )
            })
    }

    /// The layout of a page titled `title` for the user whose email is `email`.
    fn layout<'a>(
        &'a self,
        title: &'a str,
        email: Option<&'a str>,
        csrf: &'a CsrfToken,
    ) -> Page<'a> {
        let mut page = Page::new(title).csrf_token(csrf.as_str());
        page.site_title = &self.site_title;
        page.home_url = &self.home_url;
        if let Some(email) = email {
            page = page.user(email);
            if let Some(logout_url) = &self.logout_url {
                page = page.logout_url(logout_url);
            }
        }
        page
    }

    /// The HTML error page for `status` saying `message`.
    fn error_page(
        &self,
        status: StatusCode,
        message: &str,
        email: Option<&str>,
        csrf: &CsrfToken,
    ) -> loco_rs::Result<Response> {
        let title = if status == StatusCode::FORBIDDEN {
            "Permission denied"
        } else {
            status.canonical_reason().unwrap_or("Error")
        };
        render(
            status,
            &ErrorPage {
                page: self.layout(title, email, csrf),
                status: status.as_u16(),
                message,
            },
        )
    }

    /// The email of the logged-in user holding [`CHANGE_USER`], or the refusal to answer
    /// with: the authorizer's for an anonymous request (login redirect or 401), the 403 page
    /// for a user without it.
    async fn guard(
        &self,
        ctx: &AppContext,
        parts: &Parts,
        csrf: &CsrfToken,
    ) -> loco_rs::Result<Result<String, Response>> {
        let refusal = Privates::from_ctx(ctx)?
            .require(parts, ctx, CHANGE_USER)
            .await?;
        let viewer = match privates_auth::authorizer::current_user(parts, ctx).await? {
            Some(user) => directory::user(&ctx.db, user.id).await?,
            None => None,
        };
        match (refusal, viewer) {
            (None, Some(viewer)) => Ok(Ok(viewer.email)),
            (Some(refusal), viewer) if refusal.status() == StatusCode::FORBIDDEN => self
                .error_page(
                    StatusCode::FORBIDDEN,
                    "You do not have permission to change users.",
                    viewer.as_ref().map(|viewer| viewer.email.as_str()),
                    csrf,
                )
                .map(Err),
            (Some(refusal), _) => Ok(Err(refusal)),
            // Allowed a moment ago, gone now: treated as anonymous.
            (None, None) => Ok(Err(StatusCode::UNAUTHORIZED.into_response())),
        }
    }
}

/// Evaluates to the viewer's email, or returns the refusal.
macro_rules! guarded {
    ($admin:expr, $ctx:expr, $parts:expr, $csrf:expr) => {
        match $admin.guard($ctx, $parts, $csrf).await? {
            Ok(email) => email,
            Err(refusal) => return Ok(refusal),
        }
    };
}

fn render(status: StatusCode, template: &impl Template) -> loco_rs::Result<Response> {
    let html = template
        .render()
        .map_err(|err| loco_rs::Error::Message(format!("rendering a page failed: {err}")))?;
    Ok((status, Html(html)).into_response())
}

/// One user in the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow {
    /// loco's `users.id`.
    pub id: i32,
    /// The user's email.
    pub email: String,
    /// Holds every permission.
    pub superuser: bool,
    /// The user's groups' names.
    pub groups: Vec<String>,
    /// The user's change page.
    pub change_url: String,
}

/// The list of users (`templates/privates/admin/auth/user_list.html`).
#[derive(Template)]
#[template(path = "privates/admin/auth/user_list.html")]
pub struct UserListPage<'a> {
    /// The layout.
    pub page: Page<'a>,
    /// The list of groups.
    pub groups_url: &'a str,
    /// The users, by email.
    pub users: Vec<UserRow>,
}

/// One checkbox of the change form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The value posted when ticked.
    pub value: String,
    /// The label.
    pub label: String,
    /// Ticked.
    pub checked: bool,
    /// Said after the label ("used by no registered model").
    pub note: Option<&'static str>,
}

/// A permission the user holds in effect, and where from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveRow {
    /// The permission.
    pub permission: String,
    /// "directly" and/or "group “name”".
    pub sources: Vec<String>,
}

/// A user's change page (`templates/privates/admin/auth/user_change.html`).
#[derive(Template)]
#[template(path = "privates/admin/auth/user_change.html")]
pub struct UserChangePage<'a> {
    /// The layout.
    pub page: Page<'a>,
    /// The list of users.
    pub list_url: &'a str,
    /// The list of groups.
    pub groups_url: &'a str,
    /// Where the form posts.
    pub action: &'a str,
    /// The user's email.
    pub email: &'a str,
    /// Messages about the whole form.
    pub errors: Vec<String>,
    /// The superuser checkbox is ticked.
    pub superuser: bool,
    /// Every group.
    pub groups: Vec<Choice>,
    /// Every known permission, and any other the user holds directly.
    pub permissions: Vec<Choice>,
    /// The user is a superuser, as stored.
    pub stored_superuser: bool,
    /// What the user holds in effect, as stored.
    pub effective: Vec<EffectiveRow>,
}

/// The note after a granted permission that no registered model uses.
pub const UNUSED_NOTE: &str = "used by no registered model";

async fn list(
    admin: &UserAdmin,
    ctx: &AppContext,
    csrf: &CsrfToken,
    parts: &Parts,
) -> loco_rs::Result<Response> {
    let email = guarded!(admin, ctx, parts, csrf);
    let users = directory::users(&ctx.db)
        .await?
        .into_iter()
        .map(|user: UserSummary| UserRow {
            change_url: admin.change_url(user.id),
            id: user.id,
            email: user.email,
            superuser: user.superuser,
            groups: user.groups,
        })
        .collect();
    let groups_url = admin.groups_url();
    render(
        StatusCode::OK,
        &UserListPage {
            page: admin.layout("Select user to change", Some(&email), csrf),
            groups_url: &groups_url,
            users,
        },
    )
}

/// The user `id` names, `None` for a malformed or unknown id.
async fn find(ctx: &AppContext, id: &str) -> loco_rs::Result<Option<UserSummary>> {
    let Ok(id) = id.parse::<i32>() else {
        return Ok(None);
    };
    Ok(directory::user(&ctx.db, id).await?)
}

/// Evaluates to the viewer's email and the user `id` names, or returns the refusal (a 404
/// page for a malformed or unknown id).
macro_rules! guarded_user {
    ($admin:expr, $ctx:expr, $parts:expr, $csrf:expr, $id:expr) => {{
        let email = guarded!($admin, $ctx, $parts, $csrf);
        match find($ctx, $id).await? {
            Some(user) => (email, user),
            None => {
                return $admin.error_page(
                    StatusCode::NOT_FOUND,
                    "There is no user with this id.",
                    Some(&email),
                    $csrf,
                );
            }
        }
    }};
}

/// What the form shows: the stored holdings, or those a refused form asked for.
struct FormState {
    wanted: UserHoldings,
    errors: Vec<String>,
    messages: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    admin: &UserAdmin,
    ctx: &AppContext,
    status: StatusCode,
    viewer: &str,
    user: &UserSummary,
    state: FormState,
    csrf: &CsrfToken,
) -> loco_rs::Result<Response> {
    let holdings = store::holdings(&ctx.db, user.id).await?;
    let groups = directory::groups(&ctx.db)
        .await?
        .into_iter()
        .map(|group| Choice {
            checked: state.wanted.groups.contains(&group.id),
            value: group.id.to_string(),
            label: group.name,
            note: None,
        })
        .collect();
    let permissions = admin.permission_choices(&holdings.direct, &state.wanted.direct);
    let mut sources: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for permission in &holdings.direct {
        sources
            .entry(permission)
            .or_default()
            .push("directly".to_owned());
    }
    for (group, permissions) in &holdings.groups {
        for permission in permissions {
            sources
                .entry(permission)
                .or_default()
                .push(format!("group “{group}”"));
        }
    }
    let effective = sources
        .into_iter()
        .map(|(permission, sources)| EffectiveRow {
            permission: permission.to_owned(),
            sources,
        })
        .collect();
    let title = format!("Change user {}", user.email);
    let action = admin.change_url(user.id);
    let list_url = admin.list_url();
    let mut page = admin.layout(&title, Some(viewer), csrf);
    page.messages = state.messages;
    render(
        status,
        &UserChangePage {
            page,
            list_url: &list_url,
            groups_url: &admin.groups_url(),
            action: &action,
            email: &user.email,
            errors: state.errors,
            superuser: state.wanted.superuser,
            groups,
            permissions,
            stored_superuser: holdings.superuser,
            effective,
        },
    )
}

/// What the user holds of their own, as stored (group names made ids).
async fn stored(ctx: &AppContext, user: &UserSummary) -> loco_rs::Result<UserHoldings> {
    let holdings = store::holdings(&ctx.db, user.id).await?;
    let groups = directory::groups(&ctx.db)
        .await?
        .into_iter()
        .filter(|group| user.groups.contains(&group.name))
        .map(|group| group.id)
        .collect();
    Ok(UserHoldings {
        superuser: holdings.superuser,
        groups,
        direct: holdings.direct.into_iter().collect(),
    })
}

fn saved(parts: &Parts) -> bool {
    parts
        .uri
        .query()
        .is_some_and(|query| query.split('&').any(|pair| pair == "saved=1"))
}

async fn change_form(
    admin: &UserAdmin,
    ctx: &AppContext,
    id: &str,
    csrf: &CsrfToken,
    parts: &Parts,
) -> loco_rs::Result<Response> {
    let (viewer, user) = guarded_user!(admin, ctx, parts, csrf, id);
    let mut messages = Vec::new();
    if saved(parts) {
        messages.push(format!("The permissions of “{}” were saved.", user.email));
    }
    let state = FormState {
        wanted: stored(ctx, &user).await?,
        errors: Vec::new(),
        messages,
    };
    form_page(admin, ctx, StatusCode::OK, &viewer, &user, state, csrf).await
}

/// The fields of a urlencoded form, in order, a key as often as it was sent (a checkbox
/// list's).
fn fields(body: &[u8]) -> Result<Vec<(String, String)>, String> {
    serde_urlencoded::from_bytes(body).map_err(|err| format!("The form could not be read: {err}."))
}

/// Reads the posted form: `superuser=on`, `groups=<id>` and `permissions=<perm>`, each as
/// often as ticked. A group id that is not a number is an error naming it.
fn parse_form(body: &[u8]) -> Result<UserHoldings, String> {
    let pairs = fields(body)?;
    let mut wanted = UserHoldings::default();
    for (key, value) in pairs {
        match key.as_str() {
            "superuser" => wanted.superuser = value == "on",
            "groups" => {
                let id = value
                    .trim()
                    .parse()
                    .map_err(|_| format!("`groups`: `{value}` is not a group id."))?;
                wanted.groups.insert(id);
            }
            "permissions" => {
                wanted.direct.insert(value.trim().to_owned());
            }
            _ => {}
        }
    }
    Ok(wanted)
}

/// The message of a form the store refused, `None` for a failure that is not the form's.
fn form_error(err: &StoreError) -> Option<String> {
    match err {
        StoreError::LastSuperuser(_) => Some(
            "This user is the last superuser: make another user a superuser before taking \
             this status away, or nobody will hold every permission."
                .to_owned(),
        ),
        StoreError::UnknownGroupId(_)
        | StoreError::MalformedPermission(_)
        | StoreError::UnknownUser(_) => Some(format!("{err}.")),
        _ => None,
    }
}

async fn change_save(
    admin: &UserAdmin,
    ctx: &AppContext,
    id: &str,
    csrf: &CsrfToken,
    request: Request,
) -> loco_rs::Result<Response> {
    let (parts, body) = request.into_parts();
    let (viewer, user) = guarded_user!(admin, ctx, &parts, csrf, id);
    let body = match checked_form(Request::from_parts(parts, body), ctx).await {
        Ok((_, body)) => body,
        Err(refusal) => return Ok(refusal),
    };
    let again = |wanted, error| FormState {
        wanted,
        errors: vec![error],
        messages: Vec::new(),
    };
    let wanted = match parse_form(&body) {
        Ok(wanted) => wanted,
        Err(error) => {
            let state = again(stored(ctx, &user).await?, error);
            return form_page(
                admin,
                ctx,
                StatusCode::BAD_REQUEST,
                &viewer,
                &user,
                state,
                csrf,
            )
            .await;
        }
    };
    // Only a registered model's permission may be granted; one the user holds already may
    // stay (and be removed).
    let holdings = store::holdings(&ctx.db, user.id).await?;
    if let Some(error) = admin.refused_permission(&wanted.direct, &holdings.direct) {
        let state = again(stored(ctx, &user).await?, error);
        return form_page(
            admin,
            ctx,
            StatusCode::BAD_REQUEST,
            &viewer,
            &user,
            state,
            csrf,
        )
        .await;
    }
    match store::update_user(&ctx.db, user.id, &wanted).await {
        Ok(_) => {
            let to = format!("{}?saved=1", admin.change_url(user.id));
            Ok(Redirect::to(&to).into_response())
        }
        Err(err) => match form_error(&err) {
            Some(error) => {
                let state = again(wanted, error);
                form_page(
                    admin,
                    ctx,
                    StatusCode::BAD_REQUEST,
                    &viewer,
                    &user,
                    state,
                    csrf,
                )
                .await
            }
            None => Err(err.into()),
        },
    }
}

// After the macros, which it uses.
pub mod groups;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_form_is_read_with_repeated_keys() {
        let wanted = parse_form(
            b"csrf_token=t&superuser=on&groups=2&groups=5&permissions=docs.a&permissions=docs.b",
        )
        .unwrap();
        assert!(wanted.superuser);
        assert_eq!(wanted.groups, BTreeSet::from([2, 5]));
        assert_eq!(
            wanted.direct,
            BTreeSet::from(["docs.a".to_owned(), "docs.b".to_owned()])
        );
        assert_eq!(parse_form(b"").unwrap(), UserHoldings::default());
        let err = parse_form(b"groups=x%3Cb%3E").unwrap_err();
        assert!(err.contains("`groups`") && err.contains("x<b>"), "{err}");
    }
}
