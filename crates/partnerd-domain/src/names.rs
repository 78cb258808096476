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

/// The field error codes of [`visible_text`]. API-platform.md §2.7 answers them as
/// `validation_failed` with the code on the field, unlike `weak_password`, which
/// names the whole answer.
pub const FIELD_ONLY_CODES: &[&str] = &[INVISIBLE_TEXT, BIDI_CONTROL_NOT_ALLOWED];

const INVISIBLE_TEXT: &str = "invisible_text";
const BIDI_CONTROL_NOT_ALLOWED: &str = "bidi_control_not_allowed";

/// Whether a request member (`companyName`) or portal form field (`company_name`) is
/// a name or title, to which [`visible_text`] applies (API-platform.md §2.7):
/// `name`, `title`, or ending in `Name` (`displayName`, `friendlyName`,
/// `firstName`, …).
pub fn is_name_member(member: &str) -> bool {
    member == "name"
        || member == "title"
        || (member.len() > 4 && member.ends_with("Name"))
        || (member.len() > 5 && member.ends_with("_name"))
}

/// Bidi embeddings, overrides and isolates: they reorder what follows, so a name
/// could show as something else (`Contoso\u{202E}` …).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character that shows: not White_Space, not of the general categories Cc, Cf,
/// Mn, Me, Zs, Zl or Zp, and not Default_Ignorable_Code_Point (U+3164 HANGUL FILLER
/// is a letter, but ignorable).
fn is_visible(c: char) -> bool {
    use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory};
    use icu_properties::{CodePointMapData, CodePointSetData};
    if c.is_whitespace() || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c) {
        return false;
    }
    !matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::NonspacingMark
            | GeneralCategory::EnclosingMark
            | GeneralCategory::SpaceSeparator
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

/// A name or title someone will read (API-platform.md §2.7): no bidi control
/// (`bidi_control_not_allowed`), and at least one visible character
/// (`invisible_text`). An empty value (after trimming) is left to the member's own
/// rule: required names say "must not be empty", optional ones read it as absent.
pub fn visible_text(pointer: &str, raw: &str) -> Result<(), FieldError> {
    let value = raw.trim();
    if value.chars().any(is_bidi_control) {
        return Err(FieldError::new(
            pointer,
            BIDI_CONTROL_NOT_ALLOWED,
            "must not contain bidirectional embedding, override or isolate characters (U+202A–U+202E, U+2066–U+2069)",
        ));
    }
    if !value.is_empty() && !value.chars().any(is_visible) {
        return Err(FieldError::new(
            pointer,
            INVISIBLE_TEXT,
            "must contain at least one visible character",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_titles_must_show() {
        for refused in [
            "\u{200B}\u{200B}",
            "\u{3164}",
            "\u{00AD}",
            " \u{2060} ",
            "\u{0301}",
            "\u{FEFF}",
            "\u{E0041}",
        ] {
            let code = visible_text("/name", refused).err().map(|e| e.code);
            assert_eq!(code, Some("invisible_text"), "{refused:?}");
        }
        for refused in [
            "Contoso\u{202E}",
            "\u{2067}Fabrikam\u{2069}",
            "\u{202A}",
            "a\u{2066}b",
        ] {
            let code = visible_text("/name", refused).err().map(|e| e.code);
            assert_eq!(code, Some("bidi_control_not_allowed"), "{refused:?}");
        }
        for accepted in [
            "Zoë",
            "محمد",
            "株式会社",
            "👩\u{200D}💻 Lab",
            "e\u{0301}",
            // Empty once trimmed (U+2028 is White_Space): the member's own rule.
            "",
            "  ",
            "\u{2028}",
        ] {
            assert!(visible_text("/name", accepted).is_ok(), "{accepted:?}");
        }
    }

    #[test]
    fn which_members_are_names() {
        for name in [
            "name",
            "title",
            "displayName",
            "friendlyName",
            "firstName",
            "legalName",
            "company_name",
            "first_name",
        ] {
            assert!(is_name_member(name), "{name}");
        }
        for other in [
            "Name",
            "names",
            "email",
            "nameServer",
            "_name",
            "surname",
            "id",
        ] {
            assert!(!is_name_member(other), "{other}");
        }
    }

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
