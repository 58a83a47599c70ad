//! `store::update_user` (what privates-admin's users page saves) and `directory` (what it
//! lists), on SQLite and on PostgreSQL: a form's change is applied whole or not at all, and
//! the last superuser keeps the status, also when two changes race.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Db;
use privates_auth::{
    Error, UserHoldings,
    directory::{self, UserSummary},
    store,
};

fn wanted(superuser: bool, groups: &[i32], direct: &[&str]) -> UserHoldings {
    UserHoldings {
        superuser,
        groups: groups.iter().copied().collect(),
        direct: direct.iter().map(|p| (*p).to_owned()).collect(),
    }
}

on_sqlite_and_postgres!(a_change_is_applied_whole_or_not_at_all);
async fn a_change_is_applied_whole_or_not_at_all(db: Db) {
    let conn = &db.conn;
    let ann = db.user("ann@example.com").await;
    let bob = db.user("bob@example.com").await;
    let clerks = store::create_group(conn, "clerks").await.unwrap();
    let auditors = store::create_group(conn, "auditors").await.unwrap();
    store::grant_to_group(conn, clerks, "docs.view_scan")
        .await
        .unwrap();
    store::set_superuser(conn, ann.id, true).await.unwrap();

    let change = wanted(false, &[clerks, auditors], &["docs.change_doc", "legacy.x"]);
    assert!(store::update_user(conn, bob.id, &change).await.unwrap());
    assert!(
        !store::update_user(conn, bob.id, &change).await.unwrap(),
        "no change twice"
    );
    let held = store::holdings(conn, bob.id).await.unwrap();
    assert!(!held.superuser);
    assert_eq!(held.direct, ["docs.change_doc", "legacy.x"]);
    assert_eq!(
        held.groups,
        [
            ("auditors".to_owned(), vec![]),
            ("clerks".to_owned(), vec!["docs.view_scan".to_owned()])
        ]
    );

    // Out of one group, one grant less, made a superuser.
    let change = wanted(true, &[auditors], &["legacy.x"]);
    assert!(store::update_user(conn, bob.id, &change).await.unwrap());
    let held = store::holdings(conn, bob.id).await.unwrap();
    assert!(held.superuser);
    assert_eq!(held.direct, ["legacy.x"]);
    assert_eq!(held.groups, [("auditors".to_owned(), vec![])]);

    // What each holds at a glance, by email.
    assert_eq!(
        directory::users(conn).await.unwrap(),
        [
            UserSummary {
                id: ann.id,
                email: ann.email.clone(),
                superuser: true,
                groups: vec![],
            },
            UserSummary {
                id: bob.id,
                email: bob.email.clone(),
                superuser: true,
                groups: vec!["auditors".to_owned()],
            },
        ]
    );
    assert_eq!(directory::user(conn, -1).await.unwrap(), None);
    let names: Vec<String> = directory::groups(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|group| group.name)
        .collect();
    assert_eq!(names, ["auditors", "clerks"]);

    // Refusals change nothing: an unknown group, a malformed permission, an unknown user.
    let before = store::holdings(conn, bob.id).await.unwrap();
    let err = store::update_user(conn, bob.id, &wanted(true, &[auditors, 999_999], &[]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnknownGroupId(999_999)), "{err}");
    let err = store::update_user(conn, bob.id, &wanted(true, &[], &["no dot"]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MalformedPermission(_)), "{err}");
    assert_eq!(store::holdings(conn, bob.id).await.unwrap(), before);
    let err = store::update_user(conn, -1, &wanted(false, &[], &[]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnknownUser(_)), "{err}");
}

on_sqlite_and_postgres!(the_last_superuser_keeps_the_status);
async fn the_last_superuser_keeps_the_status(db: Db) {
    let conn = &db.conn;
    let ann = db.user("ann@example.com").await;
    let bob = db.user("bob@example.com").await;
    let clerks = store::create_group(conn, "clerks").await.unwrap();
    store::set_superuser(conn, ann.id, true).await.unwrap();

    // Refused after the grants and memberships were written: those are rolled back too.
    let err = store::update_user(
        conn,
        ann.id,
        &wanted(false, &[clerks], &["docs.change_doc"]),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::LastSuperuser(id) if id == ann.id),
        "{err}"
    );
    let held = store::holdings(conn, ann.id).await.unwrap();
    assert!(held.superuser && held.direct.is_empty() && held.groups.is_empty());

    // With a second superuser, either may step down, but not both.
    store::set_superuser(conn, bob.id, true).await.unwrap();
    assert!(
        store::update_user(conn, ann.id, &wanted(false, &[], &[]))
            .await
            .unwrap()
    );
    let err = store::update_user(conn, bob.id, &wanted(false, &[], &[]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LastSuperuser(_)), "{err}");
}

on_sqlite_and_postgres!(two_superusers_stepping_down_at_once_leave_one);
async fn two_superusers_stepping_down_at_once_leave_one(db: Db) {
    let conn = &db.conn;
    for round in 0..5 {
        let ann = db.user(&format!("ann{round}@example.com")).await;
        let bob = db.user(&format!("bob{round}@example.com")).await;
        store::set_superuser(conn, ann.id, true).await.unwrap();
        store::set_superuser(conn, bob.id, true).await.unwrap();
        let step_down = wanted(false, &[], &[]);
        let (first, second) = tokio::join!(
            store::update_user(conn, ann.id, &step_down),
            store::update_user(conn, bob.id, &step_down),
        );
        // One passes; the other is refused (PostgreSQL: it waited for the first's lock and
        // then saw one superuser left; SQLite: its write was refused as busy).
        assert!(first.is_ok() != second.is_ok(), "{first:?} {second:?}");
        let ann_is = store::holdings(conn, ann.id).await.unwrap().superuser;
        let bob_is = store::holdings(conn, bob.id).await.unwrap().superuser;
        assert!(ann_is != bob_is, "round {round}: one superuser left");
        // Clear the way for the next round.
        for id in [ann.id, bob.id] {
            store::set_superuser(conn, id, false).await.unwrap();
        }
    }
}

on_sqlite_and_postgres!(a_groups_permissions_are_set_whole);
async fn a_groups_permissions_are_set_whole(db: Db) {
    let conn = &db.conn;
    let ann = db.user("ann@example.com").await;
    let clerks = store::create_group(conn, "clerks").await.unwrap();
    store::create_group(conn, "auditors").await.unwrap();
    store::add_member(conn, clerks, ann.id).await.unwrap();
    let set = |permissions: &[&str]| -> std::collections::BTreeSet<String> {
        permissions.iter().map(|p| (*p).to_owned()).collect()
    };

    assert!(
        store::update_group(conn, clerks, &set(&["docs.b", "docs.a"]))
            .await
            .unwrap()
    );
    assert!(
        !store::update_group(conn, clerks, &set(&["docs.a", "docs.b"]))
            .await
            .unwrap()
    );
    assert!(
        store::update_group(conn, clerks, &set(&["docs.b"]))
            .await
            .unwrap()
    );
    let summaries = directory::group_summaries(conn).await.unwrap();
    let shown: Vec<(&str, usize, Vec<String>)> = summaries
        .iter()
        .map(|g| (g.name.as_str(), g.members, g.permissions.clone()))
        .collect();
    assert_eq!(
        shown,
        [
            ("auditors", 0, vec![]),
            ("clerks", 1, vec!["docs.b".to_owned()])
        ]
    );
    assert_eq!(
        directory::group(conn, clerks).await.unwrap().unwrap().name,
        "clerks"
    );
    assert_eq!(directory::group(conn, -1).await.unwrap(), None);

    let err = store::update_group(conn, clerks, &set(&["docs.c", "bad"]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MalformedPermission(_)), "{err}");
    let err = store::update_group(conn, -1, &set(&[])).await.unwrap_err();
    assert!(matches!(err, Error::UnknownGroupId(-1)), "{err}");
    assert_eq!(
        store::holdings(conn, ann.id).await.unwrap().groups,
        [("clerks".to_owned(), vec!["docs.b".to_owned()])]
    );
}
