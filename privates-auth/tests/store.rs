//! The permission store behind privates' download view, through real HTTP: what a user holds
//! directly, through groups or as a superuser decides each download, and every change (a
//! revoke, a removed membership, a deleted user, a log-out-everywhere) takes effect on the very
//! next request. Each runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Carrier, Db, PDF, PHOTO, SCAN, UUID, World};
use privates::Privates;
use privates_auth::{KnownPermissions, StoreUser, session, store};
use reqwest::StatusCode;

const PDF_URL: &str = "/admin/docs/doc/1/pdf/";
const SCAN_URL: &str = "/admin/docs/doc/1/scan/";
const CHANGE_DOC: &str = "docs.can_change_doc";
const VIEW_SCAN: &str = "docs.view_scan";

on_sqlite_and_postgres!(a_direct_grant_opens_and_its_revoke_closes_on_the_next_request);
async fn a_direct_grant_opens_and_its_revoke_closes_on_the_next_request(db: Db) {
    let world = World::start(db).await;
    let alice = world.db.user("alice@example.com").await;
    let token = world.token(&alice).await;
    let db = &world.db.conn;

    assert_eq!(
        world.status(PDF_URL, Some(&token)).await,
        StatusCode::FORBIDDEN
    );
    assert!(
        store::grant_to_user(db, alice.id, CHANGE_DOC)
            .await
            .unwrap()
    );
    assert!(
        !store::grant_to_user(db, alice.id, CHANGE_DOC)
            .await
            .unwrap()
    );
    let (status, body) = world.get_with(PDF_URL, Some(&token), Carrier::Cookie).await;
    assert_eq!((status, body.as_slice()), (StatusCode::OK, PDF));
    // The same session as a bearer token.
    let (status, body) = world.get_with(PDF_URL, Some(&token), Carrier::Bearer).await;
    assert_eq!((status, body.as_slice()), (StatusCode::OK, PDF));
    // The scan needs a permission of its own.
    assert_eq!(
        world.status(SCAN_URL, Some(&token)).await,
        StatusCode::FORBIDDEN
    );
    store::grant_to_user(db, alice.id, VIEW_SCAN).await.unwrap();
    let (status, body) = world
        .get_with(SCAN_URL, Some(&token), Carrier::Cookie)
        .await;
    assert_eq!((status, body.as_slice()), (StatusCode::OK, SCAN));

    assert!(
        store::revoke_from_user(db, alice.id, CHANGE_DOC)
            .await
            .unwrap()
    );
    assert!(
        !store::revoke_from_user(db, alice.id, CHANGE_DOC)
            .await
            .unwrap()
    );
    assert_eq!(
        world.status(PDF_URL, Some(&token)).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(world.status(SCAN_URL, Some(&token)).await, StatusCode::OK);
}

on_sqlite_and_postgres!(group_grants_reach_members_only_while_they_are_members);
async fn group_grants_reach_members_only_while_they_are_members(db: Db) {
    let world = World::start(db).await;
    let bob = world.db.user("bob@example.com").await;
    let carol = world.db.user("carol@example.com").await;
    let (bob_token, carol_token) = (world.token(&bob).await, world.token(&carol).await);
    let db = &world.db.conn;

    let clerks = store::create_group(db, "clerks").await.unwrap();
    assert!(matches!(
        store::create_group(db, "clerks").await,
        Err(privates_auth::Error::GroupExists(name)) if name == "clerks"
    ));
    store::grant_to_group(db, clerks, CHANGE_DOC).await.unwrap();
    assert_eq!(
        world.status(PDF_URL, Some(&bob_token)).await,
        StatusCode::FORBIDDEN
    );

    assert!(store::add_member(db, clerks, bob.id).await.unwrap());
    assert!(!store::add_member(db, clerks, bob.id).await.unwrap());
    assert_eq!(
        world.status(PDF_URL, Some(&bob_token)).await,
        StatusCode::OK
    );
    assert_eq!(
        world.status(PDF_URL, Some(&carol_token)).await,
        StatusCode::FORBIDDEN
    );

    // Held directly and through the group: revoking one keeps the other.
    store::grant_to_user(db, bob.id, CHANGE_DOC).await.unwrap();
    store::revoke_from_user(db, bob.id, CHANGE_DOC)
        .await
        .unwrap();
    assert_eq!(
        world.status(PDF_URL, Some(&bob_token)).await,
        StatusCode::OK
    );

    assert!(store::remove_member(db, clerks, bob.id).await.unwrap());
    assert_eq!(
        world.status(PDF_URL, Some(&bob_token)).await,
        StatusCode::FORBIDDEN
    );

    store::add_member(db, clerks, bob.id).await.unwrap();
    assert!(
        store::revoke_from_group(db, clerks, CHANGE_DOC)
            .await
            .unwrap()
    );
    assert_eq!(
        world.status(PDF_URL, Some(&bob_token)).await,
        StatusCode::FORBIDDEN
    );

    store::grant_to_group(db, clerks, CHANGE_DOC).await.unwrap();
    assert_eq!(
        world.status(PDF_URL, Some(&bob_token)).await,
        StatusCode::OK
    );
    store::delete_group(db, "clerks").await.unwrap();
    assert_eq!(
        world.status(PDF_URL, Some(&bob_token)).await,
        StatusCode::FORBIDDEN
    );
    assert!(matches!(
        store::delete_group(db, "clerks").await,
        Err(privates_auth::Error::UnknownGroup(_))
    ));
    // The group's rows went with it.
    assert_eq!(world.db.rows_of(&bob).await, 0);
}

on_sqlite_and_postgres!(a_superuser_holds_every_permission_until_unmade);
async fn a_superuser_holds_every_permission_until_unmade(db: Db) {
    let world = World::start(db).await;
    let root = world.db.user("root@example.com").await;
    let token = world.token(&root).await;
    let db = &world.db.conn;
    let photo = format!("/admin/travel/passport/{UUID}/photo/");

    for url in [PDF_URL, SCAN_URL, photo.as_str()] {
        assert_eq!(world.status(url, Some(&token)).await, StatusCode::FORBIDDEN);
    }
    assert!(store::set_superuser(db, root.id, true).await.unwrap());
    assert!(!store::set_superuser(db, root.id, true).await.unwrap());
    for (url, bytes) in [(PDF_URL, PDF), (SCAN_URL, SCAN), (photo.as_str(), PHOTO)] {
        let (status, body) = world.get_with(url, Some(&token), Carrier::Cookie).await;
        assert_eq!((status, body.as_slice()), (StatusCode::OK, bytes), "{url}");
    }
    assert!(store::set_superuser(db, root.id, false).await.unwrap());
    assert!(!store::set_superuser(db, root.id, false).await.unwrap());
    assert_eq!(
        world.status(PDF_URL, Some(&token)).await,
        StatusCode::FORBIDDEN
    );
}

on_sqlite_and_postgres!(integer_and_uuid_keys_are_served_and_malformed_keys_are_not_found);
async fn integer_and_uuid_keys_are_served_and_malformed_keys_are_not_found(db: Db) {
    let world = World::start(db).await;
    let dave = world.db.user("dave@example.com").await;
    let token = world.token(&dave).await;
    let db = &world.db.conn;
    store::grant_to_user(db, dave.id, CHANGE_DOC).await.unwrap();
    store::grant_to_user(db, dave.id, "travel.can_change_passport")
        .await
        .unwrap();

    let photo = format!("/admin/travel/passport/{UUID}/photo/");
    let (status, body) = world.get_with(&photo, Some(&token), Carrier::Cookie).await;
    assert_eq!((status, body.as_slice()), (StatusCode::OK, PHOTO));
    assert_eq!(world.status(PDF_URL, Some(&token)).await, StatusCode::OK);
    for missing in [
        "/admin/docs/doc/2/pdf/".to_owned(),
        "/admin/docs/doc/not-a-number/pdf/".to_owned(),
        "/admin/travel/passport/01234567-89ab-cdef-0123-456789abcdee/photo/".to_owned(),
        "/admin/travel/passport/not-a-uuid/photo/".to_owned(),
    ] {
        assert_eq!(
            world.status(&missing, Some(&token)).await,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
}

on_sqlite_and_postgres!(a_deleted_user_is_anonymous_and_leaves_nothing_behind);
async fn a_deleted_user_is_anonymous_and_leaves_nothing_behind(db: Db) {
    let world = World::start(db).await;
    let erin = world.db.user("erin@example.com").await;
    let token = world.token(&erin).await;
    let db = &world.db.conn;
    let staff = store::create_group(db, "staff").await.unwrap();
    store::add_member(db, staff, erin.id).await.unwrap();
    store::grant_to_user(db, erin.id, CHANGE_DOC).await.unwrap();
    store::set_superuser(db, erin.id, true).await.unwrap();
    session::log_out_everywhere(db, erin.id).await.unwrap();
    let token_after_logout = world.token(&erin).await;
    assert_eq!(
        world.status(PDF_URL, Some(&token_after_logout)).await,
        StatusCode::OK
    );
    assert_eq!(world.db.rows_of(&erin).await, 4);

    world.db.delete_user(&erin).await;
    assert_eq!(world.db.rows_of(&erin).await, 0);
    let anonymous = world.status(PDF_URL, None).await;
    assert_ne!(anonymous, StatusCode::OK);
    assert_eq!(
        world.status(PDF_URL, Some(&token_after_logout)).await,
        anonymous
    );
    assert_eq!(world.status(PDF_URL, Some(&token)).await, anonymous);
    // The group stays, empty.
    assert_eq!(store::group_id(db, "staff").await.unwrap(), staff);
}

on_sqlite_and_postgres!(logging_out_everywhere_ends_every_earlier_token);
async fn logging_out_everywhere_ends_every_earlier_token(db: Db) {
    let world = World::start(db).await;
    let frank = world.db.user("frank@example.com").await;
    let db = &world.db.conn;
    store::grant_to_user(db, frank.id, CHANGE_DOC)
        .await
        .unwrap();
    let laptop = world.token(&frank).await;
    let phone = world.token(&frank).await;
    let anonymous = world.status(PDF_URL, None).await;
    assert_eq!(anonymous, StatusCode::UNAUTHORIZED);

    // A token minted without the epoch claim (loco's own login) counts as epoch 0.
    let plain = loco_rs::auth::jwt::JWT::new(common::SECRET)
        .generate_token(3600, frank.pid.to_string(), serde_json::Map::new())
        .unwrap();
    assert_eq!(world.status(PDF_URL, Some(&plain)).await, StatusCode::OK);

    session::log_out_everywhere(db, frank.id).await.unwrap();
    for token in [&laptop, &phone, &plain] {
        assert_eq!(world.status(PDF_URL, Some(token)).await, anonymous);
        assert_eq!(
            world
                .get_with(PDF_URL, Some(token), Carrier::Bearer)
                .await
                .0,
            anonymous
        );
    }
    let fresh = world.token(&frank).await;
    assert_eq!(world.status(PDF_URL, Some(&fresh)).await, StatusCode::OK);
    assert_eq!(session::current_epoch(db, frank.id).await.unwrap(), 1);
    // Twice more: each moves the epoch on.
    session::log_out_everywhere(db, frank.id).await.unwrap();
    session::log_out_everywhere(db, frank.id).await.unwrap();
    assert_eq!(session::current_epoch(db, frank.id).await.unwrap(), 3);
    assert_eq!(world.status(PDF_URL, Some(&fresh)).await, anonymous);

    // A token whose epoch claim is not a number, and a forged one, name nobody.
    let mut claims = serde_json::Map::new();
    claims.insert(session::EPOCH_CLAIM.into(), "3".into());
    let odd = loco_rs::auth::jwt::JWT::new(common::SECRET)
        .generate_token(3600, frank.pid.to_string(), claims)
        .unwrap();
    assert_eq!(world.status(PDF_URL, Some(&odd)).await, anonymous);
    let forged = loco_rs::auth::jwt::JWT::new("YW5vdGhlci1zZWNyZXQtYWx0b2dldGhlcg==")
        .generate_token(3600, frank.pid.to_string(), serde_json::Map::new())
        .unwrap();
    assert_eq!(world.status(PDF_URL, Some(&forged)).await, anonymous);
}

on_sqlite_and_postgres!(each_request_reads_the_user_and_all_they_hold_in_one_query);
async fn each_request_reads_the_user_and_all_they_hold_in_one_query(db: Db) {
    let world = World::start(db).await;
    let gina = world.db.user("gina@example.com").await;
    let token = world.token(&gina).await;
    let db = &world.db.conn;
    for group in ["a", "b", "c"] {
        let id = store::create_group(db, group).await.unwrap();
        store::add_member(db, id, gina.id).await.unwrap();
        store::grant_to_group(db, id, &format!("{group}.perm"))
            .await
            .unwrap();
    }
    store::grant_to_user(db, gina.id, "direct.perm")
        .await
        .unwrap();

    // The extractor-style read: everything in one statement.
    let parts = http::Request::get("/")
        .header("cookie", format!("{}={token}", common::COOKIE))
        .body(())
        .unwrap()
        .into_parts()
        .0;
    // On SQLite the reads run inline (`privates::reads`), so none goes through sqlx; the
    // PostgreSQL run counts those the server ran.
    let counted = |count: usize| if world.db.reads_inline() { 0 } else { count };
    // The first read on PostgreSQL also compares the sessions of `ctx.db` and of
    // `privates::reads`' own connections, once (a statement on each).
    let once = counted(2);
    let before = world.db.statements();
    let user: StoreUser = privates_auth::authorizer::current_user(&parts, &world.ctx)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(world.db.statements() - before, once + counted(1));
    assert_eq!(
        user.permissions().collect::<Vec<_>>(),
        ["a.perm", "b.perm", "c.perm", "direct.perm"]
    );
    assert!(user.holds("b.perm") && !user.holds(CHANGE_DOC) && !user.superuser);
    assert_eq!((user.id, user.pid), (gina.id, gina.pid));

    // A refused download: one statement (the user); a granted one: two (the user, the doc).
    let before = world.db.statements();
    assert_eq!(
        world.status(PDF_URL, Some(&token)).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(world.db.statements() - before, counted(1));
    store::grant_to_user(db, gina.id, CHANGE_DOC).await.unwrap();
    let before = world.db.statements();
    assert_eq!(world.status(PDF_URL, Some(&token)).await, StatusCode::OK);
    // Inline, the first read of a model goes through sqlx once, to learn its column types.
    let first = if world.db.reads_inline() { 1 } else { 2 };
    assert_eq!(world.db.statements() - before, first);
    let before = world.db.statements();
    assert_eq!(world.status(PDF_URL, Some(&token)).await, StatusCode::OK);
    assert_eq!(world.db.statements() - before, counted(2));
    // Anonymous: none.
    let before = world.db.statements();
    assert_eq!(world.status(PDF_URL, None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(world.db.statements() - before, 0);
}

#[tokio::test]
async fn the_registered_models_permissions_are_known() {
    let world = World::start(Db::sqlite().await).await;
    let privates = Privates::from_ctx(&world.ctx).unwrap();
    assert_eq!(
        privates.permissions(),
        [CHANGE_DOC, VIEW_SCAN, "travel.can_change_passport"]
    );
    let known = KnownPermissions::from(&privates);
    assert_eq!(
        known,
        KnownPermissions::new()
            .model::<common::docs::Model>()
            .model::<common::passports::Model>()
    );
    assert!(known.contains(VIEW_SCAN) && !known.contains("docs.view_doc"));
}
