//! loco's `users` table, as far as the store reads it: the store keys everything by its `id`
//! and finds users by `pid` (the session token's) or `email` (the tasks'). Never altered.

use sea_orm::DeriveIden;

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Users {
    Table,
    Id,
    Pid,
    Email,
}
