//! Checks `upload_to` strftime patterns against chrono's specifier set, at compile time, so that
//! a pattern the runtime would fail to format never compiles.

/// Specifiers that format a single number: the only ones chrono lets take a padding modifier
/// (`%-d`, `%_d`, `%0e`).
const NUMERIC: &str = "CdefGgHIjklMmqSsUuVWwYy";
/// Specifiers that format text, or several items (`%F` is `%Y-%m-%d`).
const OTHER: &str = "ABDFPRTXZabchprvxz+";

/// A short list of what exists, for messages.
const SUMMARY: &str = "chrono's specifiers, such as `%Y`, `%m`, `%d`, `%H`, `%M`, `%S`, `%F`, `%j`, \
                       or `%%` for a literal `%`";

/// `Ok` when chrono formats `pattern` without error; otherwise what is wrong, naming the
/// offending specifier.
pub(crate) fn validate(pattern: &str) -> Result<(), String> {
    let mut chars = pattern.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c != '%' {
            continue;
        }
        let spec_text = |end: usize| pattern.get(start..end).unwrap_or("%").to_owned();
        let Some((_, first)) = chars.next() else {
            return Err(format!(
                "`{pattern}` ends with a lone `%`: write `%%` for a literal percent sign"
            ));
        };
        let (padded, spec, spec_at) = if matches!(first, '-' | '0' | '_') {
            match chars.next() {
                Some((at, spec)) => (true, spec, at),
                None => {
                    return Err(format!(
                        "`{pattern}` ends with `%{first}`, a padding modifier without its \
                         specifier (e.g. `%{first}d`)"
                    ));
                }
            }
        } else {
            (false, first, start + 1)
        };
        let mut end = spec_at + spec.len_utf8();
        let valid = match spec {
            '%' => !padded,
            'n' | 't' => {
                return Err(format!(
                    "`%{spec}` in `{pattern}` inserts a {} into the stored name: leave it out",
                    if spec == 'n' { "newline" } else { "tab" }
                ));
            }
            '#' => {
                return Err(format!(
                    "`{}` in `{pattern}` only parses dates, chrono cannot format it: use `%z` \
                     or `%:z`",
                    spec_text(end + usize::from(chars.peek().is_some()))
                ));
            }
            ':' => {
                // `%:z`, `%::z`, `%:::z`.
                let rest = pattern.get(end..).unwrap_or_default();
                let colons = rest.chars().take_while(|c| *c == ':').count();
                let valid = colons <= 2 && rest.get(colons..colons + 1) == Some("z") && !padded;
                if valid {
                    for _ in 0..=colons {
                        if let Some((at, c)) = chars.next() {
                            end = at + c.len_utf8();
                        }
                    }
                }
                valid
            }
            '.' | '3' | '6' | '9' => {
                // `%.f`, `%.3f`, `%.6f`, `%.9f`, `%3f`, `%6f`, `%9f`.
                let rest = pattern.get(end..).unwrap_or_default();
                let suffix_len = if spec == '.' {
                    if rest.starts_with('f') {
                        1
                    } else if ["3f", "6f", "9f"].iter().any(|s| rest.starts_with(s)) {
                        2
                    } else {
                        0
                    }
                } else {
                    usize::from(rest.starts_with('f'))
                };
                for _ in 0..suffix_len {
                    if let Some((at, c)) = chars.next() {
                        end = at + c.len_utf8();
                    }
                }
                suffix_len > 0 && !padded
            }
            c if NUMERIC.contains(c) => true,
            c if OTHER.contains(c) => {
                if padded {
                    return Err(format!(
                        "`{}` in `{pattern}`: chrono allows a padding modifier (`-`, `_`, `0`) \
                         only on numeric specifiers such as `%d` or `%H`, not on `%{c}`",
                        spec_text(end)
                    ));
                }
                true
            }
            _ => false,
        };
        if !valid {
            return Err(format!(
                "`{}` in `{pattern}` is not a strftime specifier: use {SUMMARY}",
                spec_text(end)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate;

    fn error(pattern: &str) -> String {
        validate(pattern).err().unwrap_or_default()
    }

    #[test]
    fn valid_patterns() {
        for pattern in [
            "scans/%Y/%m/",
            "a/%d-%H%M%S",
            "%F/",
            "%-d/%_m/%0e",
            "100%%/",
            "%.f %.3f %.6f %.9f %3f %6f %9f",
            "%z %:z %::z %:::z %Z",
            "%+ %c %x %X %r %R %T %D %v",
            "%a %A %b %B %h %p %P %q %s %u %w %U %W %G %g %V %j %C %y %k %l %I",
            "plain/folder/",
            "ünïcode/%Y/",
        ] {
            assert_eq!(validate(pattern), Ok(()), "{pattern}");
        }
    }

    #[test]
    fn invalid_patterns() {
        assert!(error("scans/%Q/").contains("`%Q`"));
        assert!(error("scans/%").contains("lone `%`"));
        assert!(error("%-").contains("padding modifier without"));
        assert!(error("%-F").contains("only on numeric"));
        assert!(error("%_%").contains("`%_%`"));
        assert!(error("%n").contains("newline"));
        assert!(error("%t").contains("tab"));
        assert!(error("%#z").contains("only parses"));
        assert!(error("%::::z").contains("not a strftime"));
        assert!(error("%:y").contains("not a strftime"));
        assert!(error("%.2f").contains("`%.`"));
        assert!(error("%4f").contains("`%4`"));
        assert!(error("%é").contains("`%é`"));
    }
}
