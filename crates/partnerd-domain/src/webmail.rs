//! Public webmail domains, refused for a partner's primary contact (PRODUCT.md §2):
//! the address must belong to the organisation.

/// Built-in list. `name.*` means that name under any public suffix (`yahoo.co.uk`).
pub const BUILT_IN: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.*",
    "live.*",
    "msn.com",
    "yahoo.*",
    "ymail.com",
    "aol.*",
    "icloud.com",
    "me.com",
    "mac.com",
    "gmx.*",
    "web.de",
    "mail.ru",
    "yandex.*",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "zoho.com",
    "zohomail.com",
    "mail.com",
    "fastmail.com",
    "tutanota.com",
    "tuta.io",
    "qq.com",
    "163.com",
    "126.com",
    "naver.com",
    "seznam.cz",
    "wp.pl",
    "o2.pl",
    "libero.it",
    "laposte.net",
    "orange.fr",
    "free.fr",
    "t-online.de",
    "freenet.de",
    "inbox.com",
    "rediffmail.com",
];

fn matches(domain: &str, entry: &str) -> bool {
    let entry = entry.trim().to_ascii_lowercase();
    if let Some(name) = entry.strip_suffix(".*") {
        // `name` followed by a one- or two-label public suffix (yahoo.com, yahoo.co.uk),
        // possibly under subdomains (mail.yahoo.co.uk).
        let labels: Vec<&str> = domain.split('.').collect();
        labels.iter().enumerate().any(|(i, l)| {
            let rest = &labels[i + 1..];
            *l == name
                && match rest {
                    [_] => true,
                    // A country's second level: co.uk, com.au, ne.jp.
                    [second, cc] => {
                        cc.len() == 2
                            && ["co", "com", "net", "org", "ac", "ne", "or", "gov", "edu"]
                                .contains(second)
                    }
                    _ => false,
                }
        })
    } else {
        domain == entry || domain.ends_with(&format!(".{entry}"))
    }
}

/// The list entry a domain falls under, if any (`extra` is the configured list).
pub fn webmail_entry(domain: &str, extra: &[String]) -> Option<String> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    BUILT_IN
        .iter()
        .map(|e| (*e).to_owned())
        .chain(extra.iter().cloned())
        .find(|e| matches(&domain, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_webmail_is_recognised_on_the_registrable_domain() {
        for d in [
            "gmail.com",
            "GMAIL.com",
            "yahoo.co.uk",
            "mail.yahoo.com",
            "hotmail.fr",
            "gmx.net",
            "proton.me",
        ] {
            assert!(webmail_entry(d, &[]).is_some(), "{d}");
        }
        for d in [
            "contoso.com",
            "yahoo-partners.com",
            "notgmail.com",
            "mail.contoso.de",
            "live.contoso.com",
        ] {
            assert!(webmail_entry(d, &[]).is_none(), "{d}");
        }
        assert_eq!(
            webmail_entry("example-mail.org", &["example-mail.org".to_owned()]).as_deref(),
            Some("example-mail.org")
        );
    }
}
