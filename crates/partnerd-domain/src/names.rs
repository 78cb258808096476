//! Validated free-text values: names, titles, long texts, country codes.

use crate::FieldError;

/// Trims and checks a short string member: 1..=max characters, no control characters.
pub fn short_text(pointer: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::invalid(pointer, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(FieldError::invalid(
            pointer,
            format!("must be at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::invalid(
            pointer,
            "must not contain control characters",
        ));
    }
    Ok(value.to_owned())
}

/// A name (person or organisation): 1–200 characters.
pub fn name(pointer: &str, raw: &str) -> Result<String, FieldError> {
    short_text(pointer, raw, 200)
}

/// An ISO 3166-1 alpha-2 country code, upper case (`DE`, `US`).
pub fn country(pointer: &str, raw: &str) -> Result<String, FieldError> {
    if raw.len() == 2 && raw.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(raw.to_owned())
    } else {
        Err(FieldError::invalid(
            pointer,
            "must be an ISO 3166-1 alpha-2 code in upper case, such as DE",
        ))
    }
}

/// A tenant's domain prefix: `[a-z0-9-]{3,40}`, no leading or trailing `-`.
pub fn domain_prefix(pointer: &str, raw: &str) -> Result<String, FieldError> {
    let ok = (3..=40).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !raw.starts_with('-')
        && !raw.ends_with('-');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(FieldError::invalid(
            pointer,
            "must be 3–40 characters of a-z, 0-9 and '-', not starting or ending with '-'",
        ))
    }
}

/// An offer id chosen by the operator: `[A-Za-z0-9._-]{1,64}`.
pub fn offer_id(pointer: &str, raw: &str) -> Result<String, FieldError> {
    if (1..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        Ok(raw.to_owned())
    } else {
        Err(FieldError::invalid(
            pointer,
            "must be 1–64 characters of A-Z, a-z, 0-9, '.', '_' and '-'",
        ))
    }
}

/// A long text (description, message…): up to `max` characters, newlines allowed,
/// other control characters refused. Empty after trimming means absent.
pub fn long_text(pointer: &str, raw: &str, max: usize) -> Result<Option<String>, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > max {
        return Err(FieldError::invalid(
            pointer,
            format!("must be at most {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(FieldError::invalid(
            pointer,
            "must not contain control characters",
        ));
    }
    Ok(Some(value.to_owned()))
}

/// A web address: `http://` or `https://` and a host, at most 200 characters.
pub fn website(pointer: &str, raw: &str) -> Result<String, FieldError> {
    let value = raw.trim();
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(r)
            if !r.is_empty()
                && value.len() <= 200
                && !value.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            Ok(value.to_owned())
        }
        _ => Err(FieldError::invalid(
            pointer,
            "must be a web address starting with https://",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_trims_and_limits() {
        assert_eq!(name("/n", "  Contoso  ").ok(), Some("Contoso".into()));
        assert!(name("/n", "   ").is_err());
        assert!(name("/n", "a\u{7}b").is_err());
        assert!(name("/n", &"x".repeat(201)).is_err());
    }

    #[test]
    fn countries_and_prefixes() {
        assert!(country("/c", "DE").is_ok());
        assert!(country("/c", "de").is_err());
        assert!(domain_prefix("/d", "contoso-eu").is_ok());
        assert!(domain_prefix("/d", "-contoso").is_err());
        assert!(domain_prefix("/d", "ab").is_err());
    }
}

/// An ISO 8601 duration in whole days (`P90D`, or weeks: `P12W`), 1..=`max_days`.
pub fn duration_days(pointer: &str, raw: &str, max_days: i64) -> Result<i64, FieldError> {
    let bad = || {
        FieldError::invalid(
            pointer,
            format!(
                "must be an ISO 8601 duration in days or weeks between P1D and P{max_days}D, e.g. P90D"
            ),
        )
    };
    let body = raw.trim().strip_prefix('P').ok_or_else(bad)?;
    let (digits, unit) = body.split_at(body.len().saturating_sub(1));
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 6 {
        return Err(bad());
    }
    let n: i64 = digits.parse().map_err(|_| bad())?;
    let days = match unit {
        "D" => n,
        "W" => n * 7,
        _ => return Err(bad()),
    };
    if !(1..=max_days).contains(&days) {
        return Err(bad());
    }
    Ok(days)
}

#[cfg(test)]
mod duration_tests {
    use super::duration_days;

    #[test]
    fn days_and_weeks_within_the_limit() {
        assert_eq!(duration_days("/d", "P730D", 730), Ok(730));
        assert_eq!(duration_days("/d", "P2W", 730), Ok(14));
        for bad in ["P731D", "P0D", "730", "PT5H", "P1Y", "P-1D", "PD", "P1.5D"] {
            assert!(duration_days("/d", bad, 730).is_err(), "{bad}");
        }
    }
}
