//! Parses human-readable sizes (`"10 MiB"`, `"512 KB"`, `"100 bytes"`) at compile time.

/// The units a size may carry, with their value in bytes. Matched case-insensitively; `KB`, `MB`
/// and `GB` are decimal (1000), `KiB`, `MiB` and `GiB` binary (1024).
const UNITS: &[(&str, u64)] = &[
    ("b", 1),
    ("byte", 1),
    ("bytes", 1),
    ("kb", 1000),
    ("kib", 1024),
    ("mb", 1000 * 1000),
    ("mib", 1024 * 1024),
    ("gb", 1000 * 1000 * 1000),
    ("gib", 1024 * 1024 * 1024),
];

/// The unit names as written in messages.
pub(crate) const UNIT_NAMES: &str = "bytes, KB, KiB, MB, MiB, GB, GiB";

/// The number of bytes `text` stands for, or a message saying what is wrong with it.
pub(crate) fn parse(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '_'))
        .unwrap_or(text.len());
    let (number, rest) = text.split_at(digits_end);
    let unit = rest.trim();
    if number.is_empty() {
        return Err(format!(
            "`{text}` is not a size: write a whole number and a unit, e.g. `\"10 MiB\"` ({UNIT_NAMES})"
        ));
    }
    if unit.starts_with('.') || unit.starts_with(',') {
        return Err(format!(
            "`{text}` has a fraction: write a whole number of a smaller unit (e.g. `\"1536 KiB\"` \
             rather than `\"1.5 MiB\"`)"
        ));
    }
    let digits: String = number.chars().filter(|c| *c != '_').collect();
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is too large a size"))?;
    let multiplier = if unit.is_empty() {
        1
    } else {
        let lower = unit.to_ascii_lowercase();
        let Some((_, multiplier)) = UNITS.iter().find(|(name, _)| *name == lower) else {
            // Only units of the same magnitude letter: `TiB` is no typo of `KiB`.
            let names = UNITS
                .iter()
                .map(|(name, _)| *name)
                .filter(|name| name.get(..1) == lower.get(..1));
            let hint = crate::suggest::closest(&lower, names).map_or_else(String::new, |found| {
                let shown = if ["b", "byte", "bytes"].contains(&found) {
                    "bytes".to_owned()
                } else {
                    display_unit(found)
                };
                format!("; did you mean `{shown}`?")
            });
            return Err(format!(
                "unknown size unit `{unit}` in `{text}`: use one of {UNIT_NAMES}{hint}"
            ));
        };
        *multiplier
    };
    let bytes = value.checked_mul(multiplier).ok_or_else(|| {
        format!(
            "`{text}` is too large a size (more than {} bytes)",
            u64::MAX
        )
    })?;
    if bytes == 0 {
        return Err(
            "a `max_size` of zero would refuse every upload: give a positive size, or remove \
             `max_size` to accept any size"
                .to_owned(),
        );
    }
    Ok(bytes)
}

/// `kib` -> `KiB`.
fn display_unit(lower: &str) -> String {
    lower
        .chars()
        .map(|c| if c == 'i' { c } else { c.to_ascii_uppercase() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn error(text: &str) -> String {
        parse(text).err().unwrap_or_default()
    }

    #[test]
    fn sizes() {
        assert_eq!(parse("10 MiB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse("10MiB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse("512 KB"), Ok(512_000));
        assert_eq!(parse("1 GB"), Ok(1_000_000_000));
        assert_eq!(parse("2 GiB"), Ok(2 * 1024 * 1024 * 1024));
        assert_eq!(parse("100 bytes"), Ok(100));
        assert_eq!(parse("100"), Ok(100));
        assert_eq!(parse("1_000 kib"), Ok(1_024_000));
    }

    #[test]
    fn bad_sizes() {
        assert!(parse("").is_err());
        assert!(parse("MiB").is_err());
        assert!(error("1.5 MiB").contains("fraction"));
        assert!(error("10 MBs").contains("did you mean `MB`"));
        assert!(error("10 TiB").contains("unknown size unit"));
        assert!(!error("10 TiB").contains("did you mean"));
        assert!(error("0 MiB").contains("zero"));
        assert!(error("99999999999999999999 GiB").contains("too large"));
        assert!(error("9999999999999 GiB").contains("too large"));
    }
}
