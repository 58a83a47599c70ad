//! The default app label, the crate's name, is checked by the same rule as `app = "..."`: a
//! crate named `MyApp` gets one error, at the struct, with the label to write. trybuild names
//! every case `trybuildNNN` (always a label), so this builds `fixtures/crate_name_label` (which
//! depends on privates-macros only) with cargo and reads the compiler's output.

use std::{path::Path, process::Command};

#[test]
fn a_crate_name_that_is_not_a_label_is_refused() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(env!("CARGO"))
        .args([
            "check",
            "--offline",
            "--locked",
            "--quiet",
            "--manifest-path",
        ])
        .arg(here.join("fixtures/crate_name_label/Cargo.toml"))
        // Its own target folder: the one of this build is locked while the tests run.
        .env("CARGO_TARGET_DIR", here.join("../target/fixtures"))
        .env_remove("RUSTFLAGS")
        .output();
    assert!(output.is_ok(), "cannot run cargo: {output:?}");
    let Ok(output) = output else { return };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "error: the app label defaults to the crate's name, and `MyApp` is not a label \
             (lower-case ASCII letters, digits and `_`), as an explicit `app` must be: name it \
             with `#[private_media(app = \"myapp\")]`"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("src/lib.rs:36:12"), "{stderr}");
    assert!(stderr.contains("due to 1 previous error"), "{stderr}");
    assert_eq!(stderr.matches("error:").count(), 2, "{stderr}");
}
