//! The audit as `cargo loco task` commands. Register both in `Hooks::register_tasks`:
//! `privates_audit::tasks::register(tasks);`
//!
//! | command | does |
//! |---|---|
//! | `privates_audit [user:<id>] [app:<a> model:<m> [pk:<k>]] [from:<t>] [to:<t>] [limit:<n>] [format:json]` | lists events, newest first, and the events dropped in that time |
//! | `privates_audit_clean` | deletes events older than `audit.retention` days |
//!
//! `<t>` is RFC 3339 (`2026-12-06T09:00:00Z`) or a day (`2026-12-06`, midnight UTC).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use loco_rs::{
    app::AppContext,
    task::{Task, TaskInfo, Tasks, Vars},
};

use crate::{
    error::Error,
    query::{self, Filter},
    settings::TableSettings,
    show_event, unix_ms,
};

/// Registers [`AuditList`] and [`AuditClean`].
pub fn register(tasks: &mut Tasks) {
    tasks.register(AuditList);
    tasks.register(AuditClean);
}

/// `privates_audit`: lists events by user, by object, by time range, as text or JSON.
#[derive(Clone, Copy, Debug, Default)]
pub struct AuditList;

impl AuditList {
    /// The task's name on the command line.
    pub const NAME: &'static str = "privates_audit";

    /// Runs the task and returns what it prints.
    ///
    /// # Errors
    /// A malformed argument (naming it), or a database failure.
    pub async fn output(&self, ctx: &AppContext, vars: &Vars) -> Result<String, Error> {
        let arg = |key: &str| vars.cli.get(key).map(|v| v.trim().to_owned());
        let object = match (arg("app"), arg("model")) {
            (Some(app), Some(model)) => Some((app, model, arg("pk"))),
            (None, None) if arg("pk").is_none() => None,
            _ => {
                return Err(Error::BadArgument {
                    key: "app",
                    value: arg("app").unwrap_or_default(),
                    expected: "give `app:` and `model:` together (and `pk:` only with them)",
                });
            }
        };
        let limit = match arg("limit") {
            None => Some(100),
            Some(value) => Some(value.parse().map_err(|_| Error::BadArgument {
                key: "limit",
                value,
                expected: "write a number of events",
            })?),
        };
        let filter = Filter {
            user: arg("user"),
            object,
            from_ms: time(vars, "from")?,
            to_ms: time(vars, "to")?,
            limit,
        };
        let events = query::events(&ctx.db, &filter).await?;
        let dropped = query::dropped(&ctx.db, filter.from_ms, filter.to_ms).await?;
        match arg("format").as_deref() {
            None | Some("text") => {
                let mut out = String::new();
                for event in &events {
                    out.push_str(&show_event(event));
                    out.push('\n');
                }
                out.push_str(&format!("{} event(s)\n", events.len()));
                if dropped > 0 {
                    out.push_str(&format!(
                        "{dropped} event(s) dropped in this time (the queue was full or the table refused them)\n"
                    ));
                }
                Ok(out)
            }
            Some("json") => {
                let json = serde_json::json!({ "events": events, "dropped": dropped });
                Ok(format!("{json}\n"))
            }
            Some(other) => Err(Error::BadArgument {
                key: "format",
                value: other.to_owned(),
                expected: "write `text` or `json`",
            }),
        }
    }
}

/// `from:` / `to:`: RFC 3339 or a day, as unix milliseconds.
fn time(vars: &Vars, key: &'static str) -> Result<Option<i64>, Error> {
    let Some(value) = vars.cli.get(key).map(|v| v.trim()) else {
        return Ok(None);
    };
    let at = DateTime::parse_from_rfc3339(value)
        .map(|at| at.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            let day = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
            Some(day.and_hms_opt(0, 0, 0)?.and_utc())
        })
        .ok_or_else(|| Error::BadArgument {
            key,
            value: value.to_owned(),
            expected: "write RFC 3339 (`2026-12-06T09:00:00Z`) or a day (`2026-12-06`)",
        })?;
    Ok(Some(at.timestamp_millis()))
}

#[async_trait]
impl Task for AuditList {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: Self::NAME.to_owned(),
            detail: "List who opened which private file: [user:<id>] [app:<a> model:<m> \
                     [pk:<k>]] [from:<t>] [to:<t>] [limit:100] [format:text|json]"
                .to_owned(),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &Vars) -> loco_rs::Result<()> {
        print(&self.output(ctx, vars).await?);
        Ok(())
    }
}

/// `privates_audit_clean`: deletes the events older than `audit.retention` days.
#[derive(Clone, Copy, Debug, Default)]
pub struct AuditClean;

impl AuditClean {
    /// The task's name on the command line.
    pub const NAME: &'static str = "privates_audit_clean";

    /// Runs the task and returns what it prints.
    ///
    /// # Errors
    /// A malformed `initializers.privates` block, or a database failure.
    pub async fn output(&self, ctx: &AppContext) -> Result<String, Error> {
        let Some(days) = TableSettings::from_loco(&ctx.config)?.retention else {
            return Ok("privates: no `audit.retention` configured; every event is kept\n".into());
        };
        let age = std::time::Duration::from_secs(u64::from(days) * 86_400);
        let cutoff = unix_ms(std::time::SystemTime::now())
            .saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX));
        let removed = query::delete_before(&ctx.db, cutoff).await?;
        Ok(format!(
            "privates: removed {removed} audit event(s) older than {days} day(s)\n"
        ))
    }
}

#[async_trait]
impl Task for AuditClean {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: Self::NAME.to_owned(),
            detail: "Delete audit events older than `audit.retention` days".to_owned(),
        }
    }

    async fn run(&self, ctx: &AppContext, _vars: &Vars) -> loco_rs::Result<()> {
        print(&self.output(ctx).await?);
        Ok(())
    }
}

/// A task talks to the terminal that started it.
#[allow(clippy::print_stdout)]
fn print(output: &str) {
    print!("{output}");
}
