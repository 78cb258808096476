//! Money: `{"amount": "12.50", "currency": "EUR"}`, kept as minor units (cents).

use crate::FieldError;

/// A decimal amount string with at most two decimals, as minor units. Negative
/// amounts are refused.
pub fn parse_amount(pointer: &str, raw: &str) -> Result<i64, FieldError> {
    let bad = || {
        FieldError::invalid(
            pointer,
            "must be a decimal string with at most 2 decimals, such as \"12.50\"",
        )
    };
    let raw = raw.trim();
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty() || whole.len() > 12 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (raw.contains('.') && frac.is_empty())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let cents: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(cents))
        .ok_or_else(bad)
}

/// Minor units as the API's decimal string (`"12.50"`).
pub fn format_amount(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Checks a currency against the deployment's one currency.
pub fn check_currency(pointer: &str, raw: &str, platform: &str) -> Result<(), FieldError> {
    if raw == platform {
        Ok(())
    } else {
        Err(FieldError::invalid(
            pointer,
            format!("must be {platform}, the currency of this deployment"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_trip_and_bad_ones_are_refused() {
        assert_eq!(parse_amount("/a", "12.50").ok(), Some(1250));
        assert_eq!(parse_amount("/a", "12.5").ok(), Some(1250));
        assert_eq!(parse_amount("/a", "7").ok(), Some(700));
        assert_eq!(parse_amount("/a", "0.05").ok(), Some(5));
        for bad in ["", "-1", "1.234", "1.", ".5", "1e3", "abc", "12,50"] {
            assert!(parse_amount("/a", bad).is_err(), "{bad}");
        }
        assert_eq!(format_amount(1250), "12.50");
        assert_eq!(format_amount(5), "0.05");
    }
}
