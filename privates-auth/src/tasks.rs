//! The store as `cargo loco task` commands. Register them all in `Hooks::register_tasks`, with
//! the app's models, whose permissions are the ones a grant may name:
//!
//! ```ignore
//! fn register_tasks(tasks: &mut Tasks) {
//!     let known = privates_auth::KnownPermissions::new().model::<iddocuments::Model>();
//!     privates_auth::tasks::register(tasks, &known);
//! }
//! ```
//!
//! | command | does |
//! |---|---|
//! | `privates_permissions` | lists every permission of the registered models, and [`CHANGE_USER`](crate::CHANGE_USER) |
//! | `privates_grant perm:<p> user:<who>` / `group:<name>` | grants (`force:true` for a permission no model has) |
//! | `privates_revoke perm:<p> user:<who>` / `group:<name>` | revokes |
//! | `privates_group_create group:<name>` | creates a group |
//! | `privates_group_delete group:<name>` | deletes a group, its grants and memberships |
//! | `privates_group_add group:<name> user:<who>` | puts a user in a group |
//! | `privates_group_remove group:<name> user:<who>` | takes a user out of a group |
//! | `privates_superuser_add user:<who>` | makes a superuser (holds every permission) |
//! | `privates_superuser_remove user:<who>` | makes a superuser an ordinary user again |
//! | `privates_user_show user:<who>` | what a user holds: directly, through which group, superuser |
//!
//! `<who>` is an email, a pid (UUID) or an id ([`UserRef::parse`]).

use std::sync::Arc;

use async_trait::async_trait;
use loco_rs::{
    app::AppContext,
    task::{Task, TaskInfo, Tasks, Vars},
};

use crate::{
    error::Error,
    known::KnownPermissions,
    store::{self, UserRef},
};

/// One of the store's tasks (see the [module docs](self)).
#[derive(Clone, Debug)]
pub struct PermissionTask {
    operation: Operation,
    known: Arc<KnownPermissions>,
}

/// What a [`PermissionTask`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// `privates_permissions`.
    List,
    /// `privates_grant`.
    Grant,
    /// `privates_revoke`.
    Revoke,
    /// `privates_group_create`.
    CreateGroup,
    /// `privates_group_delete`.
    DeleteGroup,
    /// `privates_group_add`.
    AddMember,
    /// `privates_group_remove`.
    RemoveMember,
    /// `privates_superuser_add`.
    MakeSuperuser,
    /// `privates_superuser_remove`.
    UnmakeSuperuser,
    /// `privates_user_show`.
    Show,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Self; 10] = [
        Self::List,
        Self::Grant,
        Self::Revoke,
        Self::CreateGroup,
        Self::DeleteGroup,
        Self::AddMember,
        Self::RemoveMember,
        Self::MakeSuperuser,
        Self::UnmakeSuperuser,
        Self::Show,
    ];

    /// The task's name on the command line.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::List => "privates_permissions",
            Self::Grant => "privates_grant",
            Self::Revoke => "privates_revoke",
            Self::CreateGroup => "privates_group_create",
            Self::DeleteGroup => "privates_group_delete",
            Self::AddMember => "privates_group_add",
            Self::RemoveMember => "privates_group_remove",
            Self::MakeSuperuser => "privates_superuser_add",
            Self::UnmakeSuperuser => "privates_superuser_remove",
            Self::Show => "privates_user_show",
        }
    }

    const fn detail(self) -> &'static str {
        match self {
            Self::List => {
                "List every permission a grant may name: the registered models' and \
                 auth.change_user"
            }
            Self::Grant => {
                "Grant a permission: perm:<app.codename> user:<email|pid> or group:<name> \
                 [force:true]"
            }
            Self::Revoke => {
                "Revoke a permission: perm:<app.codename> user:<email|pid> or group:<name>"
            }
            Self::CreateGroup => "Create a group: group:<name>",
            Self::DeleteGroup => "Delete a group with its grants and members: group:<name>",
            Self::AddMember => "Put a user in a group: group:<name> user:<email|pid>",
            Self::RemoveMember => "Take a user out of a group: group:<name> user:<email|pid>",
            Self::MakeSuperuser => "Make a user a superuser: user:<email|pid>",
            Self::UnmakeSuperuser => "Make a superuser an ordinary user: user:<email|pid>",
            Self::Show => "Show what a user holds, and where from: user:<email|pid>",
        }
    }
}

/// Registers every task of the store, checking grants against `known`.
pub fn register(tasks: &mut Tasks, known: &KnownPermissions) {
    let known = Arc::new(known.clone());
    for operation in Operation::ALL {
        tasks.register(PermissionTask {
            operation,
            known: Arc::clone(&known),
        });
    }
}

impl PermissionTask {
    /// The task doing `operation`, checking grants against `known`.
    #[must_use]
    pub fn new(operation: Operation, known: &KnownPermissions) -> Self {
        Self {
            operation,
            known: Arc::new(known.clone()),
        }
    }

    /// Runs the task and returns what it prints.
    ///
    /// # Errors
    /// A missing or malformed argument, an unknown user, group or permission (each naming
    /// the argument to fix), or a database failure.
    pub async fn output(&self, ctx: &AppContext, vars: &Vars) -> Result<String, Error> {
        let db = &ctx.db;
        Ok(match self.operation {
            Operation::List => self
                .known
                .iter()
                .fold(String::new(), |mut out, permission| {
                    out.push_str(permission);
                    out.push('\n');
                    out
                }),
            Operation::Grant | Operation::Revoke => {
                let permission = arg(vars, "perm")?;
                let grant = self.operation == Operation::Grant;
                if grant && !flag(vars, "force")? && !self.known.contains(permission) {
                    return Err(Error::UnknownPermission {
                        permission: permission.to_owned(),
                        known: self.known.iter().collect::<Vec<_>>().join(", "),
                    });
                }
                let (holder, changed) = match (vars.cli.get("user"), vars.cli.get("group")) {
                    (Some(_), Some(group)) => {
                        return Err(Error::BadArgument {
                            key: "group",
                            value: group.clone(),
                            expected: "give either `user:` or `group:`, not both",
                        });
                    }
                    (Some(user), None) => {
                        let who = UserRef::parse(user);
                        let id = store::user_id(db, &who).await?;
                        let changed = if grant {
                            store::grant_to_user(db, id, permission).await?
                        } else {
                            store::revoke_from_user(db, id, permission).await?
                        };
                        (format!("user {who}"), changed)
                    }
                    (None, Some(group)) => {
                        let id = store::group_id(db, group).await?;
                        let changed = if grant {
                            store::grant_to_group(db, id, permission).await?
                        } else {
                            store::revoke_from_group(db, id, permission).await?
                        };
                        (format!("group `{}`", group.trim()), changed)
                    }
                    (None, None) => return Err(Error::MissingArgument("user` or `group")),
                };
                match (grant, changed) {
                    (true, true) => format!("granted `{permission}` to {holder}\n"),
                    (true, false) => format!("{holder} already holds `{permission}`\n"),
                    (false, true) => format!("revoked `{permission}` from {holder}\n"),
                    (false, false) => format!("{holder} did not hold `{permission}`\n"),
                }
            }
            Operation::CreateGroup => {
                let name = arg(vars, "group")?;
                store::create_group(db, name).await?;
                format!("created group `{}`\n", name.trim())
            }
            Operation::DeleteGroup => {
                let name = arg(vars, "group")?;
                store::delete_group(db, name).await?;
                format!("deleted group `{}`\n", name.trim())
            }
            Operation::AddMember | Operation::RemoveMember => {
                let name = arg(vars, "group")?;
                let group = store::group_id(db, name).await?;
                let who = UserRef::parse(arg(vars, "user")?);
                let user = store::user_id(db, &who).await?;
                let name = name.trim();
                if self.operation == Operation::AddMember {
                    if store::add_member(db, group, user).await? {
                        format!("added user {who} to group `{name}`\n")
                    } else {
                        format!("user {who} is in group `{name}` already\n")
                    }
                } else if store::remove_member(db, group, user).await? {
                    format!("removed user {who} from group `{name}`\n")
                } else {
                    format!("user {who} was not in group `{name}`\n")
                }
            }
            Operation::MakeSuperuser | Operation::UnmakeSuperuser => {
                let who = UserRef::parse(arg(vars, "user")?);
                let user = store::user_id(db, &who).await?;
                let superuser = self.operation == Operation::MakeSuperuser;
                let changed = store::set_superuser(db, user, superuser).await?;
                match (superuser, changed) {
                    (true, true) => format!("user {who} is now a superuser\n"),
                    (true, false) => format!("user {who} is a superuser already\n"),
                    (false, true) => format!("user {who} is no longer a superuser\n"),
                    (false, false) => format!("user {who} was not a superuser\n"),
                }
            }
            Operation::Show => {
                let who = UserRef::parse(arg(vars, "user")?);
                let user = store::user_id(db, &who).await?;
                format!("user {who}\n{}", store::holdings(db, user).await?)
            }
        })
    }
}

#[async_trait]
impl Task for PermissionTask {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: self.operation.name().to_owned(),
            detail: self.operation.detail().to_owned(),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &Vars) -> loco_rs::Result<()> {
        let output = self.output(ctx, vars).await?;
        // A task's output is for the person at the terminal.
        #[allow(clippy::print_stdout)]
        {
            print!("{output}");
        }
        Ok(())
    }
}

/// The value of `key:<value>`, which must be there and not blank.
fn arg<'a>(vars: &'a Vars, key: &'static str) -> Result<&'a str, Error> {
    vars.cli
        .get(key)
        .map(String::as_str)
        .filter(|value| !value.trim().is_empty())
        .ok_or(Error::MissingArgument(key))
}

/// `key:true` or `key:false`; absent is false.
fn flag(vars: &Vars, key: &'static str) -> Result<bool, Error> {
    match vars.cli.get(key).map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(Error::BadArgument {
            key,
            value: other.to_owned(),
            expected: "write `true` or `false`",
        }),
    }
}
