//! Who there is: loco's users with what each holds at a glance, and the groups with their
//! permissions, as an admin page lists them. Read-only; [`store`](crate::store) changes them.

use std::collections::BTreeMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait, Order, Query},
};

use crate::{
    entities::{group_members, group_permissions, groups, superusers},
    error::Error,
    users::Users,
};

/// A user as a list shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSummary {
    /// loco's `users.id`.
    pub id: i32,
    /// loco's `users.email`.
    pub email: String,
    /// Holds every permission.
    pub superuser: bool,
    /// The names of the user's groups, sorted.
    pub groups: Vec<String>,
}

/// Every user, sorted by email.
///
/// # Errors
/// [`Error::Database`].
pub async fn users(db: &impl ConnectionTrait) -> Result<Vec<UserSummary>, Error> {
    summaries(db, None).await
}

/// The user `id`, `None` when there is no such user.
///
/// # Errors
/// [`Error::Database`].
pub async fn user(db: &impl ConnectionTrait, id: i32) -> Result<Option<UserSummary>, Error> {
    Ok(summaries(db, Some(id)).await?.into_iter().next())
}

/// Every group, sorted by name.
///
/// # Errors
/// [`Error::Database`].
pub async fn groups(db: &impl ConnectionTrait) -> Result<Vec<groups::Model>, Error> {
    Ok(groups::Entity::find()
        .order_by_asc(groups::Column::Name)
        .all(db)
        .await?)
}

/// A group as a list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSummary {
    /// The group's id.
    pub id: i32,
    /// The group's name.
    pub name: String,
    /// The permissions granted to it, sorted.
    pub permissions: Vec<String>,
    /// How many users are in it.
    pub members: usize,
}

/// Every group with its permissions and its number of members, sorted by name.
///
/// # Errors
/// [`Error::Database`].
pub async fn group_summaries(db: &impl ConnectionTrait) -> Result<Vec<GroupSummary>, Error> {
    group_summaries_of(db, None).await
}

/// The group `id`, `None` when there is no such group.
///
/// # Errors
/// [`Error::Database`].
pub async fn group(db: &impl ConnectionTrait, id: i32) -> Result<Option<GroupSummary>, Error> {
    Ok(group_summaries_of(db, Some(id)).await?.into_iter().next())
}

/// The groups (all, or the one `only` names) in three queries: groups, grants, members.
async fn group_summaries_of(
    db: &impl ConnectionTrait,
    only: Option<i32>,
) -> Result<Vec<GroupSummary>, Error> {
    let mut select = groups::Entity::find().order_by_asc(groups::Column::Name);
    let mut grants =
        group_permissions::Entity::find().order_by_asc(group_permissions::Column::Permission);
    let mut members = group_members::Entity::find();
    if let Some(id) = only {
        select = select.filter(groups::Column::Id.eq(id));
        grants = grants.filter(group_permissions::Column::GroupId.eq(id));
        members = members.filter(group_members::Column::GroupId.eq(id));
    }
    let mut permissions_of: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for grant in grants.all(db).await? {
        permissions_of
            .entry(grant.group_id)
            .or_default()
            .push(grant.permission);
    }
    let mut members_of: BTreeMap<i32, usize> = BTreeMap::new();
    for member in members.all(db).await? {
        *members_of.entry(member.group_id).or_default() += 1;
    }
    Ok(select
        .all(db)
        .await?
        .into_iter()
        .map(|group| GroupSummary {
            permissions: permissions_of.remove(&group.id).unwrap_or_default(),
            members: members_of.get(&group.id).copied().unwrap_or(0),
            id: group.id,
            name: group.name,
        })
        .collect())
}

/// The users (all, or the one `only` names) in two queries: the users with their superuser
/// flag, then their memberships.
async fn summaries(
    db: &impl ConnectionTrait,
    only: Option<i32>,
) -> Result<Vec<UserSummary>, Error> {
    let users_id = || Expr::col((Users::Table, Users::Id));
    let mut select = Query::select();
    select
        .expr_as(users_id(), "id")
        .expr_as(Expr::col((Users::Table, Users::Email)), "email")
        .expr_as(
            Expr::col((superusers::Entity, superusers::Column::UserId)),
            "superuser",
        )
        .from(Users::Table)
        .left_join(
            superusers::Entity,
            Expr::col((superusers::Entity, superusers::Column::UserId))
                .equals((Users::Table, Users::Id)),
        )
        .order_by((Users::Table, Users::Email), Order::Asc);
    if let Some(id) = only {
        select.and_where(users_id().eq(id));
    }
    let mut users = Vec::new();
    for row in db.query_all(&select).await? {
        users.push(UserSummary {
            id: row.try_get("", "id")?,
            email: row.try_get("", "email")?,
            superuser: row.try_get::<Option<i32>>("", "superuser")?.is_some(),
            groups: Vec::new(),
        });
    }

    let member = || Expr::col((group_members::Entity, group_members::Column::UserId));
    let mut memberships = Query::select();
    memberships
        .expr_as(member(), "user_id")
        .expr_as(Expr::col((groups::Entity, groups::Column::Name)), "name")
        .from(group_members::Entity)
        .inner_join(
            groups::Entity,
            Expr::col((groups::Entity, groups::Column::Id))
                .equals((group_members::Entity, group_members::Column::GroupId)),
        )
        .order_by((groups::Entity, groups::Column::Name), Order::Asc);
    if let Some(id) = only {
        memberships.and_where(member().eq(id));
    }
    let mut groups_of: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for row in db.query_all(&memberships).await? {
        groups_of
            .entry(row.try_get("", "user_id")?)
            .or_default()
            .push(row.try_get("", "name")?);
    }
    for user in &mut users {
        user.groups = groups_of.remove(&user.id).unwrap_or_default();
    }
    Ok(users)
}
