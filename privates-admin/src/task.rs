//! `cargo loco task privates_copy_templates`: copies this crate's askama templates into the
//! app's template folder.
//!
//! askama resolves `{% extends %}` and `{% include %}` in the crate that derives `Template`,
//! from that crate's own template folders (`templates/` next to its `Cargo.toml` unless an
//! `askama.toml` says otherwise). A page of the app that extends the admin base
//! (`{% extends "privates/admin/base.html" %}`) or includes one of its parts
//! (`{% include "privates/admin/includes/csrf.html" %}`) needs the files in the app's folder:
//! this task puts them there, under `privates/`, as they are in this version. A file that
//! exists is never overwritten (it may be the app's edited copy) unless `force:true` is given.
//!
//! ```text
//! cargo loco task privates_copy_templates                      # into templates/
//! cargo loco task privates_copy_templates dir:assets/askama    # the folder askama.toml names
//! cargo loco task privates_copy_templates force:true           # overwrite (after an upgrade)
//! ```
//!
//! Register it in `Hooks::register_tasks`:
//! `tasks.register(privates_admin::task::CopyTemplates);`.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use async_trait::async_trait;
use loco_rs::{
    app::AppContext,
    task::{Task, TaskInfo, Vars},
};

/// Every template of this crate: its name under a template folder, and its text.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "privates/admin/access_log.html",
        include_str!("../templates/privates/admin/access_log.html"),
    ),
    (
        "privates/admin/access_log_page.html",
        include_str!("../templates/privates/admin/access_log_page.html"),
    ),
    (
        "privates/admin/auth/group_change.html",
        include_str!("../templates/privates/admin/auth/group_change.html"),
    ),
    (
        "privates/admin/auth/group_list.html",
        include_str!("../templates/privates/admin/auth/group_list.html"),
    ),
    (
        "privates/admin/auth/user_change.html",
        include_str!("../templates/privates/admin/auth/user_change.html"),
    ),
    (
        "privates/admin/auth/user_list.html",
        include_str!("../templates/privates/admin/auth/user_list.html"),
    ),
    (
        "privates/admin/base.html",
        include_str!("../templates/privates/admin/base.html"),
    ),
    (
        "privates/admin/change_form.html",
        include_str!("../templates/privates/admin/change_form.html"),
    ),
    (
        "privates/admin/change_list.html",
        include_str!("../templates/privates/admin/change_list.html"),
    ),
    (
        "privates/admin/csrf_failure.html",
        include_str!("../templates/privates/admin/csrf_failure.html"),
    ),
    (
        "privates/admin/error.html",
        include_str!("../templates/privates/admin/error.html"),
    ),
    (
        "privates/admin/includes/csrf.html",
        include_str!("../templates/privates/admin/includes/csrf.html"),
    ),
    (
        "privates/admin/login.html",
        include_str!("../templates/privates/admin/login.html"),
    ),
    (
        "privates/admin/share_button.html",
        include_str!("../templates/privates/admin/share_button.html"),
    ),
    (
        "privates/admin/shared_link.html",
        include_str!("../templates/privates/admin/shared_link.html"),
    ),
    (
        "privates/widgets/clearable_private_file_input.html",
        include_str!("../templates/privates/widgets/clearable_private_file_input.html"),
    ),
    (
        "privates/widgets/clearable_private_file_input_no_download.html",
        include_str!("../templates/privates/widgets/clearable_private_file_input_no_download.html"),
    ),
    (
        "privates/widgets/clearable_private_image_input.html",
        include_str!("../templates/privates/widgets/clearable_private_image_input.html"),
    ),
    (
        "privates/widgets/includes/clear_and_change.html",
        include_str!("../templates/privates/widgets/includes/clear_and_change.html"),
    ),
    (
        "privates/widgets/includes/file_facts.html",
        include_str!("../templates/privates/widgets/includes/file_facts.html"),
    ),
    (
        "privates/widgets/includes/file_input.html",
        include_str!("../templates/privates/widgets/includes/file_input.html"),
    ),
    (
        "privates/widgets/readonly_private_file.html",
        include_str!("../templates/privates/widgets/readonly_private_file.html"),
    ),
];

/// The task. See the [module docs](self).
#[derive(Clone, Copy, Debug, Default)]
pub struct CopyTemplates;

impl CopyTemplates {
    /// The task's name on the command line.
    pub const NAME: &'static str = "privates_copy_templates";
    /// The folder copied into when `dir:` is not given: askama's default, relative to the
    /// app's root (where `cargo loco` runs).
    pub const DEFAULT_DIR: &'static str = "templates";

    /// Copies [`TEMPLATES`] into `dir` (creating folders), keeping every file that exists
    /// unless `force`.
    ///
    /// # Errors
    /// [`CopyError`] naming the file that could not be written; the files before it are
    /// written.
    pub fn copy(dir: &Path, force: bool) -> Result<Copied, CopyError> {
        let mut copied = Copied::default();
        for (name, text) in TEMPLATES {
            let path = dir.join(name);
            let failed = |source| CopyError::Write {
                path: path.clone(),
                source,
            };
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(failed)?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true);
            if force {
                options.create(true).truncate(true);
            } else {
                // Atomic with the existence check: a file created meanwhile is kept too.
                options.create_new(true);
            }
            match options.open(&path) {
                Ok(mut file) => {
                    file.write_all(text.as_bytes()).map_err(failed)?;
                    copied.copied.push(path);
                }
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                    copied.skipped.push(path);
                }
                Err(err) => return Err(failed(err)),
            }
        }
        Ok(copied)
    }
}

/// What [`CopyTemplates::copy`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Copied {
    /// The files written.
    pub copied: Vec<PathBuf>,
    /// The files that existed and were kept.
    pub skipped: Vec<PathBuf>,
}

/// Why the templates could not be copied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CopyError {
    /// A file or its folder could not be written.
    #[error("privates_copy_templates: cannot write `{}`: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `force:` is neither `true` nor `false`.
    #[error("privates_copy_templates: `force:{0}` is not `true` or `false`")]
    Force(String),
}

impl From<CopyError> for loco_rs::Error {
    fn from(err: CopyError) -> Self {
        Self::Any(Box::new(err))
    }
}

#[async_trait]
impl Task for CopyTemplates {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: Self::NAME.to_owned(),
            detail: "Copy the privates-admin askama templates into the app's template folder \
                     (dir:templates; an existing file is kept unless force:true)"
                .to_owned(),
        }
    }

    async fn run(&self, _ctx: &AppContext, vars: &Vars) -> loco_rs::Result<()> {
        let dir = vars
            .cli
            .get("dir")
            .map_or(Self::DEFAULT_DIR, String::as_str);
        let force = match vars.cli.get("force").map(String::as_str) {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => return Err(CopyError::Force(other.to_owned()).into()),
        };
        let copied = Self::copy(Path::new(dir), force)?;
        for path in &copied.copied {
            report(format_args!("copied  {}", path.display()));
        }
        for path in &copied.skipped {
            report(format_args!(
                "skipped {} (it exists; force:true overwrites it)",
                path.display()
            ));
        }
        Ok(())
    }
}

/// A task talks to the terminal that started it.
#[allow(clippy::print_stdout)]
fn report(line: std::fmt::Arguments<'_>) {
    println!("{line}");
}
