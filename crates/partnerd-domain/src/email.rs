//! E-mail addresses, parsed once at the boundary.

use crate::FieldError;

/// A syntactically valid e-mail address (≤ 254 characters). Equality and uniqueness
/// use [`EmailAddress::normalized`], the lower-cased form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(pointer: &str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        let bad = |msg: &str| Err(FieldError::invalid(pointer, msg.to_owned()));
        if value.is_empty() {
            return bad("must not be empty");
        }
        if value.chars().count() > 254 {
            return bad("must be at most 254 characters");
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return bad("must be an e-mail address such as name@example.com");
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && local
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && c != '"');
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if !local_ok || !domain_ok {
            return bad("must be an e-mail address such as name@example.com");
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Lower-cased form used for comparisons and the unique index.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }

    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(l, _)| l)
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalizes() {
        let e = EmailAddress::parse("/email", " Ada@Contoso.example ").ok();
        assert_eq!(e.as_ref().map(|e| e.as_str()), Some("Ada@Contoso.example"));
        assert_eq!(
            e.map(|e| e.normalized()),
            Some("ada@contoso.example".to_owned())
        );
    }

    #[test]
    fn refuses_garbage() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.com",
            "a b@x.com",
            "ada@localhost",
            "ada@x..com",
        ] {
            assert!(EmailAddress::parse("/email", bad).is_err(), "{bad}");
        }
        assert!(EmailAddress::parse("/email", &format!("{}@x.com", "a".repeat(250))).is_err());
    }
}
