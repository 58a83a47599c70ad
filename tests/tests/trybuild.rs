//! Compile tests of `#[derive(PrivateMedia)]`: `ui/` must fail with the `.stderr` next to each
//! case, `pass/` must compile (under `#![deny(warnings)]`) and run.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
    t.pass("pass/*.rs");
}
