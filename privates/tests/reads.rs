//! `privates::reads`: on an SQLite file in WAL mode the reads run on the request's thread and
//! answer exactly as `SeaORM` does through sqlx; anywhere else they go through `ctx.db`.
//! Closing sqlx's pool tells which way a read went: an inline read does not need it.
#![allow(clippy::unwrap_used)]

use loco_rs::app::AppContext;
use privates::reads;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ConnectionTrait, Database, DbBackend, EntityTrait, IntoActiveModel, Schema,
    sea_query::{Alias, ArrayType, Expr, ExprTrait, Order, Query},
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
    ctx.db.close_by_ref().await.unwrap();
    assert!(things::Entity::find_by_id(1).one(&ctx.db).await.is_err());
    assert_eq!(
        reads::find_by_id::<things::Entity>(&ctx, 1).await.unwrap(),
        Some(one)
    );
    assert_eq!(
        reads::find_by_id::<things::Entity>(&ctx, 2).await.unwrap(),
        Some(two)
    );
    assert_eq!(
        reads::find_by_id::<things::Entity>(&ctx, 3).await.unwrap(),
        None
    );
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
    let through_sea_orm: Vec<reads::Row> = ctx
        .db
        .query_all(&select)
        .await
        .unwrap()
        .iter()
        .map(|row| reads::Row::from_result(row, &columns).unwrap())
        .collect();

    ctx.db.close_by_ref().await.unwrap();
    let rows = reads::query_all(&ctx, &select, &columns).await.unwrap();
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
