//! The loco tasks: `cargo loco task privates_check` (the configuration checks, on demand) and
//! `cargo loco task privates_clean_temp` (removes the temporary files of uploads a killed
//! process left behind).

use std::time::Duration;

use async_trait::async_trait;
use loco_rs::{
    app::AppContext,
    task::{Task, TaskInfo, Vars},
};

use crate::{Privates, initializer::check_loco, storage::Storage};

/// Runs the checks and prints the findings; fails when any is an error. Register it in
/// `Hooks::register_tasks`: `tasks.register(privates::task::PrivatesCheck);`.
#[derive(Clone, Copy, Debug, Default)]
pub struct PrivatesCheck;

impl PrivatesCheck {
    /// The task's name on the command line.
    pub const NAME: &'static str = "privates_check";
}

#[async_trait]
impl Task for PrivatesCheck {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: Self::NAME.to_string(),
            detail: "Run the privates configuration checks (privates.E001 ... E211)".to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, _vars: &Vars) -> loco_rs::Result<()> {
        // The same checks as at boot and in `cargo loco doctor`.
        // The models' `upload_to` patterns are checked where they are registered: at boot and
        // in `cargo loco doctor` (the task runs without the initializers).
        let validated = check_loco(&ctx.config, &[])?;
        report(format_args!("{}", validated.warnings));
        Ok(())
    }
}

/// Removes the hidden temporary files (`.<name>~<random>.part`) that uploads interrupted by a
/// killed process left in the local storage: `cargo loco task privates_clean_temp`, with
/// `age:<duration>` (default `1h`; `90s`, `15m`, `2h`, `1d` or plain seconds) for how long a
/// file must have gone unwritten, so uploads still in flight are left alone, and
/// `dry_run:true` to only list them. Stored files are never touched and symlinks never
/// followed (see [`LocalStorage::remove_stale_temp_files`](crate::storage::LocalStorage::remove_stale_temp_files)).
/// On S3: [`remove_stale_direct_uploads`](crate::storage::S3Storage::remove_stale_direct_uploads).
///
/// Register it in `Hooks::register_tasks`:
/// `tasks.register(privates::task::PrivatesCleanTemp::default());`.
#[derive(Clone, Copy, Debug)]
pub struct PrivatesCleanTemp {
    /// The age used when the command line gives none.
    pub default_age: Duration,
}

impl Default for PrivatesCleanTemp {
    fn default() -> Self {
        Self {
            default_age: Self::DEFAULT_AGE,
        }
    }
}

impl PrivatesCleanTemp {
    /// The task's name on the command line.
    pub const NAME: &'static str = "privates_clean_temp";
    /// The default age: one hour without a write.
    pub const DEFAULT_AGE: Duration = Duration::from_secs(3600);
}

/// A malformed argument of a privates task.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TaskArgError {
    /// `age:` is not a duration.
    #[error(
        "task argument `age:{value}` is not a duration: write seconds (`3600`) or a number with \
         s, m, h or d (`90s`, `15m`, `2h`, `1d`)"
    )]
    Age {
        /// The value given.
        value: String,
    },
    /// `dry_run:` is not a boolean.
    #[error("task argument `dry_run:{value}` must be `true` or `false`")]
    DryRun {
        /// The value given.
        value: String,
    },
}

impl From<TaskArgError> for loco_rs::Error {
    fn from(err: TaskArgError) -> Self {
        Self::Message(err.to_string())
    }
}

/// Plain seconds, or what `humantime` reads (`90s`, `15m`, `2h`, `1d`, `1h 30m`).
fn parse_age(value: &str) -> Result<Duration, TaskArgError> {
    let value = value.trim();
    match value.parse::<u64>() {
        Ok(seconds) => Ok(Duration::from_secs(seconds)),
        Err(_) => humantime::parse_duration(value),
    }
    .map_err(|_| TaskArgError::Age {
        value: value.to_owned(),
    })
}

/// `1h 2m 3s` (whole seconds).
fn show_duration(duration: Duration) -> String {
    humantime::format_duration(Duration::from_secs(duration.as_secs())).to_string()
}

#[async_trait]
impl Task for PrivatesCleanTemp {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: Self::NAME.to_string(),
            detail: format!(
                "Remove temporary upload files left by a killed process (age:{} dry_run:false)",
                show_duration(self.default_age)
            ),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &Vars) -> loco_rs::Result<()> {
        let age = match vars.cli.get("age") {
            Some(value) => parse_age(value)?,
            None => self.default_age,
        };
        let dry_run = match vars.cli.get("dry_run").map(String::as_str) {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(TaskArgError::DryRun {
                    value: other.to_owned(),
                }
                .into());
            }
        };
        let storage = match files(ctx)? {
            // Abandoned direct uploads; incomplete multipart uploads are the bucket's own
            // (an AbortIncompleteMultipartUpload lifecycle rule).
            Storage::S3(bucket) => {
                let stale = (bucket.remove_stale_direct_uploads(age, dry_run).await)
                    .map_err(crate::Error::from)?;
                let done = if dry_run { "would remove" } else { "removed" };
                report(format_args!(
                    "privates: {done} {stale:?} (direct uploads, {age:?} old)"
                ));
                return Ok(());
            }
            Storage::Local(storage) => storage,
        };
        let location = storage.location().display().to_string();
        if dry_run {
            let now = std::time::SystemTime::now();
            let files = storage.temp_files().await.map_err(crate::Error::from)?;
            let (stale, young): (Vec<_>, Vec<_>) =
                files.into_iter().partition(|file| file.age(now) >= age);
            for file in &stale {
                report(format_args!(
                    "would remove {} ({} bytes, unwritten for {})",
                    file.name,
                    file.size,
                    show_duration(file.age(now))
                ));
            }
            report(format_args!(
                "privates: {} temporary file(s) in {location} unwritten for {} or more; {} \
                 younger kept (dry run, nothing removed)",
                stale.len(),
                show_duration(age),
                young.len()
            ));
            return Ok(());
        }
        let cleanup = storage
            .remove_stale_temp_files(age)
            .await
            .map_err(crate::Error::from)?;
        for file in &cleanup.removed {
            report(format_args!("removed {} ({} bytes)", file.name, file.size));
        }
        for (file, err) in &cleanup.failed {
            report(format_args!("could not remove {}: {err}", file.name));
        }
        report(format_args!(
            "privates: removed {} temporary file(s) ({} bytes) in {location} unwritten for {} or \
             more; kept {} younger (uploads possibly in flight)",
            cleanup.removed.len(),
            cleanup.removed_bytes(),
            show_duration(age),
            cleanup.kept.len()
        ));
        if cleanup.failed.is_empty() {
            Ok(())
        } else {
            Err(loco_rs::Error::Message(format!(
                "privates: {} stale temporary file(s) could not be removed",
                cleanup.failed.len()
            )))
        }
    }
}

/// The app's storage: the installed handle if there is one, else built from the config after
/// the checks (tasks run without the initializers).
fn files(ctx: &AppContext) -> loco_rs::Result<Storage> {
    let privates = match Privates::from_ctx(ctx) {
        Ok(privates) => privates,
        Err(_) => Privates::from_loco(&ctx.config, crate::permissions::NoUsers)?,
    };
    Ok(privates.files().clone())
}

/// A task talks to the terminal that started it.
#[allow(clippy::print_stdout)]
fn report(line: std::fmt::Arguments<'_>) {
    println!("{line}");
}
