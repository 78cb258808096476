//! Enrollment of indirect resellers (API.md §5): tenant sign-up, linking the
//! membership ID, the legal and support profiles, verifying the primary contact,
//! submission, the operator's review, and the shortcut for existing partners.

use crate::error::{Conflict, Refusal};
use crate::filters::status_in;
use partnerd_domain::ids::{EnrollmentId, OrgId, SessionId, UserId};
use partnerd_domain::names::{country, long_text, name, short_text, website};
use partnerd_domain::password::{self, Context};
use partnerd_domain::policy::Action;
use partnerd_domain::roles::{OrgKind, Program, Role, programs_to_stored};
use partnerd_domain::states::EnrollmentStatus;
use partnerd_domain::time::Timestamp;
use partnerd_domain::webmail::webmail_entry;
use partnerd_domain::{Collect, EmailAddress, FieldError, Roles};
use partnerd_store::enrollments::{self, EnrollmentQuery, EnrollmentRow};
use partnerd_store::{Conn, organizations, registry, sessions, users};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Actor, Entry};
use crate::auth::SESSION_PREFIX;
use crate::crypto::{etag, new_token, token_hash};
use crate::error::check_if_match;
use crate::mail::{self, OutgoingMail};
use crate::paging::{self, Page, PageParams};
use crate::tenancy::{NewPerson, NewTenant};
use crate::views::{Organization, User};
use crate::{App, AppError, AppResult, Credential, Ctx, Principal};

const MEMBERSHIP_SESSION_MS: i64 = 10 * Timestamp::MINUTE;
const VERIFICATION_MS: i64 = 72 * Timestamp::HOUR;

/// A postal address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
}

/// The person the vendor writes to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PrimaryContact {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: Option<String>,
}

/// The legal business profile.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LegalProfile {
    pub legal_name: String,
    pub address: Address,
    pub phone: String,
    pub website: Option<String>,
    pub primary_contact: PrimaryContact,
}

/// How customers reach the partner's support.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SupportProfile {
    pub email: String,
    pub phone: String,
    pub website: Option<String>,
    pub hours: Option<String>,
}

/// The membership an enrollment links.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentMembership {
    pub membership_id: String,
    pub legal_name: String,
    pub country: String,
}

/// The operator's decision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub decided_at: String,
    pub decided_by: String,
    pub reason: Option<String>,
}

/// One step of an enrollment's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub status: EnrollmentStatus,
    pub at: String,
    pub by: String,
}

/// An enrollment as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Enrollment {
    #[schema(value_type = String)]
    pub id: EnrollmentId,
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    /// `draft`, `pendingVerification`, `pendingReview`, `approved`, `rejected`, `withdrawn`.
    pub status: EnrollmentStatus,
    pub existing_partner: bool,
    pub membership: Option<EnrollmentMembership>,
    pub legal_profile: Option<LegalProfile>,
    pub support_profile: Option<SupportProfile>,
    pub primary_contact_verified: bool,
    pub submitted_at: Option<String>,
    pub decision: Option<Decision>,
    pub history: Vec<HistoryEntry>,
    pub created_at: String,
    pub etag: String,
}

/// `POST /v1/tenants`.
#[derive(Debug, Clone)]
pub struct TenantInput {
    pub company_name: String,
    pub domain_prefix: String,
    pub country: String,
    pub admin_email: String,
    pub admin_first_name: String,
    pub admin_last_name: String,
    pub admin_password: String,
}

/// A new session, inside other answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionToken {
    pub token: String,
    pub expires_at: String,
}

/// A new tenant, its global admin and their session.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantCreated {
    pub organization: Organization,
    pub user: User,
    pub session: SessionToken,
}

/// `POST /v1/enrollments`.
#[derive(Debug, Clone, Default)]
pub struct StartEnrollmentInput {
    pub existing_partner: bool,
    pub new_tenant: Option<TenantInput>,
}

/// An enrollment started, with a session when the tenant was created with it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartedEnrollment {
    #[serde(flatten)]
    pub enrollment: Enrollment,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionToken>,
}

/// A membership the signed-in registry account may link.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembershipProfile {
    pub membership_id: String,
    pub legal_name: String,
    pub country: String,
    pub linkable: bool,
    /// `countryMismatch` or `alreadyLinked` when not linkable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The answer to a membership-registry sign-in.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembershipSignIn {
    pub membership_session_token: String,
    pub expires_at: String,
    pub profiles: Vec<MembershipProfile>,
}

/// `POST …/primarycontact/verification`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerificationSent {
    pub sent_to: String,
    pub expires_at: String,
}

/// `POST /v1/emailverifications/confirm`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailConfirmed {
    pub email: String,
    pub verified_at: String,
    #[schema(value_type = String)]
    pub enrollment_id: EnrollmentId,
}

/// Filters of the review queue.
#[derive(Debug, Clone, Default)]
pub struct EnrollmentFilters {
    pub status: Option<String>,
    pub country: Option<String>,
    pub q: Option<String>,
}

fn invalid_state(status: EnrollmentStatus, what: &str) -> AppError {
    AppError::conflict(
        Conflict::InvalidState,
        format!("the enrollment is {status}; {what}"),
    )
}

impl App {
    fn enrollment_view(
        &self,
        e: &EnrollmentRow,
        membership: Option<&registry::MembershipRow>,
    ) -> Enrollment {
        Enrollment {
            id: e.id.clone(),
            organization_id: e.organization_id.clone(),
            status: e.status,
            existing_partner: e.existing_partner,
            membership: membership.map(|m| EnrollmentMembership {
                membership_id: m.membership_id.clone(),
                legal_name: m.legal_name.clone(),
                country: m.country.clone(),
            }),
            legal_profile: e
                .legal_profile
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            support_profile: e
                .support_profile
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            primary_contact_verified: e.primary_contact_verified,
            submitted_at: e.submitted_at.map(|t| Timestamp(t).to_rfc3339()),
            decision: e
                .decision
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            history: serde_json::from_str(&e.history).unwrap_or_default(),
            created_at: Timestamp(e.created_at).to_rfc3339(),
            etag: etag(&e.id, e.version),
        }
    }

    async fn view_of(&self, conn: &mut Conn, e: &EnrollmentRow) -> AppResult<Enrollment> {
        let m = match &e.membership_id {
            Some(id) => registry::get_membership(conn, id).await?,
            None => None,
        };
        Ok(self.enrollment_view(e, m.as_ref()))
    }

    /// Moves the enrollment to `status` (refused when the domain does not allow the
    /// move) and records the step in its history.
    fn push_history(
        &self,
        e: &mut EnrollmentRow,
        status: EnrollmentStatus,
        by: &str,
    ) -> AppResult<()> {
        e.status = e.status.move_to(status)?;
        self.record_history(e, by);
        Ok(())
    }

    /// Adds the enrollment's current status to its history.
    fn record_history(&self, e: &mut EnrollmentRow, by: &str) {
        let mut h: Vec<HistoryEntry> = serde_json::from_str(&e.history).unwrap_or_default();
        h.push(HistoryEntry {
            status: e.status,
            at: self.now().to_rfc3339(),
            by: by.into(),
        });
        e.history = serde_json::to_string(&h).unwrap_or_else(|_| "[]".into());
        e.updated_at = self.now().millis();
    }

    fn actor_id(p: &Principal) -> String {
        p.key()
    }

    /// Loads an enrollment the caller may see: its own organisation's (GA), or any
    /// for the operator's reviewers.
    async fn visible_enrollment(
        &self,
        conn: &mut Conn,
        p: &Principal,
        id: &EnrollmentId,
    ) -> AppResult<EnrollmentRow> {
        let e = enrollments::get(conn, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        if e.organization_id != p.organization.id && !p.may(Action::ReviewEnrollments) {
            return Err(AppError::not_found());
        }
        Ok(e)
    }

    /// An enrollment of the caller's organisation that its GA may change.
    async fn own_enrollment_for_change(
        &self,
        conn: &mut Conn,
        p: &Principal,
        id: &EnrollmentId,
    ) -> AppResult<EnrollmentRow> {
        let e = enrollments::get(conn, id)
            .await?
            .filter(|e| e.organization_id == p.organization.id)
            .ok_or_else(AppError::not_found)?;
        p.require(Action::ManageEnrollment)?;
        Ok(e)
    }

    /// Validates a tenant sign-up.
    async fn tenant_rows(
        &self,
        input: &TenantInput,
    ) -> AppResult<(
        partnerd_store::organizations::OrganizationRow,
        partnerd_store::users::UserRow,
    )> {
        let mut errors = Vec::new();
        let mut ok = |r: Result<String, FieldError>| r.map_err(|e| errors.push(e)).ok();
        let company = ok(name("/companyName", &input.company_name));
        let prefix = ok(partnerd_domain::names::domain_prefix(
            "/domainPrefix",
            &input.domain_prefix,
        ));
        let ctry = ok(country("/country", &input.country));
        let first = ok(name("/admin/firstName", &input.admin_first_name));
        let last = ok(name("/admin/lastName", &input.admin_last_name));
        let email = EmailAddress::parse("/admin/email", &input.admin_email)
            .map_err(|e| errors.push(e))
            .ok();
        let (Some(company), Some(prefix), Some(ctry), Some(first), Some(last), Some(email)) =
            (company, prefix, ctry, first, last, email)
        else {
            return Err(AppError::validation(errors));
        };
        password::check(
            &input.admin_password,
            Context {
                email_local_part: Some(email.local_part()),
                domain_prefix: Some(&prefix),
            },
        )
        .map_err(|e| {
            AppError::field(FieldError::new(
                "/admin/password",
                "weak_password",
                format!("the password {e}"),
            ))
        })?;
        let hash = self.hasher().hash(&input.admin_password).await?;
        let org = self.organization_row(NewTenant {
            kind: OrgKind::None,
            name: company,
            legal_name: None,
            country: ctry,
            domain_prefix: prefix,
        });
        let user = self.user_row(
            &org.id,
            NewPerson {
                email,
                first_name: first,
                last_name: last,
                roles: Roles::new(vec![Role::GlobalAdmin]),
                password_hash: hash,
                must_change_password: false,
            },
        );
        Ok((org, user))
    }

    async fn open_session(&self, conn: &mut Conn, user_id: &UserId) -> AppResult<SessionToken> {
        let now = self.now();
        let token = new_token(SESSION_PREFIX);
        let expires = now.plus_millis(self.config().session_ttl_ms);
        sessions::insert(
            conn,
            &sessions::NewSession {
                id: SessionId::generate(),
                token_hash: token_hash(&token),
                user_id: user_id.to_owned(),
                restricted: false,
                created_at: now.millis(),
                expires_at: expires.millis(),
            },
        )
        .await?;
        Ok(SessionToken {
            token,
            expires_at: expires.to_rfc3339(),
        })
    }

    /// `POST /v1/tenants`: self sign-up of an organisation and its global admin.
    pub async fn create_tenant(
        &self,
        ctx: &Ctx,
        input: AppResult<TenantInput>,
    ) -> AppResult<TenantCreated> {
        self.limit_public(ctx)?;
        let input = input?;
        self.limit_target(&format!(
            "email:{}",
            input.admin_email.trim().to_lowercase()
        ))?;
        let (org, user) = self.tenant_rows(&input).await?;
        let mut tx = self.db().begin().await?;
        self.insert_tenant(&mut tx, &org, &user).await?;
        let session = self.open_session(&mut tx, &user.id).await?;
        let actor = Actor::Anonymous {
            email: user.email.clone(),
            user_id: Some(user.id.clone()),
            organization_id: Some(org.id.clone()),
        };
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(actor, "organization", Some(org.id.clone()), "createTenant"),
            vec![],
        )
        .await?;
        Ok(TenantCreated {
            organization: Organization::from(&org),
            user: User::from(&user),
            session,
        })
    }

    /// `POST /v1/enrollments`, signed in or (with `newTenant`) not.
    pub async fn start_enrollment(
        &self,
        p: Option<&Principal>,
        ctx: &Ctx,
        input: AppResult<StartEnrollmentInput>,
    ) -> AppResult<StartedEnrollment> {
        let (org_id, org_kind, org_country, programs, by, new_tenant) = match p {
            Some(p) => {
                p.require(Action::ManageEnrollment)?;
                let input = input?;
                if input.new_tenant.is_some() {
                    return Err(FieldError::invalid(
                        "/newTenant",
                        "you already have a tenant; sign out to create another",
                    )
                    .into());
                }
                if input.existing_partner && p.organization.kind != OrgKind::Partner {
                    return Err(AppError::conflict(
                        Conflict::WrongOrganizationKind,
                        "only an organisation that is already a partner can use the existing-partner shortcut",
                    ));
                }
                if p.organization.programs.contains(&Program::IndirectReseller) {
                    return Err(AppError::conflict(
                        Conflict::Concurrent,
                        "your organisation is an indirect reseller already",
                    ));
                }
                let by = Self::actor_id(p);
                (
                    p.organization.id.clone(),
                    p.organization.kind,
                    p.organization.country.clone(),
                    p.organization.programs.clone(),
                    by,
                    (input.existing_partner, None),
                )
            }
            None => {
                self.limit_public(ctx)?;
                let input = input?;
                let Some(t) = input.new_tenant else {
                    return Err(AppError::unauthenticated());
                };
                if input.existing_partner {
                    return Err(AppError::conflict(
                        Conflict::WrongOrganizationKind,
                        "a new tenant is not a partner yet",
                    ));
                }
                self.limit_target(&format!("email:{}", t.admin_email.trim().to_lowercase()))?;
                let (org, user) = self.tenant_rows(&t).await?;
                (
                    org.id.clone(),
                    OrgKind::None,
                    org.country.clone(),
                    vec![],
                    user.id.to_string(),
                    (false, Some((org, user))),
                )
            }
        };
        let _ = (org_kind, programs);
        let now = self.now().millis();
        let mut row = EnrollmentRow {
            id: EnrollmentId::generate(),
            organization_id: org_id.clone(),
            status: EnrollmentStatus::Draft,
            existing_partner: new_tenant.0,
            membership_id: None,
            legal_profile: None,
            support_profile: None,
            primary_contact_email: None,
            primary_contact_verified: false,
            country: org_country,
            legal_name_sort: None,
            submitted_at: None,
            decision: None,
            history: "[]".into(),
            created_by: by.clone(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.record_history(&mut row, &by);
        let mut tx = self.db().begin().await?;
        let mut session = None;
        if let Some((org, user)) = &new_tenant.1 {
            self.insert_tenant(&mut tx, org, user).await?;
            session = Some(self.open_session(&mut tx, &user.id).await?);
            let actor = Actor::Anonymous {
                email: user.email.clone(),
                user_id: Some(user.id.clone()),
                organization_id: Some(org.id.clone()),
            };
            audit::write(
                &mut tx,
                ctx,
                self.now(),
                Entry::new(actor, "organization", Some(org.id.clone()), "createTenant"),
            )
            .await?;
        }
        match enrollments::insert(&mut tx, &row).await {
            Err(e) if e.is_unique("enrollments_organization_id_key") => {
                return Err(AppError::conflict(
                    Conflict::Concurrent,
                    "your organisation already has an open or approved enrollment",
                ));
            }
            other => other?,
        }
        organizations::set_enrollment_status(&mut tx, &org_id, EnrollmentStatus::Draft, now)
            .await?;
        let entry = match p {
            Some(p) => Entry::new(
                Actor::Principal(p),
                "enrollment",
                Some(row.id.clone()),
                "startEnrollment",
            ),
            None => Entry::new(
                Actor::Anonymous {
                    email: String::new(),
                    user_id: Some(UserId::from_raw(by.clone())),
                    organization_id: Some(org_id.clone()),
                },
                "enrollment",
                Some(row.id.clone()),
                "startEnrollment",
            ),
        };
        self.commit_change(tx, ctx, self.now(), entry.participant(&org_id), vec![])
            .await?;
        Ok(StartedEnrollment {
            enrollment: self.enrollment_view(&row, None),
            session,
        })
    }

    /// `GET /v1/enrollments/current`: global and user-management admins.
    pub async fn current_enrollment(&self, p: &Principal) -> AppResult<Enrollment> {
        if !p.may(Action::ManageEnrollment) {
            p.require(Action::ManageUsers)?;
        }
        let mut conn = self.db().conn().await?;
        let e = enrollments::latest_for(&mut conn, &p.organization.id)
            .await?
            .ok_or_else(AppError::not_found)?;
        self.view_of(&mut conn, &e).await
    }

    /// `GET /v1/enrollments/{id}`.
    pub async fn get_enrollment(&self, p: &Principal, id: &EnrollmentId) -> AppResult<Enrollment> {
        let mut conn = self.db().conn().await?;
        let e = self.visible_enrollment(&mut conn, p, id).await?;
        if e.organization_id == p.organization.id {
            if !p.may(Action::ManageEnrollment) {
                p.require(Action::ManageUsers)?;
            }
        } else {
            p.require(Action::ReviewEnrollments)?;
        }
        self.view_of(&mut conn, &e).await
    }

    /// `POST /v1/enrollments/{id}/membership/signin`.
    pub async fn membership_sign_in(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
        input: AppResult<(String, String)>,
    ) -> AppResult<MembershipSignIn> {
        let e = {
            let mut conn = self.db().conn().await?;
            self.own_enrollment_for_change(&mut conn, p, id).await?
        };
        let (username, pw) = input?;
        let (username, pw) = (username.as_str(), pw.as_str());
        if !e.status.is_editable() {
            return Err(invalid_state(
                e.status,
                "its membership can no longer change",
            ));
        }
        if username.trim().is_empty() || pw.is_empty() {
            let mut errors = Vec::new();
            if username.trim().is_empty() {
                errors.push(FieldError::invalid("/username", "is required"));
            }
            if pw.is_empty() {
                errors.push(FieldError::invalid("/password", "is required"));
            }
            return Err(AppError::validation(errors));
        }
        self.limit_target(&format!("registry:{}", username.trim().to_lowercase()))?;
        let account = {
            let mut conn = self.db().conn().await?;
            registry::find_account(&mut conn, &username.trim().to_lowercase()).await?
        };
        if !self
            .hasher()
            .verify(pw, account.as_ref().map(|a| a.password_hash.as_str()))
            .await?
        {
            return Err(AppError::invalid_credentials()
                .with_detail("the membership registry username or password is wrong"));
        }
        let Some(account) = account else {
            return Err(AppError::invalid_credentials());
        };
        let ids: Vec<String> = account
            .membership_ids
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let token = new_token("");
        let expires = self.now().plus_millis(MEMBERSHIP_SESSION_MS);
        let mut tx = self.db().begin().await?;
        let mut profiles = Vec::new();
        for m in registry::memberships_in(&mut tx, &ids).await? {
            let linked_elsewhere = m
                .linked_organization_id
                .as_ref()
                .is_some_and(|o| *o != e.organization_id);
            let reason = if m.country != e.country {
                Some("countryMismatch")
            } else if linked_elsewhere
                || self
                    .membership_in_other_enrollment(&mut tx, &m.membership_id, &e.id)
                    .await?
            {
                Some("alreadyLinked")
            } else {
                None
            };
            profiles.push(MembershipProfile {
                membership_id: m.membership_id,
                legal_name: m.legal_name,
                country: m.country,
                linkable: reason.is_none(),
                reason: reason.map(str::to_owned),
            });
        }
        enrollments::insert_membership_session(
            &mut tx,
            &token_hash(&token),
            &e.id,
            &account.id,
            &ids.join(","),
            expires.millis(),
        )
        .await?;
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "enrollment",
                Some(e.id.clone()),
                "membershipSignIn",
            ),
            vec![],
        )
        .await?;
        Ok(MembershipSignIn {
            membership_session_token: token,
            expires_at: expires.to_rfc3339(),
            profiles,
        })
    }

    async fn membership_in_other_enrollment(
        &self,
        conn: &mut Conn,
        // Text, not an id type: the vendor registry's own id, not one partnerd mints.
        membership_id: &str,
        enrollment_id: &EnrollmentId,
    ) -> AppResult<bool> {
        let q = EnrollmentQuery::default();
        let _ = q;
        let other: Option<EnrollmentId> =
            partnerd_store::enrollments::open_enrollment_with_membership(conn, membership_id)
                .await?;
        Ok(other.is_some_and(|o| o != *enrollment_id))
    }

    /// `PUT /v1/enrollments/{id}/membership`.
    pub async fn link_membership(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
        input: AppResult<(String, String)>,
    ) -> AppResult<Enrollment> {
        let mut tx = self.db().begin().await?;
        let mut e = self.own_enrollment_for_change(&mut tx, p, id).await?;
        let (token, membership_id) = input?;
        let (token, membership_id) = (token.as_str(), membership_id.as_str());
        if !e.status.is_editable() {
            return Err(invalid_state(
                e.status,
                "its membership can no longer change",
            ));
        }
        let Some((session_enrollment, ids, expires_at)) =
            enrollments::membership_session(&mut tx, &token_hash(token)).await?
        else {
            return Err(AppError::token_invalid(
                "sign in to the membership registry again",
            ));
        };
        if session_enrollment != e.id {
            return Err(AppError::token_invalid(
                "this registry sign-in belongs to another enrollment",
            ));
        }
        if expires_at <= self.now().millis() {
            return Err(AppError::gone(
                "the registry sign-in is older than 10 minutes; sign in again",
            ));
        }
        if !ids.split(',').any(|m| m == membership_id) {
            return Err(AppError::forbidden(
                Refusal::Forbidden,
                "that membership does not belong to the registry account you signed in with",
            ));
        }
        let m = registry::get_membership(&mut tx, membership_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        if m.country != e.country {
            return Err(AppError::field(FieldError::new(
                "/membershipId",
                "country_mismatch",
                format!(
                    "the membership is registered in {}, your tenant in {}; choose a profile in {}, or cancel and sign in with another registry account",
                    m.country, e.country, e.country
                ),
            )));
        }
        if m.linked_organization_id
            .as_ref()
            .is_some_and(|o| *o != e.organization_id)
            || self
                .membership_in_other_enrollment(&mut tx, membership_id, &e.id)
                .await?
        {
            return Err(AppError::conflict(
                Conflict::MembershipAlreadyLinked,
                "this membership ID is linked to another organisation or used in another enrollment",
            ));
        }
        e.membership_id = Some(m.membership_id.clone());
        e.updated_at = self.now().millis();
        match enrollments::update(&mut tx, &e).await {
            Err(err) if err.is_unique("enrollments_membership_id_key") => {
                return Err(AppError::conflict(
                    Conflict::MembershipAlreadyLinked,
                    "this membership ID is used in another enrollment",
                ));
            }
            other => crate::error::written(other?)?,
        }
        e.version += 1;
        let view = self.enrollment_view(&e, Some(&m));
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "enrollment",
                Some(e.id.clone()),
                "linkMembership",
            )
            .after(&view.membership),
            vec![],
        )
        .await?;
        Ok(view)
    }

    pub(crate) fn validate_legal(
        &self,
        l: LegalProfile,
        tenant_country: &str,
    ) -> AppResult<LegalProfile> {
        let mut c = Collect::default();
        let legal_name = c.take(name("/legalName", &l.legal_name));
        let line1 = c.take(name("/address/line1", &l.address.line1));
        let city = c.take(name("/address/city", &l.address.city));
        let postal = c.take(short_text(
            "/address/postalCode",
            &l.address.postal_code,
            20,
        ));
        let addr_country = c.take(country("/address/country", &l.address.country));
        let phone = c.take(short_text("/phone", &l.phone, 40));
        let first = c.take(name(
            "/primaryContact/firstName",
            &l.primary_contact.first_name,
        ));
        let last = c.take(name(
            "/primaryContact/lastName",
            &l.primary_contact.last_name,
        ));
        let line2 = c
            .opt(l.address.line2.as_deref(), |v| {
                long_text("/address/line2", v, 200)
            })
            .flatten();
        let region = c
            .opt(l.address.region.as_deref(), |v| {
                long_text("/address/region", v, 200)
            })
            .flatten();
        let web = c.opt(l.website.as_deref(), |w| website("/website", w));
        let contact_phone = c.opt(l.primary_contact.phone.as_deref(), |v| {
            short_text("/primaryContact/phone", v, 40)
        });
        let errors = &mut c.0;
        let email = match EmailAddress::parse("/primaryContact/email", &l.primary_contact.email) {
            Ok(email) => {
                let domain = email.domain().to_lowercase();
                if let Some(entry) = webmail_entry(&domain, &self.config().webmail_domains) {
                    errors.push(FieldError::new(
                        "/primaryContact/email",
                        "webmail_not_allowed",
                        format!("primaryContact.email uses the webmail domain {domain} ({entry}); use an address of your organisation"),
                    ));
                    None
                } else if domain == self.config().platform_domain
                    || domain.ends_with(&format!(".{}", self.config().platform_domain))
                {
                    errors.push(FieldError::new(
                        "/primaryContact/email",
                        "webmail_not_allowed",
                        "the platform's own domain is not an address of your organisation",
                    ));
                    None
                } else {
                    Some(email)
                }
            }
            Err(e) => {
                errors.push(e);
                None
            }
        };
        if let Some(c) = &addr_country
            && c != tenant_country
        {
            errors.push(FieldError::new(
                    "/address/country",
                    "country_mismatch",
                    format!("the address is in {c}, your tenant in {tenant_country}; the legal address must be in your tenant's country"),
                ));
        }
        let (
            Some(legal_name),
            Some(line1),
            Some(city),
            Some(postal),
            Some(addr_country),
            Some(phone),
            Some(first),
            Some(last),
            Some(email),
            true,
        ) = (
            legal_name,
            line1,
            city,
            postal,
            addr_country,
            phone,
            first,
            last,
            email,
            errors.is_empty(),
        )
        else {
            return Err(AppError::validation(std::mem::take(errors)));
        };
        Ok(LegalProfile {
            legal_name,
            address: Address {
                line1,
                line2,
                city,
                region,
                postal_code: postal,
                country: addr_country,
            },
            phone,
            website: web,
            primary_contact: PrimaryContact {
                first_name: first,
                last_name: last,
                email: email.as_str().to_owned(),
                phone: contact_phone,
            },
        })
    }

    fn verification_mail(&self, to: &str, token: &str, org_name: &str) -> OutgoingMail {
        let link = format!("{}/verify-email?token={token}", self.config().public_url);
        OutgoingMail {
            to: vec![to.to_owned()],
            subject: "Confirm your e-mail address for your partner enrollment".into(),
            text: format!(
                "Hello,\n\nYou were named the primary contact for {org_name}'s enrollment as an indirect reseller.\n\
                 Please confirm that you signed up and that this address belongs to your organisation:\n\n{link}\n\n\
                 The link works once and expires in 72 hours. If you did not sign up, ignore this message.\n"
            ),
            html: None,
            template: "email_verification".into(),
            link: Some(link),
        }
    }

    pub(crate) async fn queue_verification(
        &self,
        conn: &mut Conn,
        e: &EnrollmentRow,
        email: &str,
    ) -> AppResult<Timestamp> {
        let token = new_token("");
        let now = self.now();
        let expires = now.plus_millis(VERIFICATION_MS);
        enrollments::insert_verification(
            conn,
            &token_hash(&token),
            &e.id,
            email,
            now.millis(),
            expires.millis(),
        )
        .await?;
        let org = organizations::get(conn, &e.organization_id)
            .await?
            .ok_or_else(|| {
                AppError::internal("organizations::get found no row where one must exist")
            })?;
        mail::enqueue(conn, &self.verification_mail(email, &token, &org.name), now).await?;
        Ok(expires)
    }

    /// `PUT /v1/enrollments/{id}/legalprofile`.
    pub async fn put_legal_profile(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
        if_match: Option<&str>,
        input: AppResult<LegalProfile>,
    ) -> AppResult<Enrollment> {
        let mut tx = self.db().begin().await?;
        let mut e = self.own_enrollment_for_change(&mut tx, p, id).await?;
        check_if_match(&etag(&e.id, e.version), if_match, false)?;
        let input = input?;
        if e.existing_partner {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                "the enrollment is an existing partner's shortcut; it needs only the support profile",
            ));
        }
        if !e.status.is_editable() {
            return Err(invalid_state(
                e.status,
                "only draft and rejected enrollments can change",
            ));
        }
        let profile = self.validate_legal(input, &e.country)?;
        let changed_contact = e
            .primary_contact_email
            .as_deref()
            .is_none_or(|old| !old.eq_ignore_ascii_case(&profile.primary_contact.email));
        e.legal_name_sort = Some(profile.legal_name.to_lowercase());
        e.legal_profile = serde_json::to_string(&profile).ok();
        if changed_contact {
            e.primary_contact_email = Some(profile.primary_contact.email.clone());
            e.primary_contact_verified = false;
            self.queue_verification(&mut tx, &e, &profile.primary_contact.email)
                .await?;
        }
        e.updated_at = self.now().millis();
        crate::error::written(enrollments::update(&mut tx, &e).await?)?;
        e.version += 1;
        let view = self.view_of(&mut tx, &e).await?;
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "enrollment",
                Some(e.id.clone()),
                "updateLegalProfile",
            )
            .after(&view.legal_profile),
            vec![],
        )
        .await?;
        Ok(view)
    }

    /// `PUT /v1/enrollments/{id}/supportprofile`.
    pub async fn put_support_profile(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
        if_match: Option<&str>,
        input: AppResult<SupportProfile>,
    ) -> AppResult<Enrollment> {
        let mut tx = self.db().begin().await?;
        let mut e = self.own_enrollment_for_change(&mut tx, p, id).await?;
        check_if_match(&etag(&e.id, e.version), if_match, false)?;
        let input = input?;
        if !e.status.is_editable() {
            return Err(invalid_state(
                e.status,
                "only draft and rejected enrollments can change",
            ));
        }
        let profile = validate_support(input)?;
        e.support_profile = serde_json::to_string(&profile).ok();
        e.updated_at = self.now().millis();
        crate::error::written(enrollments::update(&mut tx, &e).await?)?;
        e.version += 1;
        let view = self.view_of(&mut tx, &e).await?;
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "enrollment",
                Some(e.id.clone()),
                "updateSupportProfile",
            )
            .after(&view.support_profile),
            vec![],
        )
        .await?;
        Ok(view)
    }

    /// `POST /v1/enrollments/{id}/primarycontact/verification`: resend, at most
    /// once a minute and ten times a day.
    pub async fn resend_verification(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
    ) -> AppResult<VerificationSent> {
        let mut tx = self.db().begin().await?;
        let e = self.own_enrollment_for_change(&mut tx, p, id).await?;
        let Some(email) = e.primary_contact_email.clone() else {
            return Err(invalid_state(
                e.status,
                "name a primary contact in the legal profile first",
            ));
        };
        if e.primary_contact_verified {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                "the primary contact is verified already",
            ));
        }
        if e.status.is_terminal() {
            return Err(invalid_state(e.status, "nothing is left to verify"));
        }
        let (minute, day) =
            enrollments::verification_counts(&mut tx, &e.id, self.now().millis()).await?;
        if minute >= 1 {
            return Err(AppError::rate_limited(60).with_detail("a verification mail was sent less than a minute ago; check the inbox (and spam folder) first"));
        }
        if day >= 10 {
            return Err(AppError::rate_limited(3600)
                .with_detail("ten verification mails were sent today; try again tomorrow"));
        }
        let expires = self.queue_verification(&mut tx, &e, &email).await?;
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "enrollment",
                Some(e.id.clone()),
                "sendVerification",
            ),
            vec![],
        )
        .await?;
        Ok(VerificationSent {
            sent_to: email,
            expires_at: expires.to_rfc3339(),
        })
    }

    /// `POST /v1/emailverifications/confirm` (public; the token is the secret).
    pub async fn confirm_email(
        &self,
        ctx: &Ctx,
        token: AppResult<String>,
    ) -> AppResult<EmailConfirmed> {
        self.limit_public(ctx)?;
        let token = token?;
        if token.trim().is_empty() {
            return Err(FieldError::invalid("/token", "is required").into());
        }
        self.limit_target(&format!("token:{}", token_hash(&token)))?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let v = enrollments::get_verification(&mut tx, &token_hash(&token))
            .await?
            .ok_or_else(|| AppError::token_invalid("this verification link is not valid; use the newest mail, or ask for a new one"))?;
        if v.used_at.is_some() {
            return Err(AppError::conflict(
                Conflict::TokenUsed,
                "this address was confirmed with this link already",
            ));
        }
        if v.invalidated_at.is_some() || v.expires_at <= now.millis() {
            return Err(AppError::gone(
                "this link expired or was replaced by a newer one; ask for a new verification mail",
            ));
        }
        if !enrollments::use_verification(&mut tx, &token_hash(&token), now.millis()).await? {
            return Err(AppError::conflict(
                Conflict::TokenUsed,
                "this address was confirmed with this link already",
            ));
        }
        let mut e = enrollments::get(&mut tx, &v.enrollment_id)
            .await?
            .ok_or_else(|| {
                AppError::internal("enrollments::get found no row where one must exist")
            })?;
        e.primary_contact_verified = true;
        if e.status == EnrollmentStatus::PendingVerification {
            self.push_history(&mut e, EnrollmentStatus::PendingReview, &v.email)?;
            organizations::set_enrollment_status(
                &mut tx,
                &e.organization_id,
                EnrollmentStatus::PendingReview,
                now.millis(),
            )
            .await?;
        }
        e.updated_at = now.millis();
        crate::error::written(enrollments::update(&mut tx, &e).await?)?;
        let actor = Actor::Anonymous {
            email: v.email.clone(),
            user_id: None,
            organization_id: Some(e.organization_id.clone()),
        };
        self.commit_change(
            tx,
            ctx,
            now,
            Entry::new(
                actor,
                "enrollment",
                Some(e.id.clone()),
                "confirmPrimaryContact",
            ),
            vec![],
        )
        .await?;
        Ok(EmailConfirmed {
            email: v.email,
            verified_at: now.to_rfc3339(),
            enrollment_id: e.id,
        })
    }

    async fn enrollment_mail(
        &self,
        conn: &mut Conn,
        e: &EnrollmentRow,
        template: &str,
        subject: &str,
        text: String,
    ) -> AppResult<()> {
        let mut to: Vec<String> = Vec::new();
        if let Some(c) = &e.primary_contact_email {
            to.push(c.clone());
        }
        if let Some(u) = users::get(conn, &creator(e)).await?
            && !to.iter().any(|t| t.eq_ignore_ascii_case(&u.email))
        {
            to.push(u.email);
        }
        if to.is_empty() {
            to = organizations::global_admin_emails(conn, &e.organization_id).await?;
        }
        let link = format!("{}/enroll/status", self.config().public_url);
        let mail = OutgoingMail {
            to,
            subject: subject.into(),
            text: format!("{text}\n\nSee where your enrollment stands:\n{link}\n"),
            html: None,
            template: template.into(),
            link: Some(link),
        };
        mail::enqueue(conn, &mail, self.now()).await?;
        Ok(())
    }

    /// Makes the organisation an indirect reseller: programme, partner kind,
    /// membership, legal name; the enrolling user becomes Admin agent.
    async fn grant_reseller(
        &self,
        conn: &mut Conn,
        e: &EnrollmentRow,
        user_id: &UserId,
    ) -> AppResult<()> {
        let now = self.now().millis();
        let org = organizations::get(conn, &e.organization_id)
            .await?
            .ok_or_else(|| {
                AppError::internal("organizations::get found no row where one must exist")
            })?;
        if let Some(m) = &e.membership_id {
            let linked = registry::link_membership(conn, m, &org.id, now).await?;
            let mine = registry::get_membership(conn, m)
                .await?
                .and_then(|m| m.linked_organization_id)
                .is_some_and(|o| o == org.id);
            if !linked && !mine {
                return Err(AppError::conflict(
                    Conflict::MembershipAlreadyLinked,
                    "the membership ID was linked to another organisation meanwhile",
                ));
            }
        }
        let mut programs = org.programs.clone();
        if !programs.contains(&Program::IndirectReseller) {
            programs.push(Program::IndirectReseller);
        }
        let legal: Option<LegalProfile> = e
            .legal_profile
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok());
        organizations::become_partner(
            conn,
            &org.id,
            legal.as_ref().map(|l| l.legal_name.as_str()),
            e.membership_id.as_deref(),
            &programs_to_stored(&programs),
            now,
        )
        .await?;
        if let Some(mut u) = users::get(conn, user_id)
            .await?
            .filter(|u| u.organization_id == org.id)
        {
            let mut roles: Vec<Role> = u.roles.clone().iter().filter(|r| !r.is_agent()).collect();
            roles.push(Role::AdminAgent);
            u.roles = Roles::new(roles);
            crate::error::written(users::update(conn, &u, now).await?)?;
        }
        Ok(())
    }

    /// `POST /v1/enrollments/{id}/submit` (a person, not an API key).
    pub async fn submit_enrollment(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
    ) -> AppResult<Enrollment> {
        let mut tx = self.db().begin().await?;
        let mut e = self.own_enrollment_for_change(&mut tx, p, id).await?;
        if !matches!(p.credential, Credential::Session { .. }) {
            return Err(AppError::forbidden(
                Refusal::UserSessionRequired,
                "a person must submit the enrollment",
            ));
        }
        if !e.status.is_editable() {
            return Err(invalid_state(e.status, "it cannot be submitted"));
        }
        let by = Self::actor_id(p);
        let now = self.now();
        if e.existing_partner {
            if e.support_profile.is_none() {
                return Err(AppError::validation(vec![FieldError::invalid(
                    "/supportProfile",
                    "add the support profile first",
                )]));
            }
            e.submitted_at = Some(now.millis());
            self.push_history(&mut e, EnrollmentStatus::Approved, &by)?;
            e.decision = serde_json::to_string(&Decision {
                decided_at: now.to_rfc3339(),
                decided_by: "system".into(),
                reason: Some("existing partner".into()),
            })
            .ok();
            crate::error::written(enrollments::update(&mut tx, &e).await?)?;
            self.grant_reseller(&mut tx, &e, &UserId::from_raw(by))
                .await?;
            let to = organizations::global_admin_emails(&mut tx, &e.organization_id).await?;
            let link = format!("{}/", self.config().public_url);
            let mail = OutgoingMail {
                to,
                subject: "Your organisation is now an indirect reseller".into(),
                text: format!(
                    "Your organisation was approved as an indirect reseller at once, as an existing partner.\n\n{link}\n"
                ),
                html: None,
                template: "enrollment_approved".into(),
                link: Some(link),
            };
            mail::enqueue(&mut tx, &mail, now).await?;
        } else {
            let mut missing = Vec::new();
            if e.membership_id.is_none() {
                missing.push(FieldError::invalid(
                    "/membership",
                    "link your membership ID first",
                ));
            }
            if e.legal_profile.is_none() {
                missing.push(FieldError::invalid(
                    "/legalProfile",
                    "add the legal business profile first",
                ));
            }
            if e.support_profile.is_none() {
                missing.push(FieldError::invalid(
                    "/supportProfile",
                    "add the support profile first",
                ));
            }
            if !missing.is_empty() {
                return Err(AppError::validation(missing));
            }
            e.submitted_at = Some(now.millis());
            let next = if e.primary_contact_verified {
                EnrollmentStatus::PendingReview
            } else {
                EnrollmentStatus::PendingVerification
            };
            self.push_history(&mut e, next, &by)?;
            e.decision = None;
            crate::error::written(enrollments::update(&mut tx, &e).await?)?;
            organizations::set_enrollment_status(&mut tx, &e.organization_id, next, now.millis())
                .await?;
            let text = if next == EnrollmentStatus::PendingVerification {
                "We received your enrollment as an indirect reseller. The primary contact must confirm their e-mail address with the link we sent; then the vendor reviews it, which can take a few days."
            } else {
                "We received your enrollment as an indirect reseller. The vendor reviews it next, which can take a few days; we will write when it is decided."
            };
            self.enrollment_mail(
                &mut tx,
                &e,
                "enrollment_submitted",
                "We received your enrollment",
                text.into(),
            )
            .await?;
        }
        e.version += 1;
        let view = self.view_of(&mut tx, &e).await?;
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "enrollment",
                Some(e.id.clone()),
                "submitEnrollment",
            )
            .after(serde_json::json!({"status": e.status})),
            vec![
                crate::events::Event {
                    event_type: "enrollment.submitted",
                    resource_type: "enrollment",
                    resource_id: &e.id,
                    resource_url: crate::urls::enrollment(&e.id),
                    participants: vec![e.organization_id.as_str()],
                }
                .with(&view),
            ],
        )
        .await?;
        Ok(view)
    }

    /// `POST /v1/enrollments/{id}/withdraw`.
    pub async fn withdraw_enrollment(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
    ) -> AppResult<Enrollment> {
        let mut tx = self.db().begin().await?;
        let mut e = self.own_enrollment_for_change(&mut tx, p, id).await?;
        if e.status.is_terminal() {
            return Err(invalid_state(e.status, "it cannot be withdrawn"));
        }
        self.push_history(&mut e, EnrollmentStatus::Withdrawn, &Self::actor_id(p))?;
        crate::error::written(enrollments::update(&mut tx, &e).await?)?;
        enrollments::invalidate_verifications(&mut tx, &e.id, self.now().millis()).await?;
        organizations::set_enrollment_status(
            &mut tx,
            &e.organization_id,
            EnrollmentStatus::Withdrawn,
            self.now().millis(),
        )
        .await?;
        e.version += 1;
        let view = self.view_of(&mut tx, &e).await?;
        self.commit_change(
            tx,
            ctx,
            self.now(),
            Entry::new(
                Actor::Principal(p),
                "enrollment",
                Some(e.id.clone()),
                "withdrawEnrollment",
            ),
            vec![],
        )
        .await?;
        Ok(view)
    }

    /// `GET /v1/enrollments`: the review queue, oldest first.
    pub async fn list_enrollments(
        &self,
        p: &Principal,
        f: &EnrollmentFilters,
        page: &PageParams,
    ) -> AppResult<Page<Enrollment>> {
        p.require(Action::ReviewEnrollments)?;
        let status = status_in("/query/status", f.status.as_deref(), EnrollmentStatus::ALL)?;
        if let Some(c) = &f.country {
            country("/query/country", c)?;
        }
        let now = self.now().millis();
        let start = paging::start(page, &format!("{f:?}"), now)?;
        let q = EnrollmentQuery {
            status,
            country: f.country.clone(),
            q: f.q.clone(),
        };
        let mut conn = self.db().conn().await?;
        let rows = enrollments::list(&mut conn, &q, &start.request).await?;
        let mut memberships = Vec::new();
        for r in &rows.rows {
            memberships.push(match &r.membership_id {
                Some(m) => registry::get_membership(&mut conn, m).await?,
                None => None,
            });
        }
        let mut ms = memberships.into_iter();
        Ok(start.finish(
            rows,
            now,
            |r| (r.created_at, r.id.to_string()),
            |r| self.enrollment_view(&r, ms.next().flatten().as_ref()),
        ))
    }

    /// `POST /v1/enrollments/{id}/approve`: one transaction.
    pub async fn approve_enrollment(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
        note: AppResult<Option<String>>,
    ) -> AppResult<Enrollment> {
        p.require(Action::ReviewEnrollments)?;
        let mut tx = self.db().begin().await?;
        let mut e = enrollments::get(&mut tx, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let note = note?;
        if e.status != EnrollmentStatus::PendingReview {
            return Err(invalid_state(
                e.status,
                "only enrollments pending review can be approved",
            ));
        }
        let note = note
            .map(|n| long_text("/note", &n, 2000))
            .transpose()?
            .flatten();
        let now = self.now();
        self.push_history(&mut e, EnrollmentStatus::Approved, &Self::actor_id(p))?;
        e.decision = serde_json::to_string(&Decision {
            decided_at: now.to_rfc3339(),
            decided_by: Self::actor_id(p),
            reason: note,
        })
        .ok();
        crate::error::written_state(enrollments::update(&mut tx, &e).await?)?;
        self.grant_reseller(&mut tx, &e, &creator(&e)).await?;
        self.enrollment_mail(
            &mut tx,
            &e,
            "enrollment_approved",
            "Your enrollment was approved",
            "Your organisation is now an indirect reseller. The person who enrolled is Global admin and Admin agent; check it under Account settings > User management.".into(),
        )
        .await?;
        e.version += 1;
        let view = self.view_of(&mut tx, &e).await?;
        audit::write(
            &mut tx,
            ctx,
            now,
            Entry::new(
                Actor::Principal(p),
                "enrollment",
                Some(e.id.clone()),
                "approveEnrollment",
            )
            .participant(&e.organization_id),
        )
        .await?;
        crate::events::emit(
            &mut tx,
            crate::events::Event {
                event_type: "enrollment.approved",
                resource_type: "enrollment",
                resource_id: &e.id,
                resource_url: crate::urls::enrollment(&e.id),
                participants: vec![e.organization_id.as_str()],
            },
            &view,
            self.now(),
        )
        .await?;
        partnerd_store::commit(tx).await?;
        Ok(view)
    }

    /// `POST /v1/enrollments/{id}/reject` (a reason is required).
    pub async fn reject_enrollment(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &EnrollmentId,
        reason: AppResult<String>,
    ) -> AppResult<Enrollment> {
        p.require(Action::ReviewEnrollments)?;
        let mut tx = self.db().begin().await?;
        let mut e = enrollments::get(&mut tx, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let reason = reason?;
        let reason = long_text("/reason", &reason, 2000)?.ok_or_else(|| {
            AppError::field(FieldError::invalid(
                "/reason",
                "say why, so the applicant can fix it",
            ))
        })?;
        if e.status != EnrollmentStatus::PendingReview {
            return Err(invalid_state(
                e.status,
                "only enrollments pending review can be rejected",
            ));
        }
        let now = self.now();
        self.push_history(&mut e, EnrollmentStatus::Rejected, &Self::actor_id(p))?;
        e.decision = serde_json::to_string(&Decision {
            decided_at: now.to_rfc3339(),
            decided_by: Self::actor_id(p),
            reason: Some(reason.clone()),
        })
        .ok();
        crate::error::written_state(enrollments::update(&mut tx, &e).await?)?;
        organizations::set_enrollment_status(
            &mut tx,
            &e.organization_id,
            EnrollmentStatus::Rejected,
            now.millis(),
        )
        .await?;
        self.enrollment_mail(
            &mut tx,
            &e,
            "enrollment_rejected",
            "Your enrollment needs changes",
            format!("The vendor could not approve your enrollment yet. The reason:\n\n{reason}\n\nYou can correct your details and submit it again."),
        )
        .await?;
        e.version += 1;
        let view = self.view_of(&mut tx, &e).await?;
        audit::write(
            &mut tx,
            ctx,
            now,
            Entry::new(
                Actor::Principal(p),
                "enrollment",
                Some(e.id.clone()),
                "rejectEnrollment",
            )
            .participant(&e.organization_id)
            .after(serde_json::json!({"reason": reason})),
        )
        .await?;
        crate::events::emit(
            &mut tx,
            crate::events::Event {
                event_type: "enrollment.rejected",
                resource_type: "enrollment",
                resource_id: &e.id,
                resource_url: crate::urls::enrollment(&e.id),
                participants: vec![e.organization_id.as_str()],
            },
            &view,
            self.now(),
        )
        .await?;
        partnerd_store::commit(tx).await?;
        Ok(view)
    }
}

pub(crate) fn validate_support(s: SupportProfile) -> AppResult<SupportProfile> {
    let mut c = Collect::default();
    let email = c.take(EmailAddress::parse("/email", &s.email));
    let phone = c.take(short_text("/phone", &s.phone, 40));
    let web = c.opt(s.website.as_deref(), |w| website("/website", w));
    let hours = c
        .opt(s.hours.as_deref(), |h| long_text("/hours", h, 200))
        .flatten();
    let errors = c.0;
    match (email, phone, errors.is_empty()) {
        (Some(email), Some(phone), true) => Ok(SupportProfile {
            email: email.as_str().to_owned(),
            phone,
            website: web,
            hours,
        }),
        _ => Err(AppError::validation(errors)),
    }
}

/// The user who created an enrollment. `created_by` holds a user's id, or an API
/// key's, which names no user: lookups by it then find nobody, as they should.
fn creator(e: &EnrollmentRow) -> UserId {
    UserId::from_raw(e.created_by.clone())
}
