//! The rules' strftime grammar against chrono's, which formats patterns at run time: a pattern
//! is accepted by the rules exactly when chrono formats it, and to the same text at the sample
//! time.

use std::fmt::Write as _;

use chrono::{NaiveDate, TimeZone, Utc, format::StrftimeItems};
use privates_rules::strftime::expand_sample;

/// chrono's expansion at the sample time, `None` when it cannot format `pattern`.
fn chrono_sample(pattern: &str) -> Option<String> {
    let sample = NaiveDate::from_ymd_opt(2000, 12, 31)?.and_hms_opt(23, 59, 59)?;
    let sample = Utc.from_utc_datetime(&sample);
    let items = StrftimeItems::new(pattern).parse().ok()?;
    let mut out = String::new();
    write!(out, "{}", sample.format_with_items(items.iter())).ok()?;
    Some(out)
}

#[test]
fn every_specifier_agrees_with_chrono() {
    // Every ASCII character after `%`, alone, after each padding modifier and after `#`, `:`,
    // `.`, `3`, `6`, `9`; then followed by each of a few characters.
    let mut specs: Vec<String> = Vec::new();
    let printable: Vec<char> = (' '..='~').chain(['é', '\u{3000}']).collect();
    for prefix in [
        "", "-", "_", "0", "#", ":", "::", ":::", ".", ".3", ".6", ".9", "3", "6", "9",
    ] {
        for c in &printable {
            specs.push(format!("%{prefix}{c}"));
        }
        specs.push(format!("%{prefix}"));
    }
    let mut checked = 0;
    for spec in &specs {
        for pattern in [
            spec.clone(),
            format!("a/{spec}/b"),
            format!("{spec}z"),
            format!("{spec}f"),
        ] {
            let ours = expand_sample(&pattern).ok();
            assert_eq!(ours, chrono_sample(&pattern), "{pattern:?}");
            checked += 1;
        }
    }
    assert!(checked > 5000);
}

#[test]
fn literal_text_and_whitespace_agree_with_chrono() {
    for pattern in [
        "",
        "plain/folder/",
        "a b\u{3000}c\td/",
        "ünïcode/%Y/%m/",
        "100%%/%%%Y",
        "%Y%m%d%H%M%S%.3f",
        "%c|%+|%D|%x|%v|%r",
    ] {
        assert_eq!(
            expand_sample(pattern).ok(),
            chrono_sample(pattern),
            "{pattern:?}"
        );
    }
}
