//! Changing what users hold, and reporting it: the operations behind the [tasks](crate::tasks)
//! and an app's own admin pages. Users are loco's `users.id`; find one with [`user_id`].
//!
//! Every grant and membership is held once: granting what is held already changes nothing
//! (the functions return whether something changed). Changes take effect on the next request
//! ([`StoreAuthorizer`](crate::StoreAuthorizer) caches nothing).

use std::{collections::BTreeSet, fmt};

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, TransactionSession,
    TransactionTrait, TryInsertResult,
    sea_query::{Expr, ExprTrait, Order, Query},
};
use uuid::Uuid;

use crate::{
    entities::{group_members, group_permissions, groups, superusers, user_permissions},
    error::Error,
    held::{self, UserKey},
    users::Users,
};

/// A user as a person names them: by email, by loco's `pid`, or by `users.id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserRef {
    /// loco's `users.email`.
    Email(String),
    /// loco's `users.pid`.
    Pid(Uuid),
    /// loco's `users.id`.
    Id(i32),
}

impl UserRef {
    /// A UUID is a pid, a number an id, anything else an email.
    #[must_use]
    pub fn parse(value: &str) -> Self {
        let value = value.trim();
        if let Ok(pid) = Uuid::parse_str(value) {
            return Self::Pid(pid);
        }
        value
            .parse()
            .map_or_else(|_| Self::Email(value.to_owned()), Self::Id)
    }
}

impl fmt::Display for UserRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Email(email) => write!(f, "with email `{email}`"),
            Self::Pid(pid) => write!(f, "with pid `{pid}`"),
            Self::Id(id) => write!(f, "with id `{id}`"),
        }
    }
}

/// loco's `users.id` of the user `who` names.
///
/// # Errors
/// [`Error::UnknownUser`], [`Error::Database`].
pub async fn user_id(db: &impl ConnectionTrait, who: &UserRef) -> Result<i32, Error> {
    let mut select = Query::select();
    select.column(Users::Id).from(Users::Table);
    match who {
        UserRef::Email(email) => select.and_where(Expr::col(Users::Email).eq(email.as_str())),
        UserRef::Pid(pid) => select.and_where(Expr::col(Users::Pid).eq(*pid)),
        UserRef::Id(id) => select.and_where(Expr::col(Users::Id).eq(*id)),
    };
    match db.query_one(&select).await? {
        Some(row) => Ok(row.try_get("", "id")?),
        None => Err(Error::UnknownUser(who.clone())),
    }
}

/// A permission must look like `app_label.codename`: the rule the derive enforces on every
/// model's and field's permission (`privates_rules::label::is_permission`), so a grant can
/// only name a permission some model could ask for.
///
/// # Errors
/// [`Error::MalformedPermission`].
pub fn check_permission_syntax(permission: &str) -> Result<(), Error> {
    if privates_rules::label::is_permission(permission) {
        Ok(())
    } else {
        Err(Error::MalformedPermission(permission.to_owned()))
    }
}

/// Whether an insert that does nothing on a conflict inserted its row.
fn inserted(result: TryInsertResult<u64>) -> bool {
    matches!(result, TryInsertResult::Inserted(rows) if rows > 0)
}

/// Grants `permission` to the user; `false` when they held it already.
///
/// # Errors
/// [`Error::MalformedPermission`], [`Error::Database`] (also for a user that does not exist).
pub async fn grant_to_user(
    db: &impl ConnectionTrait,
    user_id: i32,
    permission: &str,
) -> Result<bool, Error> {
    check_permission_syntax(permission)?;
    let row = user_permissions::ActiveModel {
        user_id: Set(user_id),
        permission: Set(permission.to_owned()),
    };
    Ok(inserted(
        user_permissions::Entity::insert(row)
            .on_conflict_do_nothing()
            .exec_without_returning(db)
            .await?,
    ))
}

/// Revokes the user's own grant of `permission` (not their groups'); `false` when they had
/// none.
///
/// # Errors
/// [`Error::Database`].
pub async fn revoke_from_user(
    db: &impl ConnectionTrait,
    user_id: i32,
    permission: &str,
) -> Result<bool, Error> {
    let deleted = user_permissions::Entity::delete_many()
        .filter(user_permissions::Column::UserId.eq(user_id))
        .filter(user_permissions::Column::Permission.eq(permission))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Creates the group `name` and returns its id.
///
/// # Errors
/// [`Error::EmptyGroupName`], [`Error::GroupExists`], [`Error::Database`].
pub async fn create_group(db: &impl ConnectionTrait, name: &str) -> Result<i32, Error> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::EmptyGroupName);
    }
    let row = groups::ActiveModel {
        name: Set(name.to_owned()),
        ..Default::default()
    };
    let created = groups::Entity::insert(row)
        .on_conflict_do_nothing_on([groups::Column::Name])
        .exec_without_returning(db)
        .await?;
    if !inserted(created) {
        return Err(Error::GroupExists(name.to_owned()));
    }
    group_id(db, name).await
}

/// The id of the group `name`.
///
/// # Errors
/// [`Error::UnknownGroup`], [`Error::Database`].
pub async fn group_id(db: &impl ConnectionTrait, name: &str) -> Result<i32, Error> {
    groups::Entity::find()
        .filter(groups::Column::Name.eq(name.trim()))
        .one(db)
        .await?
        .map(|group| group.id)
        .ok_or_else(|| Error::UnknownGroup(name.trim().to_owned()))
}

/// Deletes the group `name`, with its grants and memberships.
///
/// # Errors
/// [`Error::UnknownGroup`], [`Error::Database`].
pub async fn delete_group(db: &impl ConnectionTrait, name: &str) -> Result<(), Error> {
    let deleted = groups::Entity::delete_many()
        .filter(groups::Column::Name.eq(name.trim()))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(Error::UnknownGroup(name.trim().to_owned()));
    }
    Ok(())
}

/// Grants `permission` to the group (so to each of its members); `false` when it held it.
///
/// # Errors
/// [`Error::MalformedPermission`], [`Error::Database`].
pub async fn grant_to_group(
    db: &impl ConnectionTrait,
    group_id: i32,
    permission: &str,
) -> Result<bool, Error> {
    check_permission_syntax(permission)?;
    let row = group_permissions::ActiveModel {
        group_id: Set(group_id),
        permission: Set(permission.to_owned()),
    };
    Ok(inserted(
        group_permissions::Entity::insert(row)
            .on_conflict_do_nothing()
            .exec_without_returning(db)
            .await?,
    ))
}

/// Revokes the group's grant of `permission`; `false` when it had none.
///
/// # Errors
/// [`Error::Database`].
pub async fn revoke_from_group(
    db: &impl ConnectionTrait,
    group_id: i32,
    permission: &str,
) -> Result<bool, Error> {
    let deleted = group_permissions::Entity::delete_many()
        .filter(group_permissions::Column::GroupId.eq(group_id))
        .filter(group_permissions::Column::Permission.eq(permission))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Puts the user in the group; `false` when they were in it.
///
/// # Errors
/// [`Error::Database`].
pub async fn add_member(
    db: &impl ConnectionTrait,
    group_id: i32,
    user_id: i32,
) -> Result<bool, Error> {
    let row = group_members::ActiveModel {
        user_id: Set(user_id),
        group_id: Set(group_id),
    };
    Ok(inserted(
        group_members::Entity::insert(row)
            .on_conflict_do_nothing()
            .exec_without_returning(db)
            .await?,
    ))
}

/// Takes the user out of the group; `false` when they were not in it.
///
/// # Errors
/// [`Error::Database`].
pub async fn remove_member(
    db: &impl ConnectionTrait,
    group_id: i32,
    user_id: i32,
) -> Result<bool, Error> {
    let deleted = group_members::Entity::delete_many()
        .filter(group_members::Column::GroupId.eq(group_id))
        .filter(group_members::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Makes the user a superuser (`true`) or not; `false` when nothing changed.
///
/// # Errors
/// [`Error::Database`].
pub async fn set_superuser(
    db: &impl ConnectionTrait,
    user_id: i32,
    superuser: bool,
) -> Result<bool, Error> {
    if superuser {
        let row = superusers::ActiveModel {
            user_id: Set(user_id),
        };
        return Ok(inserted(
            superusers::Entity::insert(row)
                .on_conflict_do_nothing()
                .exec_without_returning(db)
                .await?,
        ));
    }
    let deleted = superusers::Entity::delete_by_id(user_id).exec(db).await?;
    Ok(deleted.rows_affected > 0)
}

/// Everything a user holds of their own, as a change form sets it (Django's user change
/// page): whether they are a superuser, the groups they are in and the permissions granted to
/// them directly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserHoldings {
    /// Holds every permission.
    pub superuser: bool,
    /// The ids of the user's groups.
    pub groups: BTreeSet<i32>,
    /// The permissions granted to the user directly.
    pub direct: BTreeSet<String>,
}

/// A transaction that reads and then writes: on SQLite it takes the write lock at `BEGIN`
/// (`IMMEDIATE`), so that a concurrent writer (another save, the audit's writer) makes it wait
/// for the lock instead of failing when its read turns into a write ("database is locked");
/// other databases ignore the mode.
async fn begin_writing<C: TransactionTrait>(db: &C) -> Result<C::Transaction, sea_orm::DbErr> {
    let options = sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..sea_orm::TransactionOptions::default()
    };
    db.begin_with_options(options).await
}

/// Makes what the user holds exactly `wanted`, in one transaction: all of it or, on an error,
/// nothing. `false` when they held exactly that already.
///
/// Refuses to take the superuser status from the last superuser ([`Error::LastSuperuser`]):
/// the superusers' rows are locked first (`FOR UPDATE` on PostgreSQL; SQLite lets one writer
/// at a time), so two such changes at once cannot both pass and leave nobody.
///
/// # Errors
/// [`Error::UnknownUser`], [`Error::UnknownGroupId`], [`Error::MalformedPermission`],
/// [`Error::LastSuperuser`], [`Error::Database`].
pub async fn update_user(
    db: &impl TransactionTrait,
    user: i32,
    wanted: &UserHoldings,
) -> Result<bool, Error> {
    for permission in &wanted.direct {
        check_permission_syntax(permission)?;
    }
    let txn = begin_writing(db).await?;
    user_id(&txn, &UserRef::Id(user)).await?;
    let superusers: Vec<i32> = superusers::Entity::find()
        .lock_exclusive()
        .all(&txn)
        .await?
        .into_iter()
        .map(|row| row.user_id)
        .collect();
    let groups_now: BTreeSet<i32> = group_members::Entity::find()
        .filter(group_members::Column::UserId.eq(user))
        .all(&txn)
        .await?
        .into_iter()
        .map(|row| row.group_id)
        .collect();
    let direct_now: BTreeSet<String> = user_permissions::Entity::find()
        .filter(user_permissions::Column::UserId.eq(user))
        .all(&txn)
        .await?
        .into_iter()
        .map(|row| row.permission)
        .collect();
    let existing: BTreeSet<i32> = groups::Entity::find()
        .filter(groups::Column::Id.is_in(wanted.groups.iter().copied()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|group| group.id)
        .collect();
    if let Some(unknown) = wanted.groups.difference(&existing).next() {
        return Err(Error::UnknownGroupId(*unknown));
    }

    let mut changed = false;
    for group in wanted.groups.difference(&groups_now) {
        changed |= add_member(&txn, *group, user).await?;
    }
    for group in groups_now.difference(&wanted.groups) {
        changed |= remove_member(&txn, *group, user).await?;
    }
    for permission in wanted.direct.difference(&direct_now) {
        changed |= grant_to_user(&txn, user, permission).await?;
    }
    for permission in direct_now.difference(&wanted.direct) {
        changed |= revoke_from_user(&txn, user, permission).await?;
    }
    // Last, so that a refusal here also undoes the changes above (the transaction is rolled
    // back when dropped).
    if superusers.contains(&user) != wanted.superuser {
        if !wanted.superuser && superusers == [user] {
            return Err(Error::LastSuperuser(user));
        }
        changed |= set_superuser(&txn, user, wanted.superuser).await?;
    }
    txn.commit().await?;
    Ok(changed)
}

/// Makes the group's permissions exactly `wanted`, in one transaction; `false` when it held
/// exactly those already.
///
/// # Errors
/// [`Error::UnknownGroupId`], [`Error::MalformedPermission`], [`Error::Database`].
pub async fn update_group(
    db: &impl TransactionTrait,
    group: i32,
    wanted: &BTreeSet<String>,
) -> Result<bool, Error> {
    for permission in wanted {
        check_permission_syntax(permission)?;
    }
    let txn = begin_writing(db).await?;
    if groups::Entity::find_by_id(group).one(&txn).await?.is_none() {
        return Err(Error::UnknownGroupId(group));
    }
    let now: BTreeSet<String> = group_permissions::Entity::find()
        .filter(group_permissions::Column::GroupId.eq(group))
        .all(&txn)
        .await?
        .into_iter()
        .map(|row| row.permission)
        .collect();
    let mut changed = false;
    for permission in wanted.difference(&now) {
        changed |= grant_to_group(&txn, group, permission).await?;
    }
    for permission in now.difference(wanted) {
        changed |= revoke_from_group(&txn, group, permission).await?;
    }
    txn.commit().await?;
    Ok(changed)
}

/// What a user holds, and where from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Holdings {
    /// Holds every permission.
    pub superuser: bool,
    /// Granted to the user, sorted.
    pub direct: Vec<String>,
    /// The user's groups, sorted by name, each with its permissions (sorted).
    pub groups: Vec<(String, Vec<String>)>,
}

impl Holdings {
    /// Every permission held, directly or through a group, sorted, each once.
    #[must_use]
    pub fn permissions(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self
            .direct
            .iter()
            .chain(self.groups.iter().flat_map(|(_, permissions)| permissions))
            .map(String::as_str)
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

impl fmt::Display for Holdings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "superuser: {}",
            if self.superuser {
                "yes (holds every permission)"
            } else {
                "no"
            }
        )?;
        writeln!(f, "granted directly:")?;
        if self.direct.is_empty() {
            writeln!(f, "  (none)")?;
        }
        for permission in &self.direct {
            writeln!(f, "  {permission}")?;
        }
        writeln!(f, "groups:")?;
        if self.groups.is_empty() {
            writeln!(f, "  (none)")?;
        }
        for (group, permissions) in &self.groups {
            writeln!(f, "  {group}:")?;
            if permissions.is_empty() {
                writeln!(f, "    (no permissions)")?;
            }
            for permission in permissions {
                writeln!(f, "    {permission}")?;
            }
        }
        Ok(())
    }
}

/// What the user holds: the same query the authorizer runs, plus the groups that grant
/// nothing.
///
/// # Errors
/// [`Error::Database`]; [`Error::UnknownUser`] when there is no such user.
pub async fn holdings(db: &impl ConnectionTrait, user_id: i32) -> Result<Holdings, Error> {
    let held = held::read(db, UserKey::Id(user_id))
        .await?
        .ok_or(Error::UnknownUser(UserRef::Id(user_id)))?;
    let mut memberships = Query::select();
    memberships
        .column((groups::Entity, groups::Column::Name))
        .from(groups::Entity)
        .inner_join(
            group_members::Entity,
            Expr::col((group_members::Entity, group_members::Column::GroupId))
                .equals((groups::Entity, groups::Column::Id)),
        )
        .and_where(Expr::col((group_members::Entity, group_members::Column::UserId)).eq(user_id))
        .order_by((groups::Entity, groups::Column::Name), Order::Asc);
    let memberships = db
        .query_all(&memberships)
        .await?
        .into_iter()
        .map(|row| row.try_get::<String>("", "name"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut holdings = Holdings {
        superuser: held.superuser,
        direct: Vec::new(),
        groups: memberships
            .into_iter()
            .map(|name| (name, Vec::new()))
            .collect(),
    };
    for (permission, group) in held.grants {
        match group {
            None => holdings.direct.push(permission),
            Some(group) => {
                if let Some((_, permissions)) =
                    holdings.groups.iter_mut().find(|(name, _)| *name == group)
                {
                    permissions.push(permission);
                }
            }
        }
    }
    holdings.direct.sort_unstable();
    for (_, permissions) in &mut holdings.groups {
        permissions.sort_unstable();
    }
    Ok(holdings)
}
