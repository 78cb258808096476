//! The one access policy: a table of what each action needs, and [`explain`], which
//! every use case asks before it does anything. Deny by default; every answer
//! carries the chain of checks behind it (organisation kind → programme → session →
//! role → delegation), in words a person can read. Facts that depend on the
//! resource (does the caller's organisation hold delegated admin for this customer,
//! by the server's clock?) are looked up by the use case and passed in as [`Facts`];
//! relationship visibility is decided before the policy (an unrelated caller gets
//! 404, not a reason).

use serde::Serialize;

use crate::roles::{OrgKind, Program, Role, Roles};

/// Who is asking, as far as the policy cares.
#[derive(Debug, Clone)]
pub struct Actor {
    pub org_kind: OrgKind,
    pub programs: Vec<Program>,
    pub roles: Roles,
    /// True for a person's session, false for an API key.
    pub user_session: bool,
}

macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// Something a caller may want to do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $($(#[$doc])* $variant,)*
        }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The name used in the API (`manageUsers`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($name => Some(Action::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

actions! {
    /// Read the own organisation and own account.
    ReadOwnOrganization = "readOwnOrganization",
    /// List, add, edit, disable and delete users of the own organisation.
    ManageUsers = "manageUsers",
    /// Grant, change or remove global admins (user management admins cannot).
    ManageGlobalAdmins = "manageGlobalAdmins",
    /// Create, list and revoke API keys.
    ManageApiKeys = "manageApiKeys",
    /// Register and manage webhooks.
    ManageWebhooks = "manageWebhooks",
    /// Read the audit records the organisation takes part in.
    ReadAuditRecords = "readAuditRecords",
    /// View the partner profiles (legal business, support, membership).
    ViewPartnerProfiles = "viewPartnerProfiles",
    /// Edit the partner profiles.
    EditPartnerProfiles = "editPartnerProfiles",
    /// Start, edit and submit the enrollment as an indirect reseller.
    ManageEnrollment = "manageEnrollment",
    /// Invite indirect resellers and revoke invitations (providers).
    ManageResellerInvitations = "manageResellerInvitations",
    /// Accept or decline an indirect provider's invitation (resellers).
    AcceptProviderInvitation = "acceptProviderInvitation",
    /// See provider and reseller relationships.
    ReadRelationships = "readRelationships",
    /// End a provider and reseller relationship.
    EndPartnerRelationship = "endPartnerRelationship",
    /// Set a reseller's credit limit (providers).
    SetCreditLimit = "setCreditLimit",
    /// Ask a customer for a reseller relationship (resellers).
    RequestCustomerRelationship = "requestCustomerRelationship",
    /// Ask a customer for delegated admin privileges.
    RequestDelegatedAdmin = "requestDelegatedAdmin",
    /// Search and view customers.
    ReadCustomers = "readCustomers",
    /// End a customer relationship or a delegated admin relationship.
    EndCustomerRelationship = "endCustomerRelationship",
    /// Administer on behalf of a customer: its users and their roles.
    AdministerCustomers = "administerCustomers",
    /// View a customer's users.
    ReadCustomerUsers = "readCustomerUsers",
    /// Reset a customer user's password.
    ResetCustomerUserPassword = "resetCustomerUserPassword",
    /// Assign and remove customer licenses.
    ManageLicenses = "manageLicenses",
    /// Place orders and change subscriptions.
    PlaceOrders = "placeOrders",
    /// Read the catalog, orders and subscriptions.
    ReadCommerce = "readCommerce",
    /// Read the vendor's catalog of offers.
    ReadCatalog = "readCatalog",
    /// Manage leads.
    ManageLeads = "manageLeads",
    /// Open and follow service requests about a customer.
    CustomerServiceRequests = "customerServiceRequests",
    /// Open and follow service requests about partnerd itself.
    PartnerServiceRequests = "partnerServiceRequests",
    /// See the service requests your organisation opened.
    ReadServiceRequests = "readServiceRequests",
    /// Operator: work the queue of service requests (status, assignment, notes).
    HandleServiceRequests = "handleServiceRequests",
    /// Read service health.
    ReadServiceHealth = "readServiceHealth",
    /// Search the provider directory.
    ReadProviderDirectory = "readProviderDirectory",
        /// Edit the own listing in the provider directory (providers).
    EditDirectoryListing = "editDirectoryListing",
    /// See the own organisation's indirect-provider authorisation.
    ReadProviderAuthorization = "readProviderAuthorization",
    /// Accept or decline a reseller's relationship request (customers).
    AcceptCustomerRelationship = "acceptCustomerRelationship",
    /// See the partners of the own (customer) organisation.
    ReadPartnerRelationships = "readPartnerRelationships",
    /// End a partner's relationship with the own (customer) organisation.
    ManagePartnerRelationships = "managePartnerRelationships",
    /// See delegated admin relationships (partners: their own; customers: theirs).
    ReadDelegatedAdmin = "readDelegatedAdmin",
    /// Operator: import customers that partners already serve elsewhere.
    ImportCustomers = "importCustomers",
    /// See the own (customer) organisation's subscriptions and licenses.
    ReadOwnSubscriptions = "readOwnSubscriptions",
    /// Operator: suspend and reactivate any subscription (status only).
    SuspendSubscriptions = "suspendSubscriptions",
    /// Operator: create organisations, authorise providers.
    ManageOrganizations = "manageOrganizations",
    /// Operator: read every organisation.
    ReadOrganizations = "readOrganizations",
    /// Operator: keep the catalog.
    ManageCatalog = "manageCatalog",
    /// Operator: schedule and withdraw the list prices of future months.
    ManageOfferPrices = "manageOfferPrices",
    /// Read the prices a seller charges a buyer (sellers, buyers, the operator).
    ReadPriceSheet = "readPriceSheet",
    /// Read the own organisation's repricing configs (sellers; the operator).
    ReadRepricingConfigs = "readRepricingConfigs",
    /// Create, change and delete the own repricing configs of future months.
    ManageRepricingConfigs = "manageRepricingConfigs",
    /// Read invoices, charge lines, unbilled charges and payments.
    ReadBilling = "readBilling",
    /// Issue and void the own invoices; record and reverse payments.
    ManageInvoices = "manageInvoices",
    /// Operator: run and preview the monthly billing.
    RunBilling = "runBilling",
    /// Operator: review enrollments.
    ReviewEnrollments = "reviewEnrollments",
    /// Operator: keep the membership registry.
    ManageRegistry = "manageRegistry",
    /// Operator: post service-health incidents.
    ManageServiceIncidents = "manageServiceIncidents",
    /// Operator: put mail that could not be delivered back in the queue.
    RetryMail = "retryMail",
    /// Operator, test clock only: read and move the clock, run the system jobs.
    DriveTestClock = "driveTestClock",
}

use OrgKind::{Customer as C, None as N, Operator as O, Partner as P};
use Role::{
    AdminAgent as AA, BillingAdmin as BA, GlobalAdmin as GA, HelpdeskAgent as HA, SalesAgent as SA,
    UserManagementAdmin as UMA,
};

/// One row of the policy table.
pub struct Rule {
    pub action: Action,
    /// What the action is, in words ("manage partner users").
    pub describes: &'static str,
    /// Any one of these roles suffices; empty = any signed-in caller.
    pub roles: &'static [Role],
    /// Organisation kinds allowed; empty = all.
    pub kinds: &'static [OrgKind],
    /// A programme the organisation must belong to (operators are exempt).
    pub program: Option<Program>,
    /// A person must do it, not an application.
    pub user_session_only: bool,
    /// Acts inside a customer's tenant: needs an active, unexpired delegated admin
    /// relationship between the caller's organisation and the customer.
    pub on_behalf: bool,
}

/// Facts about the resource an action touches, looked up by the use case. `None`
/// = not known here (the general explainer): the check is listed as "per customer".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    pub delegated_admin: Option<bool>,
}

const fn rule(
    action: Action,
    describes: &'static str,
    roles: &'static [Role],
    kinds: &'static [OrgKind],
) -> Rule {
    Rule {
        action,
        describes,
        roles,
        kinds,
        program: None,
        user_session_only: false,
        on_behalf: false,
    }
}

const fn on_behalf(mut r: Rule) -> Rule {
    r.on_behalf = true;
    r
}

const fn with_program(mut r: Rule, p: Program) -> Rule {
    r.program = Some(p);
    r
}

const fn person_only(mut r: Rule) -> Rule {
    r.user_session_only = true;
    r
}

const RESELLER: Program = Program::IndirectReseller;
const PROVIDER: Program = Program::IndirectProvider;

/// The table. One row per action; a test proves every action has exactly one.
pub const RULES: &[Rule] = &[
    rule(
        Action::ReadOwnOrganization,
        "read your own organisation and account",
        &[],
        &[],
    ),
    rule(
        Action::ManageUsers,
        "view, create and manage users of your organisation",
        &[GA, UMA],
        &[],
    ),
    rule(
        Action::ManageGlobalAdmins,
        "grant, change or remove the Global admin role",
        &[GA],
        &[],
    ),
    rule(Action::ManageApiKeys, "manage API keys", &[GA], &[]),
    rule(Action::ManageWebhooks, "manage webhooks", &[GA], &[]),
    rule(
        Action::ReadAuditRecords,
        "read the activity log",
        &[GA, AA],
        &[],
    ),
    rule(
        Action::ViewPartnerProfiles,
        "view the partner profiles",
        &[GA, UMA, BA],
        &[P],
    ),
    rule(
        Action::EditPartnerProfiles,
        "edit the partner profiles",
        &[GA],
        &[P],
    ),
    person_only(rule(
        Action::ManageEnrollment,
        "enroll your organisation as an indirect reseller",
        &[GA],
        &[N, P],
    )),
    with_program(
        rule(
            Action::ManageResellerInvitations,
            "invite indirect resellers",
            &[GA, AA, SA],
            &[P],
        ),
        PROVIDER,
    ),
    with_program(
        person_only(rule(
            Action::AcceptProviderInvitation,
            "accept an indirect provider's partnership request",
            &[GA],
            &[P],
        )),
        RESELLER,
    ),
    rule(
        Action::ReadRelationships,
        "see your indirect providers and resellers",
        &[GA, AA, SA, HA, BA],
        &[P, O],
    ),
    rule(
        Action::EndPartnerRelationship,
        "end a relationship with an indirect provider or reseller",
        &[GA],
        &[P],
    ),
    with_program(
        rule(
            Action::SetCreditLimit,
            "set resellers' credit limits",
            &[GA, BA],
            &[P],
        ),
        PROVIDER,
    ),
    with_program(
        rule(
            Action::RequestCustomerRelationship,
            "request a reseller relationship with a customer",
            &[GA, AA, SA],
            &[P],
        ),
        RESELLER,
    ),
    with_program(
        rule(
            Action::RequestDelegatedAdmin,
            "request delegated admin privileges",
            &[GA, AA],
            &[P],
        ),
        RESELLER,
    ),
    rule(
        Action::ReadCustomers,
        "search and view customers",
        &[GA, AA, SA, HA, BA],
        &[P, O],
    ),
    rule(
        Action::EndCustomerRelationship,
        "end a customer relationship",
        &[GA, AA],
        &[P],
    ),
    on_behalf(rule(
        Action::AdministerCustomers,
        "administer on behalf of a customer (its users and roles)",
        &[AA],
        &[P, O],
    )),
    on_behalf(rule(
        Action::ReadCustomerUsers,
        "view a customer's users",
        &[AA, HA],
        &[P, O],
    )),
    on_behalf(rule(
        Action::ResetCustomerUserPassword,
        "reset a customer user's password",
        &[AA, HA],
        &[P, O],
    )),
    on_behalf(rule(
        Action::ManageLicenses,
        "assign and remove customer licenses",
        &[AA, HA],
        &[P, O],
    )),
    rule(
        Action::PlaceOrders,
        "place orders and change subscriptions",
        &[AA, SA],
        &[P],
    ),
    rule(
        Action::ReadCommerce,
        "read the catalog, orders and subscriptions",
        &[GA, AA, SA, HA, BA],
        &[P, O],
    ),
    rule(
        Action::ReadCatalog,
        "read the catalog of offers",
        &[],
        &[P, O],
    ),
    rule(
        Action::ReadProviderAuthorization,
        "see your organisation's indirect provider authorisation",
        &[GA],
        &[P],
    ),
    rule(Action::ManageLeads, "manage leads", &[SA], &[P]),
    rule(
        Action::CustomerServiceRequests,
        "request support for customers",
        &[AA, HA],
        &[P, O],
    ),
    rule(
        Action::PartnerServiceRequests,
        "open partner-center support tickets",
        &[GA],
        &[P, N],
    ),
    rule(
        Action::ReadServiceRequests,
        "see your organisation's service requests",
        &[GA, AA, HA],
        &[P, N, O],
    ),
    rule(
        Action::HandleServiceRequests,
        "work the queue of service requests",
        &[GA, AA, HA],
        &[O],
    ),
    rule(Action::ReadServiceHealth, "read service health", &[], &[]),
    rule(
        Action::ReadProviderDirectory,
        "search the provider directory",
        &[],
        &[],
    ),
    with_program(
        rule(
            Action::EditDirectoryListing,
            "edit your listing in the provider directory",
            &[GA],
            &[P],
        ),
        PROVIDER,
    ),
    person_only(rule(
        Action::AcceptCustomerRelationship,
        "accept a reseller relationship request",
        &[GA],
        &[C, N],
    )),
    rule(
        Action::ReadPartnerRelationships,
        "see your partners and what they may do for you",
        &[GA, UMA],
        &[C],
    ),
    rule(
        Action::ManagePartnerRelationships,
        "end a partner's relationship with your organisation",
        &[GA],
        &[C],
    ),
    rule(
        Action::ReadDelegatedAdmin,
        "see delegated admin relationships",
        &[GA, AA, HA],
        &[P, O, C],
    ),
    rule(
        Action::ReadOwnSubscriptions,
        "see your organisation's subscriptions and licenses",
        &[GA],
        &[C],
    ),
    rule(
        Action::SuspendSubscriptions,
        "suspend, reactivate or cancel any subscription",
        &[GA],
        &[O],
    ),
    rule(
        Action::ImportCustomers,
        "import customers that partners already serve",
        &[GA],
        &[O],
    ),
    rule(
        Action::ManageOrganizations,
        "create partner organisations and authorise providers",
        &[GA],
        &[O],
    ),
    rule(
        Action::ReadOrganizations,
        "read every organisation",
        &[GA, AA, HA],
        &[O],
    ),
    rule(Action::ManageCatalog, "keep the catalog", &[GA], &[O]),
    rule(
        Action::ManageOfferPrices,
        "schedule the catalog's list prices",
        &[GA],
        &[O],
    ),
    rule(
        Action::ReadPriceSheet,
        "read the prices you pay and charge",
        &[GA, BA, AA, SA],
        &[P, O, C],
    ),
    rule(
        Action::ReadRepricingConfigs,
        "read your price lists",
        &[GA, BA, AA, SA],
        &[P, O],
    ),
    rule(
        Action::ManageRepricingConfigs,
        "set the prices you charge your resellers and customers",
        &[GA, BA],
        &[P],
    ),
    rule(
        Action::ReadBilling,
        "read invoices, charges and payments",
        &[GA, BA],
        &[P, O, C],
    ),
    rule(
        Action::ManageInvoices,
        "issue and void invoices and record payments",
        &[GA, BA],
        &[P, O],
    ),
    rule(
        Action::RunBilling,
        "run the monthly billing",
        &[GA, BA],
        &[O],
    ),
    rule(Action::ReviewEnrollments, "review enrollments", &[GA], &[O]),
    rule(
        Action::ManageRegistry,
        "keep the membership registry",
        &[GA],
        &[O],
    ),
    rule(
        Action::ManageServiceIncidents,
        "post service-health incidents",
        &[GA, AA, HA],
        &[O],
    ),
    rule(
        Action::RetryMail,
        "retry mail that could not be delivered",
        &[GA],
        &[O],
    ),
    // Any operator API key, or a session of the operator's Global admin (the use
    // case checks the role of a session).
    rule(
        Action::DriveTestClock,
        "move the test clock and run the system jobs",
        &[],
        &[O],
    ),
];

/// One step of an explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// `organizationKind`, `program`, `session`, `role`, `delegation`.
    pub check: &'static str,
    pub satisfied: bool,
    pub detail: String,
}

/// Why the policy refuses an action: the error code a client sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The roles or the organisation kind do not allow it.
    Forbidden,
    RelationshipRequired,
    UserSessionRequired,
    ProviderNotAuthorized,
    RequiresAdminAgent,
    EnrollmentRequired,
    DelegatedAdminRequired,
    /// A session opened with a temporary password may only change it.
    PasswordChangeRequired,
}

impl Refusal {
    pub const ALL: &[Self] = &[
        Self::Forbidden,
        Self::RelationshipRequired,
        Self::UserSessionRequired,
        Self::ProviderNotAuthorized,
        Self::RequiresAdminAgent,
        Self::EnrollmentRequired,
        Self::DelegatedAdminRequired,
        Self::PasswordChangeRequired,
    ];

    /// The contract's error code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Forbidden => "forbidden",
            Self::RelationshipRequired => "relationship_required",
            Self::UserSessionRequired => "user_session_required",
            Self::ProviderNotAuthorized => "provider_not_authorized",
            Self::RequiresAdminAgent => "requires_admin_agent",
            Self::EnrollmentRequired => "enrollment_required",
            Self::DelegatedAdminRequired => "delegated_admin_required",
            Self::PasswordChangeRequired => "password_change_required",
        }
    }
}

/// The policy's answer with its reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub action: Action,
    pub allowed: bool,
    /// The error code of a refusal (`forbidden`, `enrollment_required`, …).
    pub code: Option<Refusal>,
    /// One sentence: why.
    pub reason: String,
    pub checks: Vec<Check>,
}

/// The policy's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow { reason: String },
    Deny { code: Refusal, reason: String },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allow { .. })
    }
}

pub fn rule_for(action: Action) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.action == action)
}

fn role_list(roles: &[Role]) -> String {
    let labels: Vec<&str> = roles.iter().map(|r| r.label()).collect();
    match labels.len() {
        0 => "no role".to_owned(),
        1 => labels[0].to_owned(),
        n => format!("{} or {}", labels[..n - 1].join(", "), labels[n - 1]),
    }
}

fn program_label(p: Program) -> &'static str {
    match p {
        Program::IndirectReseller => "an approved indirect reseller",
        Program::IndirectProvider => "an authorised indirect provider",
    }
}

/// Walks the rule for `action` and says, check by check, whether `actor` passes.
pub fn explain(actor: &Actor, action: Action) -> Explanation {
    explain_with(actor, action, Facts::default())
}

/// [`explain`] with the facts of the resource at hand.
pub fn explain_with(actor: &Actor, action: Action, facts: Facts) -> Explanation {
    let Some(rule) = rule_for(action) else {
        return Explanation {
            action,
            allowed: false,
            code: Some(Refusal::Forbidden),
            reason: "this action is not in the policy table".into(),
            checks: vec![],
        };
    };
    let mut checks = Vec::new();
    let mut refusal: Option<(Refusal, String)> = None;
    let refuse = |code: Refusal, reason: String, refusal: &mut Option<(Refusal, String)>| {
        if refusal.is_none() {
            *refusal = Some((code, reason));
        }
    };

    let kind_ok = rule.kinds.is_empty() || rule.kinds.contains(&actor.org_kind);
    checks.push(Check {
        check: "organizationKind",
        satisfied: kind_ok,
        detail: if rule.kinds.is_empty() {
            "any kind of organisation may".into()
        } else {
            format!(
                "organisations of kind {} may; yours is {}",
                rule.kinds
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(" or "),
                actor.org_kind.as_str()
            )
        },
    });
    if !kind_ok {
        refuse(
            Refusal::Forbidden,
            format!(
                "only organisations of kind {} can {}; yours is {}",
                rule.kinds
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(" or "),
                rule.describes,
                actor.org_kind.as_str()
            ),
            &mut refusal,
        );
    }

    if let Some(program) = rule.program {
        let ok = actor.org_kind == OrgKind::Operator || actor.programs.contains(&program);
        checks.push(Check {
            check: "program",
            satisfied: ok,
            detail: if ok {
                format!("your organisation is {}", program_label(program))
            } else {
                format!("your organisation must be {}", program_label(program))
            },
        });
        if !ok {
            let code = match program {
                Program::IndirectReseller => Refusal::EnrollmentRequired,
                Program::IndirectProvider => Refusal::ProviderNotAuthorized,
            };
            refuse(
                code,
                format!(
                    "to {} your organisation must be {}",
                    rule.describes,
                    program_label(program)
                ),
                &mut refusal,
            );
        }
    }

    if rule.user_session_only {
        checks.push(Check {
            check: "session",
            satisfied: actor.user_session,
            detail: if actor.user_session {
                "a person is signed in".into()
            } else {
                "a person must do this in a signed-in session; API keys cannot".into()
            },
        });
        if !actor.user_session {
            refuse(
                Refusal::UserSessionRequired,
                format!(
                    "a person must {} in a signed-in session; API keys cannot",
                    rule.describes
                ),
                &mut refusal,
            );
        }
    }

    let held: Vec<Role> = actor.roles.iter().collect();
    let granting = rule
        .roles
        .iter()
        .find(|r| actor.roles.contains(**r))
        .copied();
    let role_ok = rule.roles.is_empty() || granting.is_some();
    checks.push(Check {
        check: "role",
        satisfied: role_ok,
        detail: match (rule.roles.is_empty(), granting) {
            (true, _) => "every signed-in user may".into(),
            (false, Some(r)) => format!("your role {} may", r.label()),
            (false, None) => format!(
                "it needs the role {}; you have {}",
                role_list(rule.roles),
                role_list(&held)
            ),
        },
    });
    if !role_ok {
        refuse(
            Refusal::Forbidden,
            format!(
                "to {} you need the role {}; you have {}",
                rule.describes,
                role_list(rule.roles),
                role_list(&held)
            ),
            &mut refusal,
        );
    }

    if rule.on_behalf {
        let (satisfied, detail) = match facts.delegated_admin {
            Some(true) => (
                true,
                "your organisation holds active delegated admin for this customer".to_owned(),
            ),
            Some(false) => (
                false,
                "your organisation holds no active delegated admin for this customer".to_owned(),
            ),
            None => (
                true,
                "needs an active, unexpired delegated admin relationship with the customer; checked for each customer"
                    .to_owned(),
            ),
        };
        checks.push(Check {
            check: "delegation",
            satisfied,
            detail,
        });
        if !satisfied {
            refuse(
                Refusal::DelegatedAdminRequired,
                format!(
                    "to {} your organisation needs an active delegated admin relationship with this customer; \
                     ask the customer for one with a relationship request that includes delegated admin",
                    rule.describes
                ),
                &mut refusal,
            );
        }
    }

    match refusal {
        Some((code, reason)) => Explanation {
            action,
            allowed: false,
            code: Some(code),
            reason,
            checks,
        },
        None => Explanation {
            action,
            allowed: true,
            code: None,
            reason: match granting {
                Some(r) => format!("your role {} can {}", r.label(), rule.describes),
                None => format!("every signed-in user can {}", rule.describes),
            },
            checks,
        },
    }
}

/// Decides whether `actor` may perform `action`.
pub fn can(actor: &Actor, action: Action) -> Decision {
    can_with(actor, action, Facts::default())
}

/// [`can`] with the facts of the resource at hand.
pub fn can_with(actor: &Actor, action: Action, facts: Facts) -> Decision {
    let e = explain_with(actor, action, facts);
    match e.code {
        None => Decision::Allow { reason: e.reason },
        Some(code) => Decision::Deny {
            code,
            reason: e.reason,
        },
    }
}

/// What a role can and cannot do in an organisation of `kind`, from the table (the
/// add-user form shows this next to each role).
pub fn role_summary(role: Role, kind: OrgKind) -> (Vec<&'static str>, Vec<&'static str>) {
    let mut can = Vec::new();
    let mut cannot = Vec::new();
    for r in RULES
        .iter()
        .filter(|r| !r.roles.is_empty() && (r.kinds.is_empty() || r.kinds.contains(&kind)))
    {
        if r.roles.contains(&role) {
            can.push(r.describes);
        } else {
            cannot.push(r.describes);
        }
    }
    (can, cannot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acting_on_behalf_needs_delegated_admin_after_the_role() {
        let aa = partner(&[Role::AdminAgent], &[Program::IndirectReseller]);
        let sa = partner(&[Role::SalesAgent], &[Program::IndirectReseller]);
        let with = |d| Facts {
            delegated_admin: Some(d),
        };
        assert!(can_with(&aa, Action::AdministerCustomers, with(true)).is_allowed());
        let e = explain_with(&aa, Action::AdministerCustomers, with(false));
        assert_eq!(e.code, Some(Refusal::DelegatedAdminRequired));
        assert_eq!(e.checks.last().map(|c| c.check), Some("delegation"));
        // The role is reported first: a sales agent is refused for its role.
        assert_eq!(
            explain_with(&sa, Action::AdministerCustomers, with(false)).code,
            Some(Refusal::Forbidden)
        );
        // Without a customer at hand the explainer lists the requirement.
        let general = explain(&aa, Action::AdministerCustomers);
        assert!(general.allowed);
        assert!(general.checks.iter().any(|c| c.check == "delegation"));
    }

    fn partner(roles: &[Role], programs: &[Program]) -> Actor {
        Actor {
            org_kind: OrgKind::Partner,
            programs: programs.to_vec(),
            roles: Roles::new(roles.to_vec()),
            user_session: true,
        }
    }

    fn allowed(roles: &[Role], action: Action) -> bool {
        can(
            &partner(
                roles,
                &[Program::IndirectReseller, Program::IndirectProvider],
            ),
            action,
        )
        .is_allowed()
    }

    #[test]
    fn every_action_has_exactly_one_rule() {
        for a in Action::ALL {
            assert_eq!(RULES.iter().filter(|r| r.action == *a).count(), 1, "{a:?}");
            assert_eq!(Action::parse(a.as_str()), Some(*a));
        }
        assert_eq!(RULES.len(), Action::ALL.len());
    }

    /// PRODUCT.md §3, row by row: the can and cannot columns of the role table.
    #[test]
    fn the_role_table_of_the_product() {
        // Admin agent: service health, customer service requests, delegated admin,
        // administer on behalf; not partner users, not partner-center requests.
        for a in [
            Action::ReadServiceHealth,
            Action::CustomerServiceRequests,
            Action::RequestDelegatedAdmin,
            Action::AdministerCustomers,
            Action::ManageLicenses,
        ] {
            assert!(allowed(&[AA], a), "admin agent can {a:?}");
        }
        for a in [Action::ManageUsers, Action::PartnerServiceRequests] {
            assert!(!allowed(&[AA], a), "admin agent cannot {a:?}");
        }
        // Helpdesk agent: customers, service health, customer support, licenses;
        // not partner profiles, not customer relationships, not leads.
        for a in [
            Action::ReadCustomers,
            Action::ReadServiceHealth,
            Action::CustomerServiceRequests,
            Action::ManageLicenses,
            Action::ReadCommerce,
        ] {
            assert!(allowed(&[HA], a), "helpdesk agent can {a:?}");
        }
        for a in [
            Action::ViewPartnerProfiles,
            Action::RequestCustomerRelationship,
            Action::ManageLeads,
            Action::ManageUsers,
            Action::PartnerServiceRequests,
        ] {
            assert!(!allowed(&[HA], a), "helpdesk agent cannot {a:?}");
        }
        // Sales agent: customers, orders, leads; not administer on behalf.
        for a in [
            Action::RequestCustomerRelationship,
            Action::PlaceOrders,
            Action::ManageLeads,
            Action::ReadCustomers,
        ] {
            assert!(allowed(&[SA], a), "sales agent can {a:?}");
        }
        for a in [
            Action::AdministerCustomers,
            Action::ManageLicenses,
            Action::ManageUsers,
        ] {
            assert!(!allowed(&[SA], a), "sales agent cannot {a:?}");
        }
        // Global admin: the partner account, partner-center tickets, users,
        // accepting a provider; no commerce by itself.
        for a in [
            Action::PartnerServiceRequests,
            Action::ManageUsers,
            Action::ManageGlobalAdmins,
            Action::AcceptProviderInvitation,
            Action::ManageApiKeys,
            Action::EditPartnerProfiles,
        ] {
            assert!(allowed(&[GA], a), "global admin can {a:?}");
        }
        assert!(
            !allowed(&[GA], Action::PlaceOrders),
            "a global admin is not a commerce agent by itself"
        );
        // User management admin: users and partner profiles; not global admins.
        for a in [Action::ManageUsers, Action::ViewPartnerProfiles] {
            assert!(allowed(&[UMA], a), "user management admin can {a:?}");
        }
        assert!(!allowed(&[UMA], Action::ManageGlobalAdmins));
        // Billing admin: credit and billing; not customer administration.
        assert!(allowed(&[BA], Action::SetCreditLimit));
        for a in [
            Action::AdministerCustomers,
            Action::ReadCustomerUsers,
            Action::ManageLicenses,
        ] {
            assert!(!allowed(&[BA], a), "billing admin cannot {a:?}");
        }
    }

    #[test]
    fn refusals_explain_each_check() {
        let e = explain(&partner(&[HA], &[]), Action::RequestCustomerRelationship);
        assert!(!e.allowed);
        assert_eq!(
            e.code,
            Some(Refusal::EnrollmentRequired),
            "the programme is checked before the role"
        );
        assert_eq!(
            e.checks
                .iter()
                .map(|c| (c.check, c.satisfied))
                .collect::<Vec<_>>(),
            vec![
                ("organizationKind", true),
                ("program", false),
                ("role", false)
            ]
        );
        let d = can(&partner(&[HA], &[]), Action::ManageApiKeys);
        assert_eq!(
            d,
            Decision::Deny {
                code: Refusal::Forbidden,
                reason:
                    "to manage API keys you need the role Global admin; you have Helpdesk agent"
                        .into()
            }
        );
        let key = Actor {
            user_session: false,
            ..partner(&[GA], &[Program::IndirectReseller])
        };
        assert_eq!(
            explain(&key, Action::AcceptProviderInvitation).code,
            Some(Refusal::UserSessionRequired)
        );
    }

    #[test]
    fn role_summaries_come_from_the_table() {
        let (can, cannot) = role_summary(HA, OrgKind::Partner);
        assert!(can.contains(&"search and view customers"));
        assert!(cannot.contains(&"manage leads"));
    }
}
