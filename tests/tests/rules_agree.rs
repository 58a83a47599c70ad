//! The runtime refuses the `upload_to` patterns the derive refuses (`ui/upload_to_*.rs`,
//! `ui/invalid_strftime.rs`) and accepts those it accepts (`pass/*.rs`): both run
//! `privates_rules::upload_to::check`. The derive also refuses `""`, which the runtime reads as
//! the storage root.

use privates::upload_to::validate_pattern;

#[test]
fn what_the_derive_refuses_the_runtime_refuses() {
    for pattern in [
        "C:/scans/",
        "~/scans/",
        "scans/\u{202E}fdp/",
        "scans/\t%Y/",
        "scans%%2F%Y/",
        "$$/",
        "scans/%.f/",
        "/var/scans/",
        "scans/../../etc/",
        "scans\\%Y\\",
        "scans//%Y/",
        "/abs/",
        "scans/%Q/",
        "scans/%Y/%",
        "scans/%-F/",
        "scans/%n/",
        "%#z/",
    ] {
        assert!(validate_pattern(pattern).is_err(), "{pattern:?}");
    }
}

#[test]
fn what_the_derive_accepts_the_runtime_accepts() {
    for pattern in [
        "invoices/%Y/",
        "invoices/%Y/%m/%d/",
        "mugshots/%Y/",
        "avatars/%Y/",
        "files/%Y/",
        "scans/%Y/",
        "%D/%c/",
        "a-b_c.d/%j/",
        "100%%/",
    ] {
        assert_eq!(validate_pattern(pattern), Ok(()), "{pattern:?}");
    }
}
