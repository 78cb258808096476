//! The password policy of API.md §3.1 (NIST SP 800-63B-4, single-factor passwords):
//! length 15–256, no composition rules, and a block list of guessable choices.

use std::collections::HashSet;
use std::sync::OnceLock;

pub const MIN_CHARS: usize = 15;
pub const MAX_CHARS: usize = 256;
const PRODUCT_NAME: &str = "partnerd";

static COMMON: &str = include_str!("../data/common-passwords.txt");

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON.lines().filter(|l| !l.is_empty()).collect())
}

/// How many passwords the built-in common list holds.
pub fn common_list_len() -> usize {
    common().len()
}

/// What the password is checked against besides itself.
#[derive(Debug, Default, Clone, Copy)]
pub struct Context<'a> {
    /// The local part of the account's e-mail address.
    pub email_local_part: Option<&'a str>,
    /// The organisation's domain prefix.
    pub domain_prefix: Option<&'a str>,
}

/// Why a password was refused; the text is shown to the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WeakPassword(pub String);

fn weak(msg: &str) -> Result<(), WeakPassword> {
    Err(WeakPassword(msg.to_owned()))
}

/// Checks a new password against the policy.
pub fn check(password: &str, ctx: Context<'_>) -> Result<(), WeakPassword> {
    let chars: Vec<char> = password.chars().collect();
    if chars.len() < MIN_CHARS {
        return weak("must be at least 15 characters long; a few unrelated words make a good one");
    }
    if chars.len() > MAX_CHARS {
        return weak("must be at most 256 characters long");
    }
    let lower = password.to_lowercase();
    if chars.iter().all(|c| *c == chars[0]) {
        return weak("must not be one character repeated");
    }
    if is_sequence(&chars) {
        return weak("must not be a run of sequential characters such as abcdef or 123456");
    }
    if common().contains(lower.as_str()) {
        return weak("is one of the most common passwords in public breach lists");
    }
    if let Some(unit) = repeated_unit(&lower) {
        let _ = unit;
        return weak("must not be a shorter text repeated");
    }
    if let Some(local) = ctx.email_local_part {
        let local = local.to_lowercase();
        if local.chars().count() >= 3 && lower.contains(&local) {
            return weak("must not contain the name part of your e-mail address");
        }
    }
    let mut rest = lower.replace(PRODUCT_NAME, "");
    if let Some(prefix) = ctx.domain_prefix.filter(|p| p.len() >= 3) {
        rest = rest.replace(&prefix.to_lowercase(), "");
    }
    if rest.chars().filter(|c| c.is_alphanumeric()).count() < 8 {
        return weak("must not be built from the product name or your organisation's domain");
    }
    Ok(())
}

fn successor(a: char, b: char) -> bool {
    match (a, b) {
        ('9', '0') => true,
        _ => a.is_ascii_alphanumeric() && b as u32 == a as u32 + 1,
    }
}

/// True when every character follows (or every one precedes) the one before it.
fn is_sequence(chars: &[char]) -> bool {
    let lower: Vec<char> = chars.iter().map(|c| c.to_ascii_lowercase()).collect();
    let up = lower.windows(2).all(|w| successor(w[0], w[1]));
    let down = lower.windows(2).all(|w| successor(w[1], w[0]));
    up || down
}

/// The unit when the whole text is a shorter text repeated two or more times.
fn repeated_unit(text: &str) -> Option<&str> {
    let n = text.len();
    (1..=n / 2)
        .filter(|len| n.is_multiple_of(*len) && text.is_char_boundary(*len))
        .map(|len| &text[..len])
        .find(|unit| unit.repeat(n / unit.len()) == text)
}

/// A random temporary password: 24 characters from an alphabet without look-alikes.
pub fn generate_temporary() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..24)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_the_contract_vectors() {
        for pw in [
            "aaaaaaaaaaaaaaaa",
            "abcdefghijklmnop",
            "1234567890123456",
            "passwordpassword",
            "partnerdpartnerd",
        ] {
            assert!(
                check(pw, Context::default()).is_err(),
                "{pw} must be refused"
            );
        }
    }

    #[test]
    fn accepts_a_passphrase_and_checks_context() {
        assert!(check("correct horse battery staple", Context::default()).is_ok());
        let ctx = Context {
            email_local_part: Some("ada.lovelace"),
            domain_prefix: Some("contoso"),
        };
        assert!(check("ada.lovelace-is-great", ctx).is_err());
        assert!(check("contoso-partnerd-2024", ctx).is_err());
        assert!(check("short", ctx).is_err());
        assert!(check(&"x".repeat(15), ctx).is_err());
    }

    #[test]
    fn ships_at_least_ten_thousand_common_passwords() {
        assert!(common_list_len() >= 10_000);
    }

    #[test]
    fn temporary_passwords_pass_the_policy() {
        let pw = generate_temporary();
        assert!(pw.len() >= 20);
        assert!(check(&pw, Context::default()).is_ok());
    }
}
