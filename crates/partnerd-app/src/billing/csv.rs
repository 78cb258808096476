//! The invoice and unbilled-lines CSV (API-billing.md §7.3): RFC 4180, UTF-8 with
//! no BOM, CRLF after every record, exactly 28 columns; a field is quoted only
//! when it must be, and a name that a spreadsheet would read as a formula starts
//! with `'`. The same lines always give the same bytes, so an invoice's
//! `documentDigest` (SHA-256 of these bytes) is stable.

use partnerd_store::ledger::ChargeLineRow;
use sha2::{Digest, Sha256};

/// The header row's columns, in order.
pub const COLUMNS: [&str; 28] = [
    "lineNumber",
    "chargeId",
    "chargeDate",
    "chargeType",
    "tier",
    "sellerOrganizationId",
    "buyerOrganizationId",
    "indirectProviderId",
    "resellerOrganizationId",
    "resellerName",
    "customerId",
    "customerName",
    "subscriptionId",
    "orderId",
    "offerId",
    "offerName",
    "productFamily",
    "termDuration",
    "billingFrequency",
    "periodStart",
    "periodEnd",
    "chargedDays",
    "billingPeriodDays",
    "quantity",
    "unitPrice",
    "effectiveUnitPrice",
    "amount",
    "currency",
];

/// One field: quoted iff it holds `,`, `"`, CR or LF, with `"` doubled.
fn field(out: &mut String, v: &str) {
    if v.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(v);
    }
}

/// A name column: a leading `=`, `+`, `-`, `@`, TAB or CR gets a `'` first, so a
/// spreadsheet shows it rather than evaluating it.
fn name(out: &mut String, v: &str) {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        field(out, &format!("'{v}"));
    } else {
        field(out, v);
    }
}

/// The CSV of `lines`, numbered 1…n in the order given.
pub fn render(lines: &[ChargeLineRow]) -> String {
    let mut out = String::with_capacity(256 * (lines.len() + 1));
    out.push_str(&COLUMNS.join(","));
    out.push_str("\r\n");
    for (i, l) in lines.iter().enumerate() {
        let plain = [
            (i + 1).to_string(),
            l.id.to_string(),
            l.charge_date.to_string(),
            l.charge_type.as_str().to_owned(),
            l.tier.as_str().to_owned(),
            l.seller_organization_id.to_string(),
            l.buyer_organization_id.to_string(),
            l.indirect_provider_id.to_string(),
            l.reseller_organization_id.to_string(),
        ];
        for v in &plain {
            field(&mut out, v);
            out.push(',');
        }
        name(&mut out, &l.reseller_name);
        out.push(',');
        field(&mut out, l.customer_id.as_str());
        out.push(',');
        name(&mut out, &l.customer_name);
        out.push(',');
        field(&mut out, l.subscription_id.as_str());
        out.push(',');
        field(
            &mut out,
            l.order_id.as_ref().map(|o| o.as_str()).unwrap_or_default(),
        );
        out.push(',');
        field(&mut out, &l.offer_id);
        out.push(',');
        name(&mut out, &l.offer_name);
        out.push(',');
        name(&mut out, &l.product_family);
        let rest = [
            l.term_duration.clone(),
            l.billing_frequency.clone(),
            l.period_start.to_string(),
            l.period_end.to_string(),
            l.charged_days.to_string(),
            l.billing_period_days.to_string(),
            l.quantity.to_string(),
            l.unit_price.amount(),
            l.effective_unit_price.amount(),
            l.amount.amount(),
            l.amount.currency().as_str().to_owned(),
        ];
        for v in &rest {
            out.push(',');
            field(&mut out, v);
        }
        out.push_str("\r\n");
    }
    out
}

/// Hex SHA-256 of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be_and_formulas_are_defused() {
        let mut out = String::new();
        field(&mut out, "plain");
        assert_eq!(out, "plain");
        for (raw, want) in [
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            ("cr\r", "\"cr\r\""),
        ] {
            let mut out = String::new();
            field(&mut out, raw);
            assert_eq!(out, want, "{raw:?}");
        }
        for (raw, want) in [
            ("=SUM(A1)", "'=SUM(A1)"),
            ("+1", "'+1"),
            ("-x", "'-x"),
            ("@me", "'@me"),
            ("\tx", "'\tx"),
            ("Wingtip", "Wingtip"),
            ("=a,b", "\"'=a,b\""),
        ] {
            let mut out = String::new();
            name(&mut out, raw);
            assert_eq!(out, want, "{raw:?}");
        }
    }

    #[test]
    fn an_empty_invoice_is_its_header_and_crlf() {
        let csv = render(&[]);
        assert_eq!(csv, format!("{}\r\n", COLUMNS.join(",")));
        assert_eq!(COLUMNS.len(), 28);
        assert_eq!(digest(b"").len(), 64);
    }
}
