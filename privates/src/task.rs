//! `cargo loco task privates_check`: the configuration checks, on demand.

use async_trait::async_trait;
use loco_rs::{
    app::AppContext,
    task::{Task, TaskInfo, Vars},
};

use crate::{checks, config::PrivatesConfig};

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
            detail: "Run the privates configuration checks (privates.E001 ... W003)".to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, _vars: &Vars) -> loco_rs::Result<()> {
        let config = PrivatesConfig::from_loco(&ctx.config).map_err(crate::Error::from)?;
        let report = checks::run_loco(&config, &ctx.config);
        // A task talks to the terminal that started it.
        #[allow(clippy::print_stdout)]
        {
            println!("{report}");
        }
        if report.has_errors() {
            return Err(crate::Error::Checks(report).into());
        }
        Ok(())
    }
}
