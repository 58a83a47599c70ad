//! `cargo run -p rest -- start` (any loco subcommand works: `task`, `doctor`, `routes`).

use rest::{app::App, migration::Migrator};

#[tokio::main]
async fn main() -> loco_rs::Result<()> {
    // The config, the SQLite file and the private storage are relative to the example's
    // folder, wherever the command is started from.
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR"))?;
    loco_rs::cli::main::<App, Migrator>().await
}
