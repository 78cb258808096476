//! The one access policy: a table of what each action needs, and `can`, which every
//! use case asks before it does anything. Deny by default; every answer has a reason
//! a person can read.

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

/// Something a caller may want to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read the own organisation, own profile, the catalog of things anyone may read.
    ReadOwnOrganization,
    /// Create, list and revoke API keys.
    ManageApiKeys,
    /// Read the audit records the organisation takes part in.
    ReadAuditRecords,
}

/// One row of the policy table.
pub struct Rule {
    pub action: Action,
    /// What the action is, in words (used in reasons).
    pub describes: &'static str,
    /// Any one of these roles suffices; empty = any signed-in caller.
    pub roles: &'static [Role],
    /// Organisation kinds allowed; empty = all.
    pub kinds: &'static [OrgKind],
    /// A person must do it, not an application.
    pub user_session_only: bool,
}

/// The table. One row per action; a test proves every action has exactly one.
pub const RULES: &[Rule] = &[
    Rule {
        action: Action::ReadOwnOrganization,
        describes: "read your own organisation",
        roles: &[],
        kinds: &[],
        user_session_only: false,
    },
    Rule {
        action: Action::ManageApiKeys,
        describes: "manage API keys",
        roles: &[Role::GlobalAdmin],
        kinds: &[],
        user_session_only: false,
    },
    Rule {
        action: Action::ReadAuditRecords,
        describes: "read the activity log",
        roles: &[Role::GlobalAdmin, Role::AdminAgent],
        kinds: &[],
        user_session_only: false,
    },
];

/// The policy's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow { reason: String },
    Deny { code: &'static str, reason: String },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allow { .. })
    }
}

pub fn rule(action: Action) -> Option<&'static Rule> {
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

/// Decides whether `actor` may perform `action`.
pub fn can(actor: &Actor, action: Action) -> Decision {
    let Some(rule) = rule(action) else {
        return Decision::Deny {
            code: "forbidden",
            reason: "this action is not in the policy table".into(),
        };
    };
    if !rule.kinds.is_empty() && !rule.kinds.contains(&actor.org_kind) {
        return Decision::Deny {
            code: "forbidden",
            reason: format!(
                "only organisations of kind {} can {}; yours is {}",
                rule.kinds
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(" or "),
                rule.describes,
                actor.org_kind.as_str()
            ),
        };
    }
    if rule.user_session_only && !actor.user_session {
        return Decision::Deny {
            code: "user_session_required",
            reason: format!(
                "a person must {} in a signed-in session; API keys cannot",
                rule.describes
            ),
        };
    }
    if rule.roles.is_empty() {
        return Decision::Allow {
            reason: format!("every signed-in user can {}", rule.describes),
        };
    }
    match rule.roles.iter().find(|r| actor.roles.contains(**r)) {
        Some(role) => Decision::Allow {
            reason: format!("your role {} can {}", role.label(), rule.describes),
        },
        None => Decision::Deny {
            code: "forbidden",
            reason: format!(
                "to {} you need the role {}; you have {}",
                rule.describes,
                role_list(rule.roles),
                role_list(&actor.roles.iter().collect::<Vec<_>>())
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &[Role]) -> Actor {
        Actor {
            org_kind: OrgKind::Partner,
            programs: vec![],
            roles: Roles::new(roles.to_vec()),
            user_session: true,
        }
    }

    #[test]
    fn every_action_has_one_rule() {
        for a in [
            Action::ReadOwnOrganization,
            Action::ManageApiKeys,
            Action::ReadAuditRecords,
        ] {
            assert_eq!(RULES.iter().filter(|r| r.action == a).count(), 1, "{a:?}");
        }
    }

    #[test]
    fn api_keys_need_a_global_admin() {
        assert!(can(&actor(&[Role::GlobalAdmin]), Action::ManageApiKeys).is_allowed());
        let d = can(&actor(&[Role::HelpdeskAgent]), Action::ManageApiKeys);
        assert_eq!(
            d,
            Decision::Deny {
                code: "forbidden",
                reason:
                    "to manage API keys you need the role Global admin; you have Helpdesk agent"
                        .into()
            }
        );
    }
}
