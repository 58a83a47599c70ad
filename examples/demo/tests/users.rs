//! The users page (privates-admin's `UserAdmin`, registered by the demo) through real HTTP:
//! it shows what privates-auth's store holds, a saved form changes it in one go and the very
//! next download reflects it, and nobody without `auth.change_user`, no forged form and no
//! anonymous browser changes anything. The last superuser keeps the status.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Demo, client, pdf};
use privates_auth::store::{self, Holdings};
use reqwest::{StatusCode, header};

const LIST: &str = "/admin/auth/user/";
const CHANGE_DOCS: &str = "docs.can_change_iddocument";

fn change_path(id: i32) -> String {
    format!("/admin/auth/user/{id}/change/")
}

async fn user_id(demo: &Demo, email: &str) -> i32 {
    demo.user(email).await.id
}

/// What the user `email` holds, as stored.
async fn holdings(demo: &Demo, email: &str) -> Holdings {
    let id = user_id(demo, email).await;
    let db = demo.connect().await;
    let holdings = store::holdings(&db, id).await.unwrap();
    db.close().await.unwrap();
    holdings
}

/// Creates the group `name` granting `permissions`; its id.
async fn group(demo: &Demo, name: &str, permissions: &[&str]) -> i32 {
    let db = demo.connect().await;
    let id = store::create_group(&db, name).await.unwrap();
    for permission in permissions {
        store::grant_to_group(&db, id, permission).await.unwrap();
    }
    db.close().await.unwrap();
    id
}

/// The status of a download of document `id`'s PDF as `cookie`.
async fn download(demo: &Demo, id: i32, cookie: &str) -> StatusCode {
    client()
        .get(demo.url(&format!("/admin/docs/iddocument/{id}/pdf/")))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .status()
}

/// POSTs the change form of user `id` as `cookie`: `fields` plus a valid CSRF token.
async fn save(demo: &Demo, cookie: &str, id: i32, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = demo.csrf_token(cookie).await;
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    post(demo, cookie, id, &form).await
}

/// POSTs `form` as it is to the change page of user `id`.
async fn post(demo: &Demo, cookie: &str, id: i32, form: &[(&str, &str)]) -> reqwest::Response {
    client()
        .post(demo.url(&change_path(id)))
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT, "text/html")
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Asserts a saved form: a redirect to the change page, which says so.
async fn assert_saved(demo: &Demo, cookie: &str, id: i32, response: reqwest::Response) {
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|value| value.to_str().unwrap().to_owned());
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}\n{}", demo.log_text());
    let location = location.unwrap();
    assert_eq!(location, format!("{}?saved=1", change_path(id)));
    let page = demo
        .get(Some(cookie), &location)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("were saved."), "{page}");
}

/// The `<input>` tag of the checkbox `name` with `value` on `html`.
fn checkbox<'a>(html: &'a str, name: &str, value: &str) -> &'a str {
    let marker = format!(r#"<input type="checkbox" name="{name}" value="{value}""#);
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no checkbox {name}={value} in\n{html}"));
    let end = start + html[start..].find('>').unwrap();
    &html[start..=end]
}

fn ticked(html: &str, name: &str, value: &str) -> bool {
    checkbox(html, name, value).contains(" checked")
}

fn assert_admin_headers(response: &reqwest::Response) {
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn the_list_and_the_page_show_what_the_store_holds() {
    let demo = Demo::start();
    let viewer = user_id(&demo, "viewer@example.com").await;
    let clerks = group(&demo, "clerks", &["docs.view_mugshot"]).await;
    let evil = group(&demo, "<b>evil</b>", &[]).await;
    let db = demo.connect().await;
    store::add_member(&db, clerks, viewer).await.unwrap();
    // Granted by a task with `force:true` once: no registered model uses it.
    store::grant_to_user(&db, viewer, "legacy.export_all")
        .await
        .unwrap();
    db.close().await.unwrap();
    let admin = demo.login("admin@example.com", "admin").await;

    let response = demo.get(Some(&admin), LIST).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_admin_headers(&response);
    let list = response.text().await.unwrap();
    let row = |id: i32| {
        let start = list.find(&format!(r#"<tr id="user-{id}">"#)).unwrap();
        list[start..start + list[start..].find("</tr>").unwrap()].to_owned()
    };
    let admin_row = row(user_id(&demo, "admin@example.com").await);
    assert!(admin_row.contains("admin@example.com"), "{admin_row}");
    assert!(admin_row.contains(">yes<"), "{admin_row}");
    let viewer_row = row(viewer);
    assert!(viewer_row.contains(&format!(r#"href="{}""#, change_path(viewer))));
    assert!(
        viewer_row.contains(">no<") && viewer_row.contains("clerks"),
        "{viewer_row}"
    );

    let response = demo.get(Some(&admin), &change_path(viewer)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_admin_headers(&response);
    let page = response.text().await.unwrap();
    assert!(page.contains("viewer@example.com"));
    assert!(!checkbox(&page, "superuser", "on").contains(" checked"));
    assert!(ticked(&page, "groups", &clerks.to_string()));
    assert!(!ticked(&page, "groups", &evil.to_string()));
    // Every known permission, privates-auth's own included, and the unused grant, ticked.
    assert!(!ticked(&page, "permissions", CHANGE_DOCS));
    assert!(!ticked(&page, "permissions", "docs.view_mugshot"));
    assert!(!ticked(&page, "permissions", privates_auth::CHANGE_USER));
    assert!(ticked(&page, "permissions", "legacy.export_all"));
    assert!(page.contains("used by no registered model"));
    // Held in effect: through the group, and directly.
    assert!(
        page.contains("<td>docs.view_mugshot</td><td>group “clerks”</td>"),
        "{page}"
    );
    assert!(
        page.contains("<td>legacy.export_all</td><td>directly</td>"),
        "{page}"
    );
    // The group's name is text, not markup.
    assert!(page.contains("&#60;b&#62;evil&#60;/b&#62;"), "{page}");
    assert!(!page.contains("<b>evil</b>"));

    // A superuser's page says so; an unknown or malformed id is a 404 page.
    let page = demo
        .get(
            Some(&admin),
            &change_path(user_id(&demo, "admin@example.com").await),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(ticked(&page, "superuser", "on"));
    assert!(page.contains("Superuser: holds every permission."));
    for missing in ["/admin/auth/user/999/change/", "/admin/auth/user/x/change/"] {
        assert_eq!(
            demo.get(Some(&admin), missing).await.status(),
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn a_saved_form_changes_the_very_next_download() {
    let demo = Demo::start();
    demo.put_file("users.pdf", &pdf());
    let doc = demo.insert_doc("users", Some("users.pdf"), "").await;
    let viewer_id = user_id(&demo, "viewer@example.com").await;
    let editors = group(&demo, "editors", &[CHANGE_DOCS]).await;
    let db = demo.connect().await;
    store::grant_to_user(&db, viewer_id, "legacy.export_all")
        .await
        .unwrap();
    db.close().await.unwrap();
    let admin = demo.login("admin@example.com", "admin").await;
    let viewer = demo.login("viewer@example.com", "viewer").await;
    assert_eq!(download(&demo, doc, &viewer).await, StatusCode::FORBIDDEN);

    // A direct grant, keeping the unused one.
    let response = save(
        &demo,
        &admin,
        viewer_id,
        &[
            ("permissions", CHANGE_DOCS),
            ("permissions", "legacy.export_all"),
        ],
    )
    .await;
    assert_saved(&demo, &admin, viewer_id, response).await;
    assert_eq!(download(&demo, doc, &viewer).await, StatusCode::OK);
    assert_eq!(
        holdings(&demo, "viewer@example.com").await.direct,
        [CHANGE_DOCS, "legacy.export_all"]
    );

    // Everything unticked: the unused grant goes too, and the download is refused.
    let response = save(&demo, &admin, viewer_id, &[]).await;
    assert_saved(&demo, &admin, viewer_id, response).await;
    assert_eq!(download(&demo, doc, &viewer).await, StatusCode::FORBIDDEN);
    assert_eq!(
        holdings(&demo, "viewer@example.com").await,
        Holdings::default()
    );

    // Through a group.
    let response = save(
        &demo,
        &admin,
        viewer_id,
        &[("groups", &editors.to_string())],
    )
    .await;
    assert_saved(&demo, &admin, viewer_id, response).await;
    assert_eq!(download(&demo, doc, &viewer).await, StatusCode::OK);
    let page = demo
        .get(Some(&admin), &change_path(viewer_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(ticked(&page, "groups", &editors.to_string()));
    assert!(page.contains(&format!("<td>{CHANGE_DOCS}</td><td>group “editors”</td>")));

    // Out of the group, made a superuser: still allowed, as a superuser.
    let response = save(&demo, &admin, viewer_id, &[("superuser", "on")]).await;
    assert_saved(&demo, &admin, viewer_id, response).await;
    assert_eq!(download(&demo, doc, &viewer).await, StatusCode::OK);
    let held = holdings(&demo, "viewer@example.com").await;
    assert!(held.superuser && held.groups.is_empty() && held.direct.is_empty());
    // And now the viewer may change users too.
    assert_eq!(demo.get(Some(&viewer), LIST).await.status(), StatusCode::OK);

    // A permission no registered model uses and the user does not hold cannot be granted;
    // nothing of that form is applied.
    let response = save(
        &demo,
        &admin,
        viewer_id,
        &[("permissions", "docs.can_chnage_iddocument")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("`docs.can_chnage_iddocument` is not a permission"),
        "{page}"
    );
    assert!(holdings(&demo, "viewer@example.com").await.superuser);
    // A group that does not exist: refused, nothing applied.
    let response = save(&demo, &admin, viewer_id, &[("groups", "987")]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("no group with id `987`")
    );
    assert!(holdings(&demo, "viewer@example.com").await.superuser);
}

#[tokio::test]
async fn a_missing_or_forged_csrf_token_changes_nothing() {
    let demo = Demo::start();
    let viewer_id = user_id(&demo, "viewer@example.com").await;
    let admin = demo.login("admin@example.com", "admin").await;
    let token = demo.csrf_token(&admin).await;
    let grant = ("permissions", CHANGE_DOCS);

    let response = post(&demo, &admin, viewer_id, &[grant]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("CSRF token missing.")
    );

    let response = post(&demo, &admin, viewer_id, &[("csrf_token", "forged"), grant]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("CSRF token incorrect.")
    );

    // Another session's token (the viewer's own page).
    let viewer = demo.login("viewer@example.com", "viewer").await;
    let theirs = demo.csrf_token(&viewer).await;
    let response = post(&demo, &admin, viewer_id, &[("csrf_token", &theirs), grant]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // A valid token sent from another site.
    let response = client()
        .post(demo.url(&change_path(viewer_id)))
        .header(header::COOKIE, &admin)
        .header(header::ORIGIN, "http://evil.example")
        .form(&[("csrf_token", token.as_str()), grant])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    assert_eq!(
        holdings(&demo, "viewer@example.com").await,
        Holdings::default()
    );
    // The same token in a same-site form is accepted: the refusals were the CSRF check's.
    let response = post(&demo, &admin, viewer_id, &[("csrf_token", &token), grant]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        holdings(&demo, "viewer@example.com").await.direct,
        [CHANGE_DOCS]
    );
}

#[tokio::test]
async fn only_holders_of_auth_change_user_see_or_change_users() {
    let demo = Demo::start();
    let admin_id = user_id(&demo, "admin@example.com").await;
    let clerk = demo.login("clerk@example.com", "clerk").await;

    // Anonymous: a browser goes to the login page, a script gets 401.
    let response = demo.get(None, LIST).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    assert!(location.starts_with("/login?next="), "{location}");
    assert!(location.contains("auth"), "{location}");
    let response = client().get(demo.url(LIST)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = client()
        .post(demo.url(&change_path(admin_id)))
        .form(&[("permissions", CHANGE_DOCS)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // The clerk holds the documents' permissions, not `auth.change_user`: 403 pages.
    for path in [LIST.to_owned(), change_path(admin_id)] {
        let response = demo.get(Some(&clerk), &path).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        assert_admin_headers(&response);
        let page = response.text().await.unwrap();
        assert!(
            page.contains("You do not have permission to change users."),
            "{page}"
        );
        assert!(page.contains("clerk@example.com"), "{page}");
    }
    // Taking the admin's superuser status, with a valid token of the clerk's: refused.
    let response = save(&demo, &clerk, admin_id, &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(holdings(&demo, "admin@example.com").await.superuser);
    let clerk_id = user_id(&demo, "clerk@example.com").await;
    let response = save(&demo, &clerk, clerk_id, &[("superuser", "on")]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(!holdings(&demo, "clerk@example.com").await.superuser);

    // `auth.change_user` is a known permission: the grant task accepts it, and then the
    // clerk may.
    let output = demo.run(&[
        "task",
        "privates_grant",
        "perm:auth.change_user",
        "user:clerk@example.com",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(demo.get(Some(&clerk), LIST).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_last_superuser_keeps_the_status() {
    let demo = Demo::start();
    let admin_id = user_id(&demo, "admin@example.com").await;
    let viewer_id = user_id(&demo, "viewer@example.com").await;
    let admin = demo.login("admin@example.com", "admin").await;

    // The only superuser unticks their own status: refused with a form error, and the form
    // shows what was asked.
    let response = save(&demo, &admin, admin_id, &[("permissions", CHANGE_DOCS)]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let page = response.text().await.unwrap();
    assert!(page.contains("This user is the last superuser"), "{page}");
    assert!(!ticked(&page, "superuser", "on"));
    assert!(ticked(&page, "permissions", CHANGE_DOCS));
    // Nothing of that form was applied, the grant neither.
    let held = holdings(&demo, "admin@example.com").await;
    assert!(held.superuser && held.direct.is_empty(), "{held:?}");
    assert_eq!(demo.get(Some(&admin), LIST).await.status(), StatusCode::OK);

    // With a second superuser, the first may step down, and loses the page with it.
    let response = save(&demo, &admin, viewer_id, &[("superuser", "on")]).await;
    assert_saved(&demo, &admin, viewer_id, response).await;
    let response = save(&demo, &admin, admin_id, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!holdings(&demo, "admin@example.com").await.superuser);
    assert_eq!(
        demo.get(Some(&admin), LIST).await.status(),
        StatusCode::FORBIDDEN
    );

    // Now the viewer is the last one.
    let viewer = demo.login("viewer@example.com", "viewer").await;
    let response = save(&demo, &viewer, viewer_id, &[]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(holdings(&demo, "viewer@example.com").await.superuser);
}

/// POSTs the urlencoded `fields` to `path` as `cookie`, with a valid CSRF token.
async fn post_to(
    demo: &Demo,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = demo.csrf_token(cookie).await;
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    client()
        .post(demo.url(path))
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT, "text/html")
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The id of the group `name`, `None` when there is none.
async fn group_named(demo: &Demo, name: &str) -> Option<i32> {
    let db = demo.connect().await;
    let id = store::group_id(&db, name).await.ok();
    db.close().await.unwrap();
    id
}

#[tokio::test]
async fn groups_are_added_granted_and_deleted_through_their_pages() {
    let demo = Demo::start();
    demo.put_file("groups.pdf", &pdf());
    let doc = demo.insert_doc("groups", Some("groups.pdf"), "").await;
    let viewer_id = user_id(&demo, "viewer@example.com").await;
    let admin = demo.login("admin@example.com", "admin").await;
    let clerk = demo.login("clerk@example.com", "clerk").await;
    let viewer = demo.login("viewer@example.com", "viewer").await;

    // Added through the form; the users list links to the groups.
    let users = demo.get(Some(&admin), LIST).await.text().await.unwrap();
    assert!(users.contains(r#"<a href="/admin/auth/group/">Groups</a>"#));
    let response = post_to(
        &demo,
        &admin,
        "/admin/auth/group/add/",
        &[("name", " editors ")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let editors = group_named(&demo, "editors")
        .await
        .expect("the group was added");
    let group_path = format!("/admin/auth/group/{editors}/change/");
    assert_eq!(
        response.headers()[header::LOCATION],
        format!("{group_path}?saved=1").as_str()
    );
    for (name, message) in [("editors", "exists already"), ("  ", "not empty")] {
        let response = post_to(&demo, &admin, "/admin/auth/group/add/", &[("name", name)]).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{name:?}");
        assert!(response.text().await.unwrap().contains(message), "{name:?}");
    }
    let response = client()
        .post(demo.url("/admin/auth/group/add/"))
        .header(header::COOKIE, &admin)
        .form(&[("name", "sneaky")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(group_named(&demo, "sneaky").await, None);

    // Granted to the group: its member may download, until it is taken back.
    let page = demo
        .get(Some(&admin), &group_path)
        .await
        .text()
        .await
        .unwrap();
    assert!(!ticked(&page, "permissions", CHANGE_DOCS));
    let response = post_to(&demo, &admin, &group_path, &[("permissions", CHANGE_DOCS)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = save(
        &demo,
        &admin,
        viewer_id,
        &[("groups", &editors.to_string())],
    )
    .await;
    assert_saved(&demo, &admin, viewer_id, response).await;
    assert_eq!(download(&demo, doc, &viewer).await, StatusCode::OK);
    let list = demo
        .get(Some(&admin), "/admin/auth/group/")
        .await
        .text()
        .await
        .unwrap();
    let start = list.find(&format!(r#"<tr id="group-{editors}">"#)).unwrap();
    let row = &list[start..start + list[start..].find("</tr>").unwrap()];
    assert!(row.contains(">1<") && row.contains(CHANGE_DOCS), "{row}");
    let response = post_to(&demo, &admin, &group_path, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(download(&demo, doc, &viewer).await, StatusCode::FORBIDDEN);
    let response = post_to(&demo, &admin, &group_path, &[("permissions", "docs.typo")]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("`docs.typo` is not a permission")
    );

    // The clerk may neither see nor delete it; a forged delete neither.
    let delete_path = format!("/admin/auth/group/{editors}/delete/");
    assert_eq!(
        demo.get(Some(&clerk), "/admin/auth/group/").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_to(&demo, &clerk, &delete_path, &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    let response = client()
        .post(demo.url(&delete_path))
        .header(header::COOKIE, &admin)
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(group_named(&demo, "editors").await, Some(editors));

    // Deleted, with its memberships.
    let response = post_to(&demo, &admin, &delete_path, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(group_named(&demo, "editors").await, None);
    assert!(
        holdings(&demo, "viewer@example.com")
            .await
            .groups
            .is_empty()
    );
    let list = demo
        .get(Some(&admin), "/admin/auth/group/?deleted=1")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("The group was deleted.") && list.contains("No groups yet."));
    assert_eq!(
        demo.get(Some(&admin), &group_path).await.status(),
        StatusCode::NOT_FOUND
    );
}
