//! `privates::reads`: on an SQLite file in WAL mode the reads run on the request's thread and
//! answer exactly as `SeaORM` does through sqlx; anywhere else they go through `ctx.db`.
//! On PostgreSQL they go through connections of their own, past sqlx's pool, unless `ctx.db`'s
//! sessions are set up after connecting. Closing sqlx's pool tells which way a read went: an
//! inline or direct read does not need it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use loco_rs::app::AppContext;
use privates::reads;
use privates_test_support::postgres::PostgresServer;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ConnectOptions, ConnectionTrait, Database, DbBackend, EntityTrait, IntoActiveModel, Schema,
    Statement,
    sea_query::{Alias, ArrayType, Expr, ExprTrait, Order, Query, SelectStatement},
};

#[allow(unreachable_pub)]
mod things {
    use sea_orm::entity::prelude::*;

    /// A column of each type the inline reads decode.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "things")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
        pub note: Option<String>,
        pub flag: bool,
        pub big: i64,
        pub small: i16,
        pub ratio: f64,
        pub token: Uuid,
        pub meta: Json,
        pub at: DateTimeWithTimeZone,
        pub at_utc: DateTimeUtc,
        pub naive: DateTime,
        pub day: Date,
        pub bytes: Vec<u8>,
        pub maybe_at: Option<DateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An app context whose database is a fresh SQLite file in `journal_mode` (loco sets WAL)
/// with the `things` table.
async fn context(folder: &tempfile::TempDir, journal_mode: &str) -> AppContext {
    let url = format!(
        "sqlite://{}?mode=rwc",
        folder.path().join("app.db").display()
    );
    let db = Database::connect(&url).await.unwrap();
    db.execute_unprepared(&format!("PRAGMA journal_mode = {journal_mode}"))
        .await
        .unwrap();
    let schema = Schema::new(DbBackend::Sqlite);
    db.execute(&schema.create_table_from_entity(things::Entity))
        .await
        .unwrap();
    let mut ctx = loco_rs::tests_cfg::app::get_app_context().await;
    ctx.db = db;
    ctx
}

fn thing(id: i32, note: Option<&str>, maybe_at: bool) -> things::Model {
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-06T10:20:30.123456+02:00").unwrap();
    things::Model {
        id,
        name: format!("thing {id} — ünïcode"),
        note: note.map(str::to_owned),
        flag: id % 2 == 0,
        big: i64::MAX - i64::from(id),
        small: -7,
        ratio: 0.1 + f64::from(id),
        token: sea_orm::prelude::Uuid::new_v4(),
        meta: serde_json::json!({"id": id, "tags": ["a", "b"], "nested": {"x": null}}),
        at,
        at_utc: at.to_utc(),
        naive: at.naive_local(),
        day: at.date_naive(),
        bytes: vec![0, 159, 146, 150, id.to_le_bytes()[0]],
        maybe_at: maybe_at.then_some(at),
    }
}

/// `select`'s rows read through `SeaORM` on `ctx.db`.
async fn read_through_sea_orm(
    ctx: &AppContext,
    select: &SelectStatement,
    columns: &[(&str, ArrayType)],
) -> Vec<reads::Row> {
    ctx.db
        .query_all(select)
        .await
        .unwrap()
        .iter()
        .map(|row| reads::Row::from_result(row, columns).unwrap())
        .collect()
}

/// `select`'s rows read through [`reads::query_all`].
async fn read_through_reads(
    ctx: &AppContext,
    select: &SelectStatement,
    columns: &[(&str, ArrayType)],
) -> Vec<reads::Row> {
    let statement = ctx.db.get_database_backend().build(select);
    reads::query_all(ctx, &statement, columns).await.unwrap()
}

async fn insert(ctx: &AppContext, model: things::Model) {
    things::ActiveModel::from(model)
        .insert(&ctx.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_instance_reads_inline_as_sea_orm_reads_it() {
    let folder = tempfile::tempdir().unwrap();
    let ctx = context(&folder, "WAL").await;
    let (one, two) = (thing(1, Some("a note"), true), thing(2, None, false));
    insert(&ctx, one.clone()).await;
    insert(&ctx, two.clone()).await;

    // The first read of the model goes through sqlx and teaches the column types; then the
    // same answers, inline.
    for id in [1, 2, 1, 2] {
        let inline = reads::find_by_id::<things::Entity>(&ctx, id).await.unwrap();
        let sea_orm = things::Entity::find_by_id(id).one(&ctx.db).await.unwrap();
        assert_eq!(inline, sea_orm);
    }
    assert_eq!(
        reads::find_by_id::<things::Entity>(&ctx, 3).await.unwrap(),
        None
    );

    // With sqlx's pool closed, the reads still answer: they did not need it.
    assert_eq!(
        finds_past_closed_pool(&ctx, &[1, 2, 3]).await,
        [Some(one), Some(two), None]
    );
}

/// Closes `ctx.db`'s pool (SeaORM's reads then fail) and answers `reads::find_by_id` for
/// each of `ids` after.
async fn finds_past_closed_pool(ctx: &AppContext, ids: &[i32]) -> Vec<Option<things::Model>> {
    ctx.db.close_by_ref().await.unwrap();
    assert!(things::Entity::find_by_id(1).one(&ctx.db).await.is_err());
    let mut found = Vec::new();
    for &id in ids {
        found.push(reads::find_by_id::<things::Entity>(ctx, id).await.unwrap());
    }
    found
}

#[tokio::test]
async fn an_inline_read_sees_every_committed_change() {
    let folder = tempfile::tempdir().unwrap();
    let ctx = context(&folder, "WAL").await;
    insert(&ctx, thing(1, Some("before"), false)).await;
    let read = || reads::find_by_id::<things::Entity>(&ctx, 1);
    assert_eq!(
        read().await.unwrap().unwrap().note.as_deref(),
        Some("before")
    );
    assert_eq!(
        read().await.unwrap().unwrap().note.as_deref(),
        Some("before")
    );

    let mut changed = read().await.unwrap().unwrap().into_active_model();
    changed.note = Set(None);
    changed.name = Set("renamed".to_owned());
    changed.update(&ctx.db).await.unwrap();
    let now = read().await.unwrap().unwrap();
    assert_eq!((now.note, now.name.as_str()), (None, "renamed"));

    things::Entity::delete_by_id(1).exec(&ctx.db).await.unwrap();
    assert_eq!(read().await.unwrap(), None);
}

#[tokio::test]
async fn outside_wal_mode_the_reads_go_through_sea_orm() {
    let folder = tempfile::tempdir().unwrap();
    let ctx = context(&folder, "DELETE").await;
    let one = thing(1, None, true);
    insert(&ctx, one.clone()).await;
    for _ in 0..2 {
        assert_eq!(
            reads::find_by_id::<things::Entity>(&ctx, 1).await.unwrap(),
            Some(one.clone())
        );
    }
    // A reader would wait for writers here, so nothing reads inline: without the pool, no read.
    ctx.db.close_by_ref().await.unwrap();
    assert!(reads::find_by_id::<things::Entity>(&ctx, 1).await.is_err());
}

#[tokio::test]
async fn query_all_reads_the_named_columns_inline_as_through_sea_orm() {
    let folder = tempfile::tempdir().unwrap();
    let ctx = context(&folder, "WAL").await;
    for id in 1..=3 {
        insert(&ctx, thing(id, (id != 2).then_some("noted"), false)).await;
    }
    let mut select = Query::select();
    select
        // `name` is selected but not named below: it is not read, inline or not.
        .columns([Alias::new("id"), Alias::new("note"), Alias::new("name")])
        .expr_as(Expr::cust("NULL"), "nothing")
        .from(Alias::new("things"))
        .and_where(Expr::col(Alias::new("id")).gt(1))
        .order_by(Alias::new("id"), Order::Asc);
    let columns = [
        ("id", ArrayType::Int),
        ("note", ArrayType::String),
        ("nothing", ArrayType::Int),
    ];
    let through_sea_orm = read_through_sea_orm(&ctx, &select, &columns).await;

    ctx.db.close_by_ref().await.unwrap();
    let rows = read_through_reads(&ctx, &select, &columns).await;
    assert_eq!(rows, through_sea_orm);
    let read: Vec<(i32, Option<String>, Option<i32>)> = rows
        .iter()
        .map(|row| {
            (
                row.get("id").unwrap(),
                row.get("note").unwrap(),
                row.get("nothing").unwrap(),
            )
        })
        .collect();
    assert_eq!(read, [(2, None, None), (3, Some("noted".to_owned()), None)]);
    // A column read as another type, or not read at all, is an error, not a default.
    assert!(rows[0].get::<String>("id").is_err());
    assert!(rows[0].get::<i32>("flag").is_err());
}

/// An app context on a database of `server` whose `things` table is in `schema`, with
/// `search_path` set after connecting when given (as `SeaORM`'s `set_schema_search_path` does).
async fn postgres_context(
    server: &PostgresServer,
    schema: &str,
    search_path: Option<&str>,
) -> AppContext {
    let url = server.create_database("app").unwrap();
    let setup = Database::connect(&url).await.unwrap();
    let schemas = if schema == "public" {
        vec![schema]
    } else {
        vec!["public", schema]
    };
    for schema in schemas {
        setup
            .execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .await
            .unwrap();
        let table = Schema::new(DbBackend::Postgres)
            .create_table_from_entity(things::Entity)
            .table((Alias::new(schema), Alias::new("things")))
            .to_owned();
        setup.execute(&table).await.unwrap();
    }
    setup.close().await.unwrap();
    let mut options = ConnectOptions::new(url);
    if let Some(search_path) = search_path {
        options.set_schema_search_path(search_path);
    }
    let mut ctx = loco_rs::tests_cfg::app::get_app_context().await;
    ctx.db = Database::connect(options).await.unwrap();
    ctx
}

async fn start_postgres() -> PostgresServer {
    tokio::task::spawn_blocking(PostgresServer::start)
        .await
        .unwrap()
        .expect("start PostgreSQL (scripts/test installs it)")
}

#[tokio::test]
async fn on_postgresql_the_reads_answer_as_sea_orm_past_sqlx_pool() {
    let server = start_postgres().await;
    let ctx = postgres_context(&server, "public", None).await;
    let (one, two) = (thing(1, Some("a note"), true), thing(2, None, false));
    insert(&ctx, one.clone()).await;
    insert(&ctx, two.clone()).await;
    for id in [1, 2, 3] {
        let direct = reads::find_by_id::<things::Entity>(&ctx, id).await.unwrap();
        let sea_orm = things::Entity::find_by_id(id).one(&ctx.db).await.unwrap();
        assert_eq!(direct, sea_orm);
    }
    let mut select = Query::select();
    select
        .columns([Alias::new("id"), Alias::new("note")])
        .from(Alias::new("things"))
        .order_by(Alias::new("id"), Order::Asc);
    let columns = [("id", ArrayType::Int), ("note", ArrayType::String)];
    let through_sea_orm = read_through_sea_orm(&ctx, &select, &columns).await;
    let mut changed = two.clone().into_active_model();
    changed.note = Set(Some("changed".to_owned()));
    changed.update(&ctx.db).await.unwrap();

    // With sqlx's pool closed, the reads still answer, and see the last committed change:
    // they went through connections of their own.
    let found = finds_past_closed_pool(&ctx, &[1, 2]).await;
    assert_eq!(found[0], Some(one));
    assert_eq!(
        found[1].clone().and_then(|two| two.note),
        Some("changed".to_owned())
    );
    let rows = read_through_reads(&ctx, &select, &columns).await;
    assert_eq!(rows[0], through_sea_orm[0]);
    assert_eq!(
        rows[1].get::<Option<String>>("note").unwrap().as_deref(),
        Some("changed")
    );
}

#[tokio::test]
async fn a_postgresql_session_set_up_after_connecting_keeps_the_reads_on_ctx_db() {
    let server = start_postgres().await;
    // `things` in `public` and in `tenant`, and ctx.db's sessions search `tenant`: a fresh
    // connection would read `public.things`.
    let ctx = postgres_context(&server, "tenant", Some("tenant")).await;
    insert(&ctx, thing(1, Some("tenant's"), false)).await;
    ctx.db
        .execute_unprepared(
            "INSERT INTO public.things SELECT id, name, 'public''s' AS note, flag, big, small, \
             ratio, token, meta, at, at_utc, naive, day, bytes, maybe_at FROM tenant.things",
        )
        .await
        .unwrap();
    for _ in 0..2 {
        let read = reads::find_by_id::<things::Entity>(&ctx, 1).await.unwrap();
        assert_eq!(read.unwrap().note.as_deref(), Some("tenant's"));
    }
    // They went through ctx.db: without its pool, no read.
    ctx.db.close_by_ref().await.unwrap();
    assert!(reads::find_by_id::<things::Entity>(&ctx, 1).await.is_err());
}

#[tokio::test]
async fn a_postgresql_read_on_a_lost_connection_goes_to_ctx_db_and_the_next_reconnects() {
    let server = start_postgres().await;
    let ctx = postgres_context(&server, "public", None).await;
    let one = thing(1, Some("a note"), true);
    insert(&ctx, one.clone()).await;
    let read = || reads::find_by_id::<things::Entity>(&ctx, 1);
    assert_eq!(read().await.unwrap(), Some(one.clone()));

    // The server ends every other session: the idle direct connection is gone, and so are
    // the pool's (which sqlx's checkout ping finds and replaces).
    let killer = Database::connect(server.url("app")).await.unwrap();
    killer
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE pid <> pg_backend_pid() AND datname = current_database()",
        )
        .await
        .unwrap();
    let others = Statement::from_string(
        DbBackend::Postgres,
        "SELECT count(*) FROM pg_stat_activity \
         WHERE pid <> pg_backend_pid() AND datname = current_database()",
    );
    for _ in 0..500 {
        let row = killer.query_one_raw(others.clone()).await.unwrap().unwrap();
        if row.try_get_by_index::<i64>(0).unwrap() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    killer.close().await.unwrap();
    assert_eq!(read().await.unwrap(), Some(one.clone()));

    // The failed connection was dropped, not lent again: with sqlx's pool closed, a new
    // direct connection answers.
    ctx.db.close_by_ref().await.unwrap();
    assert_eq!(read().await.unwrap(), Some(one));
}

#[tokio::test]
async fn a_postgresql_write_through_query_all_runs_once_and_never_on_the_direct_connections() {
    let server = start_postgres().await;
    let ctx = postgres_context(&server, "public", None).await;
    insert(&ctx, thing(1, None, false)).await;
    assert!(
        reads::find_by_id::<things::Entity>(&ctx, 1)
            .await
            .unwrap()
            .is_some()
    );
    // The direct connections are read-only: the server refuses the write there, and it runs
    // once, on ctx.db.
    let update = Statement::from_string(
        DbBackend::Postgres,
        "UPDATE things SET small = small + 1 WHERE id = 1 RETURNING small",
    );
    let rows = reads::query_all(&ctx, &update, &[("small", ArrayType::SmallInt)])
        .await
        .unwrap();
    assert_eq!(rows[0].get::<i16>("small").unwrap(), -6);
    let now = things::Entity::find_by_id(1).one(&ctx.db).await.unwrap();
    assert_eq!(now.unwrap().small, -6);

    // Without ctx.db's pool the write has nowhere to run: refused, and nothing changed.
    ctx.db.close_by_ref().await.unwrap();
    let refused = reads::query_all(&ctx, &update, &[("small", ArrayType::SmallInt)]).await;
    assert!(refused.is_err());
    let db = Database::connect(server.url("app")).await.unwrap();
    let now = things::Entity::find_by_id(1).one(&db).await.unwrap();
    assert_eq!(now.unwrap().small, -6);
}

#[tokio::test]
async fn a_context_clone_with_another_database_reads_its_own() {
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ctx = context(&first, "WAL").await;
    insert(&ctx, thing(1, Some("first"), false)).await;
    let mut other = ctx.clone();
    other.db = context(&second, "WAL").await.db;
    insert(&other, thing(1, Some("second"), false)).await;
    for _ in 0..2 {
        for (ctx, note) in [(&ctx, "first"), (&other, "second")] {
            let read = reads::find_by_id::<things::Entity>(ctx, 1).await.unwrap();
            assert_eq!(read.unwrap().note.as_deref(), Some(note));
        }
    }
}
