//! Cross-crate test support of the privates workspace (the tests live in `tests/`).
