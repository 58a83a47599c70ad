//! Parses human-readable sizes (`"10 MiB"`, `"1.5 GiB"`, `"512 KB"`, `"100 bytes"`) at compile
//! time.

/// The units a size may carry, with their value in bytes. Matched case-insensitively; `KB`, `MB`,
/// `GB` and `TB` are decimal (1000), `KiB`, `MiB`, `GiB` and `TiB` binary (1024).
const UNITS: &[(&str, u64)] = &[
    ("b", 1),
    ("byte", 1),
    ("bytes", 1),
    ("kb", 1000),
    ("kib", 1 << 10),
    ("mb", 1000 * 1000),
    ("mib", 1 << 20),
    ("gb", 1000 * 1000 * 1000),
    ("gib", 1 << 30),
    ("tb", 1000 * 1000 * 1000 * 1000),
    ("tib", 1 << 40),
];

/// The unit names as written in messages.
pub(crate) const UNIT_NAMES: &str = "bytes, KB, KiB, MB, MiB, GB, GiB, TB, TiB";

/// The number of bytes `text` stands for, or a message saying what is wrong with it.
pub(crate) fn parse(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let number_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '_' || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = (&text[..number_end], text[number_end..].trim());
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let whole: String = whole.chars().filter(|c| *c != '_').collect();
    let fraction: String = fraction.chars().filter(|c| *c != '_').collect();
    if whole.is_empty() || fraction.contains('.') || (number.contains('.') && fraction.is_empty()) {
        return Err(format!(
            "`{text}` is not a size: write a number and a unit, e.g. `\"10 MiB\"` ({UNIT_NAMES})"
        ));
    }
    let multiplier = unit_bytes(unit, text)?;
    let too_large = || {
        format!(
            "`{text}` is too large a size (the limit is {} bytes)",
            u64::MAX
        )
    };
    let whole: u128 = whole.parse().map_err(|_| too_large())?;
    let scale = u32::try_from(fraction.len())
        .ok()
        .and_then(|digits| 10_u128.checked_pow(digits))
        .ok_or_else(too_large)?;
    let fraction: u128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().map_err(|_| too_large())?
    };
    let numerator = whole
        .checked_mul(scale)
        .and_then(|n| n.checked_add(fraction))
        .and_then(|n| n.checked_mul(u128::from(multiplier)))
        .ok_or_else(too_large)?;
    if numerator % scale != 0 {
        return Err(format!(
            "`{text}` is not a whole number of bytes: write `\"{} bytes\"` or a whole number of \
             a smaller unit",
            numerator / scale
        ));
    }
    let bytes = u64::try_from(numerator / scale).map_err(|_| too_large())?;
    if bytes == 0 {
        return Err(
            "a `max_size` of zero would refuse every upload: give a positive size, or remove \
             `max_size` to accept any size"
                .to_owned(),
        );
    }
    Ok(bytes)
}

/// The value of `unit` in bytes (no unit: bytes).
fn unit_bytes(unit: &str, text: &str) -> Result<u64, String> {
    if unit.is_empty() {
        return Ok(1);
    }
    let lower = unit.to_ascii_lowercase();
    if let Some((_, bytes)) = UNITS.iter().find(|(name, _)| *name == lower) {
        return Ok(*bytes);
    }
    // Only units of the same magnitude letter: `PiB` is no typo of `KiB`.
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
    Err(format!(
        "unknown size unit `{unit}` in `{text}`: use one of {UNIT_NAMES}{hint}"
    ))
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
        assert_eq!(parse("1.5 GiB"), Ok(1536 * 1024 * 1024));
        assert_eq!(parse("0.5 KB"), Ok(500));
        assert_eq!(parse("2 TiB"), Ok(2 << 40));
        assert_eq!(parse("100 bytes"), Ok(100));
        assert_eq!(parse("1 byte"), Ok(1));
        assert_eq!(parse("100"), Ok(100));
        assert_eq!(parse("1_000 kib"), Ok(1_024_000));
    }

    #[test]
    fn bad_sizes() {
        assert!(error("").contains("not a size"));
        assert!(error("MiB").contains("not a size"));
        assert!(error("1. MiB").contains("not a size"));
        assert!(error("1.2.3 MiB").contains("not a size"));
        assert!(error("1.3 KiB").contains("`\"1331 bytes\"`"));
        assert!(error("0.5 bytes").contains("whole number of bytes"));
        assert!(error("10 MBs").contains("did you mean `MB`"));
        assert!(error("10 PiB").contains("unknown size unit"));
        assert!(!error("10 PiB").contains("did you mean"));
        assert!(error("0 MiB").contains("zero"));
        assert!(error("99999999999999999999 GiB").contains("too large"));
        assert!(error("99999999999 GiB").contains("too large"));
        assert!(error("1.00000000000000000000000000000000000000001 GiB").contains("too large"));
    }
}
