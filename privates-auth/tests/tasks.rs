//! The store's loco tasks against a real database (SQLite, and PostgreSQL): each changes what
//! the authorizer then reads, refuses what it cannot do with a message naming the argument to
//! fix, and `privates_user_show` reports where each permission comes from.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Db, World};
use loco_rs::task::{Task, Tasks, Vars};
use privates_auth::{
    KnownPermissions, StoreUser,
    tasks::{Operation, PermissionTask},
};

fn known() -> KnownPermissions {
    KnownPermissions::new()
        .model::<common::docs::Model>()
        .model::<common::passports::Model>()
}

/// A task's `key:value` arguments.
type Args<'a> = [(&'a str, &'a str)];

fn vars(args: &Args<'_>) -> Vars {
    Vars::from_cli_args(
        args.iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect(),
    )
}

/// Runs a task; what it prints, or its error message as `cargo loco task` shows it.
async fn run(world: &World, operation: Operation, args: &[(&str, &str)]) -> Result<String, String> {
    let task = PermissionTask::new(operation, &known());
    assert_eq!(task.task().name, operation.name());
    task.output(&world.ctx, &vars(args))
        .await
        .map_err(|err| loco_rs::Error::from(err).to_string())
}

/// The user as the authorizer reads them on a request.
async fn session_user(world: &World, user: &common::User) -> Option<StoreUser> {
    let token = world.token(user).await;
    let parts = http::Request::get("/")
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .unwrap()
        .into_parts()
        .0;
    privates_auth::authorizer::current_user(&parts, &world.ctx)
        .await
        .unwrap()
}

on_sqlite_and_postgres!(tasks_grant_revoke_and_manage_groups_and_superusers);
async fn tasks_grant_revoke_and_manage_groups_and_superusers(db: Db) {
    let world = World::start(db).await;
    let alice = world.db.user("alice@example.com").await;
    let pid = alice.pid.to_string();

    // By email, then by pid.
    let out = run(
        &world,
        Operation::Grant,
        &[("perm", "docs.view_scan"), ("user", "alice@example.com")],
    )
    .await
    .unwrap();
    assert!(out.contains("alice@example.com"), "{out}");
    let user = session_user(&world, &alice).await.unwrap();
    assert!(user.holds("docs.view_scan"));
    run(
        &world,
        Operation::Revoke,
        &[("perm", "docs.view_scan"), ("user", &pid)],
    )
    .await
    .unwrap();
    assert!(
        !session_user(&world, &alice)
            .await
            .unwrap()
            .holds("docs.view_scan")
    );

    run(&world, Operation::CreateGroup, &[("group", "clerks")])
        .await
        .unwrap();
    run(
        &world,
        Operation::Grant,
        &[("perm", "docs.can_change_doc"), ("group", "clerks")],
    )
    .await
    .unwrap();
    assert!(
        !session_user(&world, &alice)
            .await
            .unwrap()
            .holds("docs.can_change_doc")
    );
    run(
        &world,
        Operation::AddMember,
        &[("group", "clerks"), ("user", "alice@example.com")],
    )
    .await
    .unwrap();
    assert!(
        session_user(&world, &alice)
            .await
            .unwrap()
            .holds("docs.can_change_doc")
    );

    let shown = run(&world, Operation::Show, &[("user", "alice@example.com")])
        .await
        .unwrap();
    assert_eq!(
        shown,
        "user with email `alice@example.com`\nsuperuser: no\ngranted directly:\n  (none)\n\
         groups:\n  clerks:\n    docs.can_change_doc\n"
    );

    run(
        &world,
        Operation::RemoveMember,
        &[("group", "clerks"), ("user", &pid)],
    )
    .await
    .unwrap();
    assert!(
        !session_user(&world, &alice)
            .await
            .unwrap()
            .holds("docs.can_change_doc")
    );
    run(
        &world,
        Operation::AddMember,
        &[("group", "clerks"), ("user", &pid)],
    )
    .await
    .unwrap();
    run(
        &world,
        Operation::Revoke,
        &[("perm", "docs.can_change_doc"), ("group", "clerks")],
    )
    .await
    .unwrap();
    assert!(
        !session_user(&world, &alice)
            .await
            .unwrap()
            .holds("docs.can_change_doc")
    );
    run(&world, Operation::DeleteGroup, &[("group", "clerks")])
        .await
        .unwrap();
    assert_eq!(world.db.rows_of(&alice).await, 0);

    run(
        &world,
        Operation::MakeSuperuser,
        &[("user", "alice@example.com")],
    )
    .await
    .unwrap();
    let user = session_user(&world, &alice).await.unwrap();
    assert!(user.superuser && user.holds("anything.at_all"));
    let shown = run(&world, Operation::Show, &[("user", &pid)])
        .await
        .unwrap();
    assert!(shown.contains("superuser: yes"), "{shown}");
    run(
        &world,
        Operation::UnmakeSuperuser,
        &[("user", "alice@example.com")],
    )
    .await
    .unwrap();
    assert!(!session_user(&world, &alice).await.unwrap().superuser);

    // Doing it twice says so and changes nothing.
    run(
        &world,
        Operation::Grant,
        &[("perm", "docs.view_scan"), ("user", "alice@example.com")],
    )
    .await
    .unwrap();
    let again = run(
        &world,
        Operation::Grant,
        &[("perm", "docs.view_scan"), ("user", "alice@example.com")],
    )
    .await
    .unwrap();
    assert!(again.contains("already holds"), "{again}");
}

on_sqlite_and_postgres!(tasks_refuse_what_they_cannot_do_and_say_why);
async fn tasks_refuse_what_they_cannot_do_and_say_why(db: Db) {
    let world = World::start(db).await;
    let bob = world.db.user("bob@example.com").await;

    let err = run(
        &world,
        Operation::Grant,
        &[("perm", "docs.veiw_scan"), ("user", "bob@example.com")],
    )
    .await
    .unwrap_err();
    assert!(
        err.contains("`docs.veiw_scan` is not a permission of any registered model"),
        "{err}"
    );
    assert!(
        err.contains("docs.view_scan") && err.contains("force:true"),
        "{err}"
    );
    assert!(
        !session_user(&world, &bob)
            .await
            .unwrap()
            .holds("docs.veiw_scan")
    );
    // Forced, an app's own permission is granted.
    run(
        &world,
        Operation::Grant,
        &[
            ("perm", "reports.export"),
            ("user", "bob@example.com"),
            ("force", "true"),
        ],
    )
    .await
    .unwrap();
    assert!(
        session_user(&world, &bob)
            .await
            .unwrap()
            .holds("reports.export")
    );
    // Forced or not, a permission has Django's shape.
    for malformed in ["export", "reports.", ".export", "reports. export"] {
        let err = run(
            &world,
            Operation::Grant,
            &[
                ("perm", malformed),
                ("user", "bob@example.com"),
                ("force", "true"),
            ],
        )
        .await
        .unwrap_err();
        assert!(err.contains("app_label.codename"), "{malformed}: {err}");
    }

    let cases: [(Operation, &Args<'_>, &str); 10] = [
        (
            Operation::Grant,
            &[("perm", "docs.view_scan"), ("user", "nobody@example.com")],
            "no user with email `nobody@example.com`",
        ),
        (
            Operation::Grant,
            &[
                ("perm", "docs.view_scan"),
                ("user", "01234567-89ab-cdef-0123-456789abcdef"),
            ],
            "no user with pid",
        ),
        (
            Operation::Grant,
            &[("perm", "docs.view_scan")],
            "`user` or `group",
        ),
        (
            Operation::Grant,
            &[
                ("perm", "docs.view_scan"),
                ("user", "bob@example.com"),
                ("group", "x"),
            ],
            "not both",
        ),
        (
            Operation::Grant,
            &[("user", "bob@example.com")],
            "`perm:<value>`",
        ),
        (
            Operation::Grant,
            &[("perm", "docs.view_scan"), ("group", "ghosts")],
            "no group named `ghosts`",
        ),
        (
            Operation::Grant,
            &[
                ("perm", "docs.view_scan"),
                ("user", "bob@example.com"),
                ("force", "yes"),
            ],
            "`force:yes`",
        ),
        (
            Operation::CreateGroup,
            &[("group", "  ")],
            "`group:<value>`",
        ),
        (
            Operation::AddMember,
            &[("group", "ghosts"), ("user", "bob@example.com")],
            "no group named `ghosts`",
        ),
        (
            Operation::Show,
            &[("user", "nobody@example.com")],
            "no user with email",
        ),
    ];
    for (operation, args, message) in cases {
        let err = run(&world, operation, args).await.unwrap_err();
        assert!(err.contains(message), "{}: {err}", operation.name());
    }
    run(&world, Operation::CreateGroup, &[("group", "staff")])
        .await
        .unwrap();
    let err = run(&world, Operation::CreateGroup, &[("group", "staff")])
        .await
        .unwrap_err();
    assert!(
        err.contains("a group named `staff` exists already"),
        "{err}"
    );
}

#[tokio::test]
async fn the_list_task_prints_every_registered_permission_and_all_tasks_register() {
    let world = World::start(Db::sqlite().await).await;
    let listed = run(&world, Operation::List, &[]).await.unwrap();
    assert_eq!(
        listed,
        // privates-auth's own (the users page's), then the models'.
        "auth.change_user\ndocs.can_change_doc\ndocs.view_scan\ntravel.can_change_passport\n"
    );
    let mut tasks = Tasks::default();
    privates_auth::tasks::register(&mut tasks, &known());
    let names: Vec<String> = tasks.list().into_iter().map(|info| info.name).collect();
    for operation in Operation::ALL {
        assert!(
            names.iter().any(|name| name == operation.name()),
            "{}",
            operation.name()
        );
    }
    // Run by name, as `cargo loco task privates_group_create group:editors` does.
    let create = vars(&[("group", "editors")]);
    tasks
        .run(&world.ctx, "privates_group_create", &create)
        .await
        .unwrap();
    privates_auth::store::group_id(&world.db.conn, "editors")
        .await
        .unwrap();
    let refused = tasks
        .run(&world.ctx, "privates_group_create", &create)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("exists already"), "{refused}");
}
