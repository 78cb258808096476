//! `partnerd customers import`: brings in a CSV of customers that partners already
//! serve elsewhere (API.md §8.6), one transaction per row, and reports every row:
//! created (with the admin's temporary password), skipped (imported before under
//! the same source and external id) or refused (why; nothing of it written).

use partnerd_domain::ids::OrgId;
use std::collections::HashMap;
use std::path::Path;

use partnerd_app::App;
use partnerd_app::customers::{ImportInput, ImportOutcome, ImportedAdmin};
use serde_json::json;

/// The columns a file may have; `source` may come from `--source` instead.
pub const COLUMNS: &[&str] = &[
    "source",
    "externalId",
    "companyName",
    "domainPrefix",
    "country",
    "resellerOrganizationId",
    "indirectProviderId",
    "delegatedAdmin",
    "adminEmail",
    "adminFirstName",
    "adminLastName",
];

const REQUIRED: &[&str] = &[
    "externalId",
    "companyName",
    "domainPrefix",
    "country",
    "resellerOrganizationId",
    "adminEmail",
    "adminFirstName",
    "adminLastName",
];

/// Counts of a run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    pub rows: usize,
    pub created: usize,
    pub skipped: usize,
    pub refused: usize,
}

fn flag(v: &str) -> Result<Option<bool>, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "true" | "yes" | "1" => Ok(Some(true)),
        "false" | "no" | "0" => Ok(Some(false)),
        other => Err(format!("delegatedAdmin: '{other}' is not true or false")),
    }
}

/// Reads the header and checks it: every required column present, none unknown.
fn header_index(
    headers: &csv::StringRecord,
    default_source: Option<&str>,
) -> Result<HashMap<String, usize>, String> {
    let mut index = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim();
        if !COLUMNS.contains(&h) {
            return Err(format!(
                "unknown column '{h}'; the columns are {}",
                COLUMNS.join(", ")
            ));
        }
        index.insert(h.to_owned(), i);
    }
    let mut missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| !index.contains_key(*c))
        .collect();
    if default_source.is_none() && !index.contains_key("source") {
        missing.insert(0, "source (or --source)");
    }
    if !missing.is_empty() {
        return Err(format!("missing column(s): {}", missing.join(", ")));
    }
    Ok(index)
}

fn row_input(
    rec: &csv::StringRecord,
    index: &HashMap<String, usize>,
    default_source: Option<&str>,
) -> Result<ImportInput, String> {
    let get = |c: &str| {
        index
            .get(c)
            .and_then(|i| rec.get(*i))
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let source = Some(get("source"))
        .filter(|s| !s.is_empty())
        .or_else(|| default_source.map(str::to_owned))
        .unwrap_or_default();
    Ok(ImportInput {
        source,
        external_id: get("externalId"),
        company_name: get("companyName"),
        domain_prefix: get("domainPrefix"),
        country: get("country"),
        reseller_organization_id: get("resellerOrganizationId"),
        indirect_provider_id: Some(get("indirectProviderId"))
            .filter(|s| !s.is_empty())
            .map(OrgId::from_raw),
        delegated_admin: flag(&get("delegatedAdmin"))?,
        admin: Some(ImportedAdmin {
            email: get("adminEmail"),
            first_name: get("adminFirstName"),
            last_name: get("adminLastName"),
        }),
    })
}

/// Imports every row of `path`, writing the report to `out`. Err = the file cannot
/// be read as a whole (nothing imported).
pub async fn run(
    app: &App,
    path: &Path,
    default_source: Option<&str>,
    as_json: bool,
    out: &mut impl std::io::Write,
) -> Result<Summary, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let headers = reader
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .clone();
    let index = header_index(&headers, default_source)?;
    let mut summary = Summary::default();
    let mut write = |line: String| {
        let _ = writeln!(out, "{line}");
    };
    for (n, rec) in reader.records().enumerate() {
        // Line numbers as a spreadsheet shows them: the header is line 1.
        let line = n + 2;
        summary.rows += 1;
        let outcome = match rec
            .map_err(|e| e.to_string())
            .and_then(|r| row_input(&r, &index, default_source))
        {
            Ok(input) => {
                let external_id = input.external_id.clone();
                (external_id, app.import_row(input).await)
            }
            Err(e) => {
                summary.refused += 1;
                write(if as_json {
                    json!({"line": line, "outcome": "refused", "code": "validation_failed", "detail": e}).to_string()
                } else {
                    format!("line {line}: refused: {e}")
                });
                continue;
            }
        };
        let (external_id, outcome) = outcome;
        write(match outcome {
            ImportOutcome::Created(done) => {
                summary.created += 1;
                if as_json {
                    json!({"line": line, "externalId": external_id, "outcome": "created",
                        "customerId": done.customer.id, "adminEmail": done.admin_user.email,
                        "temporaryPassword": done.temporary_password})
                    .to_string()
                } else {
                    format!(
                        "line {line}: created {} ({}); admin {} temporary password {}",
                        done.customer.id,
                        done.customer.company_name,
                        done.admin_user.email,
                        done.temporary_password
                    )
                }
            }
            ImportOutcome::Skipped { customer_id } => {
                summary.skipped += 1;
                if as_json {
                    json!({"line": line, "externalId": external_id, "outcome": "skipped", "customerId": customer_id})
                        .to_string()
                } else {
                    format!(
                        "line {line}: skipped: {external_id} was imported before as {customer_id}"
                    )
                }
            }
            ImportOutcome::Refused(e) => {
                summary.refused += 1;
                let fields: Vec<String> = e
                    .field_errors()
                    .iter()
                    .map(|f| format!("{}: {}", f.pointer, f.message))
                    .collect();
                if as_json {
                    json!({"line": line, "externalId": external_id, "outcome": "refused", "code": e.code(),
                        "detail": e.detail(), "errors": fields})
                    .to_string()
                } else {
                    format!("line {line}: refused ({}): {}", e.code(), e.detail())
                }
            }
        });
    }
    write(if as_json {
        json!({"rows": summary.rows, "created": summary.created, "skipped": summary.skipped, "refused": summary.refused})
            .to_string()
    } else {
        format!(
            "{} rows: {} created, {} skipped, {} refused",
            summary.rows, summary.created, summary.skipped, summary.refused
        )
    });
    Ok(summary)
}
