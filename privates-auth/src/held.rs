//! The one query that reads a user and everything they hold: the user row (with the
//! superuser flag and the session epoch), the permissions granted to them, and those granted
//! to their groups, as three `UNION ALL` branches filtered by the same key. Built with
//! sea-query, so the placeholders are right for SQLite and PostgreSQL alike, and only once
//! per backend and kind of key: a request binds its key to the built SQL.

use std::any::TypeId;

use loco_rs::app::AppContext;
use privates::reads::{self, Row};
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, Statement,
    sea_query::{ArrayType, Expr, ExprTrait, Query, SelectStatement, UnionType, Value},
};
use uuid::Uuid;

use crate::{
    entities::{
        group_members, group_permissions, groups, session_epochs, superusers, user_permissions,
    },
    users::Users,
};

/// Which user to read.
#[derive(Clone, Copy, Debug)]
pub(crate) enum UserKey {
    /// loco's `users.pid`, as a session token names the user.
    Pid(Uuid),
    /// loco's `users.id`.
    Id(i32),
}

/// What one user holds, as stored.
#[derive(Clone, Debug, Default)]
pub(crate) struct Held {
    pub(crate) id: i32,
    pub(crate) superuser: bool,
    /// The session epoch (0 without a row).
    pub(crate) epoch: i32,
    /// Each permission with the group it comes through (`None`: granted directly).
    pub(crate) grants: Vec<(String, Option<String>)>,
}

/// The columns of [`query`]'s rows, with the types they are read as.
const COLUMNS: [(&str, ArrayType); 5] = [
    ("id", ArrayType::Int),
    ("superuser", ArrayType::Int),
    ("epoch", ArrayType::Int),
    ("permission", ArrayType::String),
    ("group_name", ArrayType::String),
];

/// The user `key` names and what they hold, `None` when there is no such user.
pub(crate) async fn read(db: &impl ConnectionTrait, key: UserKey) -> Result<Option<Held>, DbErr> {
    let rows = db.query_all(&query(key)).await?;
    let rows: Vec<Row> = rows
        .iter()
        .map(|row| Row::from_result(row, &COLUMNS))
        .collect::<Result<_, _>>()?;
    from_rows(&rows)
}

/// [`read`] on a request's path: through `privates::reads`, which on SQLite reads on the
/// request's own thread.
pub(crate) async fn read_for_request(
    ctx: &AppContext,
    key: UserKey,
) -> Result<Option<Held>, DbErr> {
    let statement = statement(ctx.db.get_database_backend(), key);
    from_rows(&reads::query_all(ctx, &statement, &COLUMNS).await?)
}

/// [`query`] built for `backend`, its SQL built once per backend and kind of key
/// ([`reads::built_once`]), the key bound once per branch.
fn statement(backend: DbBackend, key: UserKey) -> Statement {
    /// The shapes of [`query`]: by pid, by id.
    enum ByPid {}
    enum ById {}
    let (site, value) = match key {
        UserKey::Pid(pid) => (TypeId::of::<ByPid>(), Value::from(pid)),
        UserKey::Id(id) => (TypeId::of::<ById>(), Value::from(id)),
    };
    let values = vec![value.clone(), value.clone(), value];
    reads::built_once(site, backend, values, || backend.build(&query(key)))
}

fn from_rows(rows: &[Row]) -> Result<Option<Held>, DbErr> {
    let mut held: Option<Held> = None;
    let mut grants = Vec::new();
    for row in rows {
        let id: i32 = row.get("id")?;
        match row.get::<Option<String>>("permission")? {
            // The user's own row (the only one without a permission).
            None => {
                held = Some(Held {
                    id,
                    superuser: row.get::<Option<i32>>("superuser")?.is_some(),
                    epoch: row.get::<Option<i32>>("epoch")?.unwrap_or(0),
                    grants: Vec::new(),
                });
            }
            Some(permission) => {
                grants.push((permission, row.get::<Option<String>>("group_name")?));
            }
        }
    }
    Ok(held.map(|held| Held { grants, ..held }))
}

fn query(key: UserKey) -> SelectStatement {
    let users_id = || Expr::col((Users::Table, Users::Id));
    let keyed = |select: &mut SelectStatement| {
        select.from(Users::Table).and_where(match key {
            UserKey::Pid(pid) => Expr::col((Users::Table, Users::Pid)).eq(pid),
            UserKey::Id(id) => users_id().eq(id),
        });
    };
    let null = || Expr::cust("NULL");

    let mut user = Query::select();
    user.expr_as(users_id(), "id")
        .expr_as(
            Expr::col((superusers::Entity, superusers::Column::UserId)),
            "superuser",
        )
        .expr_as(
            Expr::col((session_epochs::Entity, session_epochs::Column::Epoch)),
            "epoch",
        )
        .expr_as(null(), "permission")
        .expr_as(null(), "group_name");
    keyed(&mut user);
    user.left_join(
        superusers::Entity,
        Expr::col((superusers::Entity, superusers::Column::UserId))
            .equals((Users::Table, Users::Id)),
    )
    .left_join(
        session_epochs::Entity,
        Expr::col((session_epochs::Entity, session_epochs::Column::UserId))
            .equals((Users::Table, Users::Id)),
    );

    let mut direct = Query::select();
    direct
        .expr_as(users_id(), "id")
        .expr_as(null(), "superuser")
        .expr_as(null(), "epoch")
        .expr_as(
            Expr::col((
                user_permissions::Entity,
                user_permissions::Column::Permission,
            )),
            "permission",
        )
        .expr_as(null(), "group_name");
    keyed(&mut direct);
    direct.inner_join(
        user_permissions::Entity,
        Expr::col((user_permissions::Entity, user_permissions::Column::UserId))
            .equals((Users::Table, Users::Id)),
    );

    let mut grouped = Query::select();
    grouped
        .expr_as(users_id(), "id")
        .expr_as(null(), "superuser")
        .expr_as(null(), "epoch")
        .expr_as(
            Expr::col((
                group_permissions::Entity,
                group_permissions::Column::Permission,
            )),
            "permission",
        )
        .expr_as(
            Expr::col((groups::Entity, groups::Column::Name)),
            "group_name",
        );
    keyed(&mut grouped);
    grouped
        .inner_join(
            group_members::Entity,
            Expr::col((group_members::Entity, group_members::Column::UserId))
                .equals((Users::Table, Users::Id)),
        )
        .inner_join(
            group_permissions::Entity,
            Expr::col((
                group_permissions::Entity,
                group_permissions::Column::GroupId,
            ))
            .equals((group_members::Entity, group_members::Column::GroupId)),
        )
        .inner_join(
            groups::Entity,
            Expr::col((groups::Entity, groups::Column::Id))
                .equals((group_members::Entity, group_members::Column::GroupId)),
        );

    user.union(UnionType::All, direct)
        .union(UnionType::All, grouped);
    user
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statement bound to the built SQL is the one sea-query builds, for every backend,
    /// kind of key and value (a second call reuses the SQL built by the first).
    #[test]
    fn the_bound_statement_is_the_built_one() {
        for backend in [DbBackend::MySql, DbBackend::Postgres, DbBackend::Sqlite] {
            for key in [
                UserKey::Id(7),
                UserKey::Id(-3),
                UserKey::Pid(Uuid::new_v4()),
                UserKey::Pid(Uuid::new_v4()),
            ] {
                assert_eq!(statement(backend, key), backend.build(&query(key)));
            }
        }
    }

    /// One statement, three branches, one placeholder per branch in each dialect.
    #[test]
    fn the_query_is_one_statement_with_dialect_placeholders() {
        let postgres = DbBackend::Postgres
            .build(&query(UserKey::Id(7)))
            .to_string();
        assert_eq!(postgres.matches("UNION ALL").count(), 2, "{postgres}");
        let sqlite = DbBackend::Sqlite.build(&query(UserKey::Id(7)));
        assert_eq!(sqlite.sql.matches('?').count(), 3, "{}", sqlite.sql);
        let postgres = DbBackend::Postgres.build(&query(UserKey::Id(7)));
        for placeholder in ["$1", "$2", "$3"] {
            assert!(postgres.sql.contains(placeholder), "{}", postgres.sql);
        }
    }
}
