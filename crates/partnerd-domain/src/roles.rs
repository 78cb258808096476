//! Organisation kinds, programmes and user roles (API.md §2).

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// What an organisation is to the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum OrgKind {
    Operator,
    None,
    Partner,
    Customer,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::None => "none",
            Self::Partner => "partner",
            Self::Customer => "customer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "operator" => Self::Operator,
            "none" => Self::None,
            "partner" => Self::Partner,
            "customer" => Self::Customer,
            _ => return None,
        })
    }
}

/// A partner programme an organisation belongs to.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum Program {
    IndirectReseller,
    IndirectProvider,
}

impl Program {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IndirectReseller => "indirectReseller",
            Self::IndirectProvider => "indirectProvider",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "indirectReseller" => Self::IndirectReseller,
            "indirectProvider" => Self::IndirectProvider,
            _ => return None,
        })
    }
}

/// A user role. A user holds at most one agent role and any admin roles.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    GlobalAdmin,
    UserManagementAdmin,
    BillingAdmin,
    AdminAgent,
    SalesAgent,
    HelpdeskAgent,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::GlobalAdmin,
        Role::UserManagementAdmin,
        Role::BillingAdmin,
        Role::AdminAgent,
        Role::SalesAgent,
        Role::HelpdeskAgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::GlobalAdmin => "globalAdmin",
            Self::UserManagementAdmin => "userManagementAdmin",
            Self::BillingAdmin => "billingAdmin",
            Self::AdminAgent => "adminAgent",
            Self::SalesAgent => "salesAgent",
            Self::HelpdeskAgent => "helpdeskAgent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The name people read in the portal.
    pub fn label(self) -> &'static str {
        match self {
            Self::GlobalAdmin => "Global admin",
            Self::UserManagementAdmin => "User management admin",
            Self::BillingAdmin => "Billing admin",
            Self::AdminAgent => "Admin agent",
            Self::SalesAgent => "Sales agent",
            Self::HelpdeskAgent => "Helpdesk agent",
        }
    }

    pub fn is_agent(self) -> bool {
        matches!(
            self,
            Self::AdminAgent | Self::SalesAgent | Self::HelpdeskAgent
        )
    }

    /// Agent roles exist only where there are customers to serve.
    pub fn allowed_in(self, kind: OrgKind) -> bool {
        !self.is_agent() || matches!(kind, OrgKind::Operator | OrgKind::Partner)
    }
}

/// A validated set of roles: no duplicates, at most one agent role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn new(mut roles: Vec<Role>) -> Self {
        roles.sort();
        roles.dedup();
        Self(roles)
    }

    /// Parses role names given by a client for an organisation of `kind`.
    pub fn parse(pointer: &str, names: &[String], kind: OrgKind) -> Result<Self, FieldError> {
        let mut roles = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let role = Role::parse(name).ok_or_else(|| {
                FieldError::invalid(format!("{pointer}/{i}"), format!("'{name}' is not a role"))
            })?;
            if !role.allowed_in(kind) {
                return Err(FieldError::invalid(
                    format!("{pointer}/{i}"),
                    format!(
                        "{} is not available in an organisation of kind {}",
                        role.label(),
                        kind.as_str()
                    ),
                ));
            }
            roles.push(role);
        }
        let roles = Self::new(roles);
        if roles.0.iter().filter(|r| r.is_agent()).count() > 1 {
            return Err(FieldError::invalid(
                pointer,
                "a user can hold at most one agent role",
            ));
        }
        Ok(roles)
    }

    /// Reads the stored form (comma separated). A name this release does not know is
    /// an error: a role is never dropped in silence.
    pub fn from_stored(s: &str) -> Result<Self, crate::states::UnknownValue> {
        s.split(',')
            .filter(|r| !r.is_empty())
            .map(|r| {
                Role::parse(r).ok_or_else(|| crate::states::UnknownValue {
                    kind: "role",
                    value: r.to_owned(),
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self::new)
    }

    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|r| r.as_str().to_owned()).collect()
    }

    pub fn is_subset_of(&self, other: &Roles) -> bool {
        self.0.iter().all(|r| other.contains(*r))
    }
}

/// Reads the stored programme list (comma separated), sorted and without repeats.
/// A name this release does not know is an error, never dropped in silence.
pub fn programs_from_stored(s: &str) -> Result<Vec<Program>, crate::states::UnknownValue> {
    let mut v = s
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            Program::parse(p).ok_or_else(|| crate::states::UnknownValue {
                kind: "programme",
                value: p.to_owned(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    v.sort();
    v.dedup();
    Ok(v)
}

pub fn programs_to_stored(p: &[Program]) -> String {
    p.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn stored_roles_round_trip_and_an_unknown_name_is_an_error() {
        let roles = Roles::new(vec![Role::GlobalAdmin, Role::AdminAgent]);
        assert_eq!(Roles::from_stored(&roles.to_stored()), Ok(roles));
        assert_eq!(Roles::from_stored(""), Ok(Roles::new(vec![])));
        let unknown = Roles::from_stored("globalAdmin,superUser");
        assert_eq!(
            unknown.map_err(|e| e.to_string()),
            Err("unknown role 'superUser'".to_owned())
        );
    }

    #[test]
    fn at_most_one_agent_role() {
        assert!(
            Roles::parse(
                "/roles",
                &names(&["adminAgent", "salesAgent"]),
                OrgKind::Partner
            )
            .is_err()
        );
        let r = Roles::parse(
            "/roles",
            &names(&["globalAdmin", "adminAgent", "billingAdmin"]),
            OrgKind::Partner,
        );
        assert_eq!(
            r.map(|r| r.to_stored()).ok(),
            Some("globalAdmin,billingAdmin,adminAgent".to_owned())
        );
    }

    #[test]
    fn agents_only_where_customers_are_served() {
        assert!(Roles::parse("/roles", &names(&["helpdeskAgent"]), OrgKind::Customer).is_err());
        assert!(Roles::parse("/roles", &names(&["billingAdmin"]), OrgKind::Customer).is_ok());
        assert!(Roles::parse("/roles", &names(&["wizard"]), OrgKind::Partner).is_err());
    }
}
