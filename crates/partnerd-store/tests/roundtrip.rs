#![allow(clippy::expect_used, clippy::unwrap_used)]

//! Round trips of the store's rows on both backends: every row type with an insert
//! function and a function that reads it back is written with every field set to a
//! value other than its default (`Some` for every option, non-empty text, distinct
//! times, a status other than the initial one, several roles and programmes, flags
//! true), read back through each reader, and compared with what was written.
//!
//! Each scenario runs on SQLite (a file in a temporary folder) and, when
//! `PARTNERD_TEST_DATABASE_URL` is set, on PostgreSQL in a fresh database. Under
//! `CI=true` the PostgreSQL variant fails instead of skipping when the variable is
//! unset, as the server's integration suite does.
//!
//! Where the store writes a column itself (a version it starts at 1, an attempt
//! counter, a status it starts as pending), the expected row says what the API
//! promises, with a comment.

use partnerd_domain::ids::{
    ApiKeyId, AuditRecordId, CustomerRelationshipId, DelegatedAdminId, DeliveryId, EnrollmentId,
    EventId, IncidentId, IncidentUpdateId, OrderId, OrgId, OutboxId, RegistryAccountId,
    RelationshipRequestId, ResellerInvitationId, ResellerRelationshipId, ServiceRequestId,
    ServiceRequestNoteId, SessionId, SubscriptionChangeId, SubscriptionId, UserId, WebhookId,
};
use partnerd_domain::money::{Currency, Money};
use partnerd_domain::states::{
    CustomerRelationshipStatus, DelegatedAdminStatus, EnrollmentStatus, OfferStatus,
    OperationStatus, OrderStatus, OutboxStatus, RelationshipRequestStatus,
    ResellerInvitationStatus, ResellerRelationshipStatus, ServiceIncidentStatus,
    ServiceRequestStatus, SubscriptionStatus, WebhookDeliveryStatus,
};
use partnerd_domain::time::Timestamp;
use partnerd_domain::{OrgKind, Program, Role, Roles};
use partnerd_store::sql::PageRequest;
use partnerd_store::{self as store, Db, StoreResult};

// ------------------------------------------------------------------ harness

fn cur(code: &str) -> Currency {
    Currency::parse(code).expect("a currency code")
}

fn money(minor: i64, code: &str) -> Money {
    Money::new(minor, cur(code))
}

/// A migrated database of one backend, removed when the scenario is done.
struct TestDb {
    db: Db,
    /// The SQLite file's folder.
    _dir: Option<tempfile::TempDir>,
    /// `(server URL, database name)` of a PostgreSQL database to drop afterwards.
    postgres: Option<(String, String)>,
}

impl TestDb {
    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("roundtrip.db").display());
        let db = Db::connect(&url, 2).await.expect("open SQLite");
        db.migrate().await.expect("migrate SQLite");
        Self {
            db,
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// None (with a notice) when no PostgreSQL server is configured; a failure when
    /// that happens under CI.
    async fn postgres() -> Option<Self> {
        let base = postgres_url()?;
        let name = format!("partnerd_rt_{}", partnerd_domain::ids::random_suffix());
        let server = Db::connect(&base, 1)
            .await
            .expect("connect to PARTNERD_TEST_DATABASE_URL");
        {
            let mut conn = server.conn().await.expect("a connection to the server");
            store::query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create the test database");
        }
        server.close().await;
        let db = Db::connect(&database_url(&base, &name), 2)
            .await
            .expect("connect to the test database");
        db.migrate().await.expect("migrate PostgreSQL");
        Some(Self {
            db,
            _dir: None,
            postgres: Some((base, name)),
        })
    }

    /// Closes the pool and drops the PostgreSQL database (a failed scenario leaves
    /// its database behind to look at).
    async fn finish(self) {
        self.db.close().await;
        if let Some((base, name)) = self.postgres
            && let Ok(server) = Db::connect(&base, 1).await
        {
            if let Ok(mut conn) = server.conn().await {
                let _ = store::query(format!("DROP DATABASE IF EXISTS {name}"))
                    .execute(&mut conn)
                    .await;
            }
            server.close().await;
        }
    }
}

/// The PostgreSQL server for tests, or None (with a notice; a failure under CI).
fn postgres_url() -> Option<String> {
    match std::env::var("PARTNERD_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "PARTNERD_TEST_DATABASE_URL must be set under CI=true: the PostgreSQL suite is required"
            );
            eprintln!(
                "skipping the PostgreSQL variant: set PARTNERD_TEST_DATABASE_URL=postgres://… to run it"
            );
            None
        }
    }
}

/// `base` with its database name replaced by `name`, query string kept.
fn database_url(base: &str, name: &str) -> String {
    let (path, query) = match base.split_once('?') {
        Some((p, q)) => (p, format!("?{q}")),
        None => (base, String::new()),
    };
    let (server, _) = path
        .rsplit_once('/')
        .expect("a database URL with a database name");
    format!("{server}/{name}{query}")
}

/// Runs each scenario `async fn name(db: &Db) -> StoreResult<()>` on both backends.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let t = super::TestDb::sqlite().await;
                super::$name(&t.db)
                    .await
                    .expect(concat!(stringify!($name), " on SQLite"));
                t.finish().await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(t) = super::TestDb::postgres().await else {
                    return;
                };
                super::$name(&t.db)
                    .await
                    .expect(concat!(stringify!($name), " on PostgreSQL"));
                t.finish().await;
            }
        }
    )*};
}

on_both!(
    organizations,
    users,
    api_keys,
    sessions,
    audit,
    enrollments,
    relationships,
    customers,
    commerce,
    offers,
    registry,
    providers,
    support,
    webhooks,
    outbox,
    active_pairs,
);

/// Asserts that what a reader returned equals what was written, naming the fields
/// that differ.
#[track_caller]
fn same<T: PartialEq + std::fmt::Debug>(what: &str, read: &T, written: &T) {
    if read == written {
        return;
    }
    let w = format!("{written:#?}");
    let r = format!("{read:#?}");
    // Line by line, each difference under the field it belongs to (a value inside
    // `Some(..)` sits on its own line below the field's name).
    let mut field = "";
    let mut differing = Vec::new();
    for (a, b) in w.lines().zip(r.lines()) {
        if let Some((name, _)) = a.trim().split_once(": ") {
            field = name;
        }
        if a != b {
            differing.push(format!("  {field}: wrote {}  read {}", a.trim(), b.trim()));
        }
    }
    panic!(
        "{what} did not round-trip:\n{}\n--- written:\n{w}\n--- read:\n{r}",
        differing.join("\n")
    );
}

/// The row a reader found, or a failure naming the reader.
#[track_caller]
fn found<T>(what: &str, row: Option<T>) -> T {
    row.unwrap_or_else(|| panic!("{what}: the row written was not found"))
}

/// The one row of a list whose key matches.
#[track_caller]
fn one_of<T: std::fmt::Debug>(what: &str, rows: Vec<T>, is: impl Fn(&T) -> bool) -> T {
    let mut matching: Vec<T> = rows.into_iter().filter(|r| is(r)).collect();
    assert_eq!(
        matching.len(),
        1,
        "{what}: expected the row written once in the list, got {matching:?}"
    );
    matching.remove(0)
}

fn page() -> PageRequest {
    PageRequest {
        cursor: None,
        size: 50,
        count: true,
    }
}

/// Epoch milliseconds past 2^31 seconds' worth, so a 32-bit column would show;
/// each field adds its own offset so that no two times of a row are equal.
const T: i64 = 1_754_000_000_000;

/// An instant `n` milliseconds after the fixture's base time.
fn at(n: i64) -> Timestamp {
    Timestamp(T + n)
}

/// An organisation of `kind` with every column set; `tag` keeps names and the
/// unique domain prefix apart.
fn organization(tag: &str, kind: OrgKind) -> store::organizations::OrganizationRow {
    store::organizations::OrganizationRow {
        id: OrgId::generate(),
        kind,
        name: format!("Contoso {tag} Zoë's Ltd"),
        legal_name: Some(format!("Contoso {tag} Legal GmbH & Co. KG")),
        country: "DE".into(),
        domain_prefix: format!("contoso{tag}"),
        default_domain: format!("contoso{tag}.partnerd.example"),
        // The canonical order (sorted, without repeats): the order the reader
        // returns programmes in (see `organizations` below).
        programs: vec![Program::IndirectReseller, Program::IndirectProvider],
        enrollment_status: Some(EnrollmentStatus::Approved),
        membership_id: Some(format!("mem-{tag}-0001")),
        created_at: at(1),
        updated_at: at(2),
        version: 3,
    }
}

async fn insert_orgs(db: &Db, orgs: &[&store::organizations::OrganizationRow]) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    for o in orgs {
        store::organizations::insert(&mut tx, o).await?;
    }
    tx.commit().await
}

/// A user of `org` with every column set.
fn user(tag: &str, org: &OrgId) -> store::users::UserRow {
    store::users::UserRow {
        id: UserId::generate(),
        organization_id: org.clone(),
        email: format!("Zoe.{tag}@Contoso.example"),
        email_norm: format!("zoe.{tag}@contoso.example"),
        first_name: "Zoë".into(),
        last_name: format!("O'Brien-{tag}"),
        roles: Roles::new(vec![
            Role::GlobalAdmin,
            Role::BillingAdmin,
            Role::AdminAgent,
        ]),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        must_change_password: true,
        disabled: true,
        last_sign_in_at: Some(at(10)),
        created_at: at(11),
        updated_at: at(12),
        version: 4,
    }
}

// ---------------------------------------------------------------- scenarios

async fn organizations(db: &Db) -> StoreResult<()> {
    use store::organizations::{self as orgs, OrganizationQuery};
    let partner = organization("org", OrgKind::Partner);
    let operator = store::organizations::OrganizationRow {
        programs: vec![Program::IndirectProvider],
        ..organization("operator", OrgKind::Operator)
    };
    insert_orgs(db, &[&partner, &operator]).await?;

    let mut c = db.conn().await?;
    same(
        "organizations::get",
        &found("get", orgs::get(&mut c, &partner.id).await?),
        &partner,
    );
    same(
        "organizations::operator",
        &found("operator", orgs::operator(&mut c).await?),
        &operator,
    );
    let listed = orgs::list(
        &mut c,
        &OrganizationQuery {
            kind: Some("partner".into()),
            program: Some("indirectProvider".into()),
            country: Some("DE".into()),
            name: Some("contoso org".into()),
        },
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "organizations::list",
        &one_of("list", listed.rows, |o| o.id == partner.id),
        &partner,
    );

    // Programmes are read back sorted and without repeats (documented on
    // `programs_from_stored`), so a row written in another order reads back in the
    // canonical one: not equal to what was written.
    let reordered = store::organizations::OrganizationRow {
        programs: vec![Program::IndirectProvider, Program::IndirectReseller],
        ..organization("reordered", OrgKind::Partner)
    };
    drop(c);
    insert_orgs(db, &[&reordered]).await?;
    let mut c = db.conn().await?;
    let read = found("get", orgs::get(&mut c, &reordered.id).await?);
    assert_eq!(
        read.programs,
        vec![Program::IndirectReseller, Program::IndirectProvider]
    );
    Ok(())
}

async fn users(db: &Db) -> StoreResult<()> {
    use store::users::{self as u, UserQuery};
    let org = organization("users", OrgKind::Partner);
    let written = user("users", &org.id);
    insert_orgs(db, &[&org]).await?;
    let mut tx = db.begin().await?;
    u::insert(&mut tx, &written).await?;
    tx.commit().await?;

    let mut c = db.conn().await?;
    same(
        "users::get",
        &found("get", u::get(&mut c, &written.id).await?),
        &written,
    );
    same(
        "users::find_by_email",
        &found(
            "find_by_email",
            u::find_by_email(&mut c, &written.email_norm).await?,
        ),
        &written,
    );
    let listed = u::list(
        &mut c,
        &UserQuery {
            organization_id: org.id.clone(),
            role: Some("billingAdmin".into()),
            q: Some("o'brien".into()),
        },
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "users::list",
        &one_of("list", listed.rows, |r| r.id == written.id),
        &written,
    );
    Ok(())
}

async fn api_keys(db: &Db) -> StoreResult<()> {
    use store::api_keys::{self as keys, ApiKeyRow};
    let org = organization("keys", OrgKind::Partner);
    insert_orgs(db, &[&org]).await?;
    let key = |tag: &str, revoked_at: Option<Timestamp>| ApiKeyRow {
        id: ApiKeyId::generate(),
        organization_id: org.id.clone(),
        name: format!("CI deploy key {tag}"),
        roles: Roles::new(vec![Role::UserManagementAdmin, Role::SalesAgent]),
        prefix: format!("pk_{tag}"),
        secret_hash: format!("sha256:{tag}:0123456789abcdef"),
        created_by: Some(format!("usr_creator_{tag}")),
        created_at: at(20),
        expires_at: Some(at(21)),
        last_used_at: Some(at(22)),
        revoked_at,
        version: 5,
    };
    let revoked = key("revoked", Some(at(23)));
    // `get` and `list` show live keys only (`revoked_at IS NULL`), so the key they
    // read back has no revocation time; every other field is set.
    let live = key("live", None);
    let mut tx = db.begin().await?;
    keys::insert(&mut tx, &revoked).await?;
    keys::insert(&mut tx, &live).await?;
    tx.commit().await?;

    let mut c = db.conn().await?;
    let (k, o) = found(
        "find_principal",
        keys::find_principal(&mut c, &revoked.secret_hash).await?,
    );
    same("api_keys::find_principal (key)", &k, &revoked);
    same("api_keys::find_principal (organization)", &o, &org);
    same(
        "api_keys::get",
        &found("get", keys::get(&mut c, &org.id, &live.id).await?),
        &live,
    );
    assert!(
        keys::get(&mut c, &org.id, &revoked.id).await?.is_none(),
        "a revoked key is not read by get"
    );
    let listed = keys::list(&mut c, &org.id, &page()).await?;
    assert_eq!(listed.total, Some(1));
    same(
        "api_keys::list",
        &one_of("list", listed.rows, |r| r.id == live.id),
        &live,
    );
    Ok(())
}

async fn sessions(db: &Db) -> StoreResult<()> {
    use store::sessions::{self as s, NewSession, SessionPrincipal};
    let org = organization("sessions", OrgKind::Partner);
    let person = user("sessions", &org.id);
    let session = NewSession {
        id: SessionId::generate(),
        token_hash: "sha256:session-token".into(),
        user_id: person.id.clone(),
        restricted: true,
        created_at: at(30),
        expires_at: at(31),
    };
    insert_orgs(db, &[&org]).await?;
    let mut tx = db.begin().await?;
    store::users::insert(&mut tx, &person).await?;
    s::insert(&mut tx, &session).await?;
    tx.commit().await?;

    // The one reader is `find_principal`: it returns the session's id, flag and
    // expiry (not its creation time or token hash, which it was found by), whether
    // it is revoked (a new session is not), and its user and organisation whole.
    let mut c = db.conn().await?;
    let principal = SessionPrincipal {
        session_id: session.id.clone(),
        restricted: true,
        expires_at: session.expires_at,
        revoked: false,
        user: person.clone(),
        organization: org.clone(),
    };
    same(
        "sessions::find_principal",
        &found(
            "find_principal",
            s::find_principal(&mut c, &session.token_hash).await?,
        ),
        &principal,
    );
    drop(c);

    let mut tx = db.begin().await?;
    s::revoke(&mut tx, &session.id, at(32)).await?;
    tx.commit().await?;
    let mut c = db.conn().await?;
    same(
        "sessions::find_principal (revoked)",
        &found(
            "find_principal",
            s::find_principal(&mut c, &session.token_hash).await?,
        ),
        &SessionPrincipal {
            revoked: true,
            ..principal
        },
    );
    Ok(())
}

async fn audit(db: &Db) -> StoreResult<()> {
    use store::audit::{self as a, AuditQuery, AuditRow};
    let (first, second) = (OrgId::generate(), OrgId::generate());
    let written = AuditRow {
        id: AuditRecordId::generate(),
        occurred_at: at(40),
        actor_type: "apiKey".into(),
        actor_user_id: Some(UserId::generate()),
        actor_api_key_id: Some(ApiKeyId::generate()),
        actor_name: Some("Deploy key \"ci\"".into()),
        actor_organization_id: Some(first.clone()),
        on_behalf_of_organization_id: Some(second.clone()),
        on_behalf_of_name: Some("Fabrikam Zoë".into()),
        participants: format!("{first},{second}"),
        resource_type: "subscription".into(),
        resource_id: Some("sub_0001".into()),
        operation_type: "updateSubscription".into(),
        operation_status: OperationStatus::Failed,
        changes: Some(r#"{"before":{"quantity":1},"after":{"quantity":2}}"#.into()),
        request_id: Some("req_0001".into()),
        source_ip: Some("2001:db8::1".into()),
    };
    let mut tx = db.begin().await?;
    a::insert(&mut tx, &written).await?;
    tx.commit().await?;

    let mut c = db.conn().await?;
    same(
        "audit::get",
        &found("get", a::get(&mut c, &written.id).await?),
        &written,
    );
    let listed = a::list(
        &mut c,
        &AuditQuery {
            participant: Some(second.clone()),
            from: at(0),
            to: at(1_000),
            actor_user_id: written.actor_user_id.clone(),
            actor_type: Some(written.actor_type.clone()),
            on_behalf_of_organization_id: Some(second.clone()),
            resource_type: Some(written.resource_type.clone()),
            resource_id: written.resource_id.clone(),
            operation_type: Some(written.operation_type.clone()),
            operation_status: Some(OperationStatus::Failed),
        },
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "audit::list",
        &one_of("list", listed.rows, |r| r.id == written.id),
        &written,
    );
    // Each participant reads it through its own index row.
    let as_first = a::list(
        &mut c,
        &AuditQuery {
            participant: Some(first),
            from: at(0),
            to: at(1_000),
            ..AuditQuery::default()
        },
        &page(),
    )
    .await?;
    same(
        "audit::list (first participant)",
        &one_of("list", as_first.rows, |r| r.id == written.id),
        &written,
    );
    Ok(())
}

async fn enrollments(db: &Db) -> StoreResult<()> {
    use store::enrollment::{self as e, EnrollmentQuery, EnrollmentRow, VerificationRow};
    let org = organization("enrollment", OrgKind::None);
    insert_orgs(db, &[&org]).await?;
    let written = EnrollmentRow {
        id: EnrollmentId::generate(),
        organization_id: org.id.clone(),
        status: EnrollmentStatus::PendingReview,
        existing_partner: true,
        membership_id: Some("mem-enrollment-0001".into()),
        legal_profile: Some(r#"{"legalName":"Contoso Legal","address":{"city":"Köln"}}"#.into()),
        support_profile: Some(r#"{"email":"support@contoso.example"}"#.into()),
        primary_contact_email: Some("zoe@contoso.example".into()),
        primary_contact_verified: true,
        country: "DE".into(),
        legal_name_sort: Some("contoso legal".into()),
        submitted_at: Some(at(50)),
        decision: Some(r#"{"reason":"missing tax id"}"#.into()),
        history: r#"[{"at":1,"status":"draft"}]"#.into(),
        created_by: "usr_enroller".into(),
        created_at: at(51),
        updated_at: at(52),
        version: 6,
    };
    let account = RegistryAccountId::generate();
    let mut tx = db.begin().await?;
    e::insert(&mut tx, &written).await?;
    e::insert_membership_session(
        &mut tx,
        "sha256:membership-session",
        &written.id,
        &account,
        "mem-1,mem-2",
        at(53),
    )
    .await?;
    // A second link invalidates the first; the second is then used. No reader-visible
    // row has both times set: the store only invalidates unused links.
    e::insert_verification(
        &mut tx,
        "sha256:verify-1",
        &written.id,
        "zoe@contoso.example",
        at(54),
        at(55),
    )
    .await?;
    e::insert_verification(
        &mut tx,
        "sha256:verify-2",
        &written.id,
        "zoe.new@contoso.example",
        at(56),
        at(57),
    )
    .await?;
    assert!(e::use_verification(&mut tx, "sha256:verify-2", at(58)).await?);
    tx.commit().await?;

    let mut c = db.conn().await?;
    same(
        "enrollment::get",
        &found("get", e::get(&mut c, &written.id).await?),
        &written,
    );
    same(
        "enrollment::latest_for",
        &found("latest_for", e::latest_for(&mut c, &org.id).await?),
        &written,
    );
    let listed = e::list(
        &mut c,
        &EnrollmentQuery {
            status: Some(EnrollmentStatus::PendingReview),
            country: Some("DE".into()),
            q: Some("Contoso".into()),
        },
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "enrollment::list",
        &one_of("list", listed.rows, |r| r.id == written.id),
        &written,
    );
    // The membership session's account id is written but no reader returns it.
    assert_eq!(
        found(
            "membership_session",
            e::membership_session(&mut c, "sha256:membership-session").await?,
        ),
        (written.id.clone(), "mem-1,mem-2".to_owned(), at(53))
    );
    same(
        "enrollment::get_verification (invalidated)",
        &found(
            "get_verification",
            e::get_verification(&mut c, "sha256:verify-1").await?,
        ),
        &VerificationRow {
            enrollment_id: written.id.clone(),
            email: "zoe@contoso.example".into(),
            expires_at: at(55),
            used_at: None,
            invalidated_at: Some(at(56)),
        },
    );
    same(
        "enrollment::get_verification (used)",
        &found(
            "get_verification",
            e::get_verification(&mut c, "sha256:verify-2").await?,
        ),
        &VerificationRow {
            enrollment_id: written.id.clone(),
            email: "zoe.new@contoso.example".into(),
            expires_at: at(57),
            used_at: Some(at(58)),
            invalidated_at: None,
        },
    );
    Ok(())
}

async fn relationships(db: &Db) -> StoreResult<()> {
    use store::connections::{
        self as r, CreditLimitRow, InvitationQuery, InvitationRow, RelationshipQuery,
        RelationshipRow,
    };
    let provider = organization("provider", OrgKind::Partner);
    let reseller = organization("reseller", OrgKind::Partner);
    let other = organization("otherreseller", OrgKind::Partner);
    insert_orgs(db, &[&provider, &reseller, &other]).await?;
    let by_user = UserId::generate();

    let ended = RelationshipRow {
        id: ResellerRelationshipId::generate(),
        provider_organization_id: provider.id.clone(),
        reseller_organization_id: reseller.id.clone(),
        state: ResellerRelationshipStatus::Terminated,
        created_at: at(60),
        terminated_at: Some(at(61)),
        terminated_by_organization_id: Some(reseller.id.clone()),
        terminated_by_user_id: Some(by_user.clone()),
        version: 7,
    };
    // An active one is found by its pair (`active_between`); the store keeps the
    // termination columns it is given whatever the state.
    let active = RelationshipRow {
        id: ResellerRelationshipId::generate(),
        reseller_organization_id: other.id.clone(),
        state: ResellerRelationshipStatus::Active,
        created_at: at(62),
        ..ended.clone()
    };
    let invitation = InvitationRow {
        id: ResellerInvitationId::generate(),
        provider_organization_id: provider.id.clone(),
        email: "Owner@Reseller.example".into(),
        email_norm: "owner@reseller.example".into(),
        reseller_name: Some("Reseller Zoë GmbH".into()),
        message: Some("Let's work together — 100%".into()),
        status: ResellerInvitationStatus::Accepted,
        token_hash: "sha256:invitation".into(),
        created_at: at(63),
        created_by: "usr_provider_admin".into(),
        expires_at: at(64),
        accepted_by_organization_id: Some(reseller.id.clone()),
        relationship_id: Some(ended.id.clone()),
        decided_at: Some(at(65)),
        version: 8,
    };
    let mut tx = db.begin().await?;
    r::insert_relationship(&mut tx, &ended).await?;
    r::insert_relationship(&mut tx, &active).await?;
    r::insert_invitation(&mut tx, &invitation).await?;
    // Credit limits have no row-taking insert: the first write (version 0 = no row
    // yet) creates the row at version 1, the store's own starting version.
    assert!(
        r::set_credit_limit(
            &mut tx,
            &ended.id,
            Some(money(12_345_678_901, "EUR")),
            cur("EUR"),
            Some("usr_provider_admin"),
            at(66),
            0,
        )
        .await?
    );
    tx.commit().await?;

    let mut c = db.conn().await?;
    same(
        "connections::get_invitation",
        &found(
            "get_invitation",
            r::get_invitation(&mut c, &invitation.id).await?,
        ),
        &invitation,
    );
    same(
        "connections::invitation_by_token",
        &found(
            "invitation_by_token",
            r::invitation_by_token(&mut c, &invitation.token_hash).await?,
        ),
        &invitation,
    );
    let listed = r::list_invitations(
        &mut c,
        &InvitationQuery {
            provider_organization_id: provider.id.clone(),
            status: Some(ResellerInvitationStatus::Accepted),
            email: Some("OWNER@reseller.example".into()),
            now: at(100),
        },
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "connections::list_invitations",
        &one_of("list_invitations", listed.rows, |i| i.id == invitation.id),
        &invitation,
    );

    same(
        "connections::get_relationship",
        &found(
            "get_relationship",
            r::get_relationship(&mut c, &ended.id).await?,
        ),
        &ended,
    );
    same(
        "connections::active_between",
        &found(
            "active_between",
            r::active_between(&mut c, &provider.id, &other.id).await?,
        ),
        &active,
    );
    assert!(
        r::active_between(&mut c, &provider.id, &reseller.id)
            .await?
            .is_none(),
        "a terminated relationship is not active"
    );
    let listed = r::list_relationships(
        &mut c,
        &RelationshipQuery {
            organization_id: provider.id.clone(),
            as_provider: Some(true),
            state: Some(ResellerRelationshipStatus::Terminated),
            name: Some("contoso reseller".into()),
        },
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "connections::list_relationships",
        &one_of("list_relationships", listed.rows, |x| x.id == ended.id),
        &ended,
    );

    let mut limit = CreditLimitRow {
        relationship_id: ended.id.clone(),
        limit: Some(money(12_345_678_901, "EUR")),
        updated_at: at(66),
        updated_by: Some("usr_provider_admin".into()),
        version: 1,
    };
    same(
        "connections::credit_limit (created)",
        &found("credit_limit", r::credit_limit(&mut c, &ended.id).await?),
        &limit,
    );
    drop(c);
    // A change at the version read bumps it by one.
    let mut tx = db.begin().await?;
    assert!(
        r::set_credit_limit(
            &mut tx,
            &ended.id,
            Some(money(98_765, "USD")),
            cur("USD"),
            Some("usr_other_admin"),
            at(67),
            1,
        )
        .await?
    );
    assert!(
        !r::set_credit_limit(&mut tx, &ended.id, None, cur("USD"), None, at(68), 1).await?,
        "a stale version changes nothing"
    );
    tx.commit().await?;
    limit = CreditLimitRow {
        limit: Some(money(98_765, "USD")),
        updated_at: at(67),
        updated_by: Some("usr_other_admin".into()),
        version: 2,
        ..limit
    };
    let mut c = db.conn().await?;
    same(
        "connections::credit_limit (changed)",
        &found("credit_limit", r::credit_limit(&mut c, &ended.id).await?),
        &limit,
    );
    Ok(())
}

async fn customers(db: &Db) -> StoreResult<()> {
    use store::customers::{
        self as cu, CustomerListRow, CustomerQuery, CustomerRelationshipRow, DelegationQuery,
        DelegationRow, ImportRow, RequestQuery, RequestRow,
    };
    let reseller = organization("custreseller", OrgKind::Partner);
    let provider = organization("custprovider", OrgKind::Partner);
    let customer = organization("customer", OrgKind::Customer);
    insert_orgs(db, &[&reseller, &provider, &customer]).await?;
    let by_user = UserId::generate();

    let request = RequestRow {
        id: RelationshipRequestId::generate(),
        reseller_organization_id: reseller.id.clone(),
        indirect_provider_id: Some(provider.id.clone()),
        include_delegated_admin: true,
        delegated_admin_days: Some(730),
        customer_id: Some(customer.id.clone()),
        recipient_email: Some("it@customer.example".into()),
        message: Some("Please accept — thanks!".into()),
        status: RelationshipRequestStatus::Accepted,
        token_hash: "sha256:customer-request".into(),
        created_at: at(70),
        created_by: "usr_reseller_admin".into(),
        expires_at: at(71),
        accepted_by_customer_id: Some(customer.id.clone()),
        decided_at: Some(at(72)),
        version: 9,
    };
    let ended = CustomerRelationshipRow {
        id: CustomerRelationshipId::generate(),
        customer_id: customer.id.clone(),
        partner_organization_id: provider.id.clone(),
        role: "indirectProvider".into(),
        linked_reseller_id: Some(reseller.id.clone()),
        request_id: Some(request.id.clone()),
        state: CustomerRelationshipStatus::Terminated,
        created_at: at(73),
        terminated_at: Some(at(74)),
        terminated_by_organization_id: Some(customer.id.clone()),
        terminated_by_user_id: Some(by_user.clone()),
        version: 10,
    };
    // Active: read by its pair, in the customer's and the partner's lists. The store
    // keeps the termination columns it is given whatever the state.
    let active = CustomerRelationshipRow {
        id: CustomerRelationshipId::generate(),
        partner_organization_id: reseller.id.clone(),
        role: "indirectReseller".into(),
        state: CustomerRelationshipStatus::Active,
        created_at: at(75),
        ..ended.clone()
    };
    let delegation = DelegationRow {
        id: DelegatedAdminId::generate(),
        partner_organization_id: reseller.id.clone(),
        customer_id: customer.id.clone(),
        status: DelegatedAdminStatus::Terminated,
        duration_days: 730,
        activated_at: at(76),
        expires_at: at(77),
        terminated_at: Some(at(78)),
        terminated_by_organization_id: Some(customer.id.clone()),
        terminated_by_user_id: Some(by_user.clone()),
        warned_at: Some(at(79)),
        version: 11,
    };
    let active_delegation = DelegationRow {
        id: DelegatedAdminId::generate(),
        status: DelegatedAdminStatus::Active,
        activated_at: at(80),
        ..delegation.clone()
    };
    let import = ImportRow {
        customer_id: customer.id.clone(),
        source: "csv-upload".into(),
        external_id: "EXT-0001/ä".into(),
        imported_at: at(81),
        imported_by: "usr_operator".into(),
    };
    let mut tx = db.begin().await?;
    cu::insert_request(&mut tx, &request).await?;
    cu::insert_relationship(&mut tx, &ended).await?;
    cu::insert_relationship(&mut tx, &active).await?;
    cu::insert_delegation(&mut tx, &delegation).await?;
    cu::insert_delegation(&mut tx, &active_delegation).await?;
    cu::insert_import(&mut tx, &import).await?;
    tx.commit().await?;

    let mut c = db.conn().await?;
    // Requests.
    same(
        "customers::get_request",
        &found("get_request", cu::get_request(&mut c, &request.id).await?),
        &request,
    );
    same(
        "customers::request_by_token",
        &found(
            "request_by_token",
            cu::request_by_token(&mut c, &request.token_hash).await?,
        ),
        &request,
    );
    let listed = cu::list_requests(
        &mut c,
        &RequestQuery {
            reseller_organization_id: reseller.id.clone(),
            status: Some(RelationshipRequestStatus::Accepted),
            now: at(100),
        },
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "customers::list_requests",
        &one_of("list_requests", listed.rows, |r| r.id == request.id),
        &request,
    );

    // Relationships.
    same(
        "customers::get_relationship",
        &found(
            "get_relationship",
            cu::get_relationship(&mut c, &ended.id).await?,
        ),
        &ended,
    );
    same(
        "customers::active_relationship",
        &found(
            "active_relationship",
            cu::active_relationship(&mut c, &customer.id, &reseller.id).await?,
        ),
        &active,
    );
    let of_customer = cu::customer_relationships(&mut c, &customer.id).await?;
    same(
        "customers::customer_relationships",
        &of_customer,
        &vec![active.clone()],
    );
    let listed = cu::list_customer_relationships(
        &mut c,
        &customer.id,
        Some(CustomerRelationshipStatus::Terminated),
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "customers::list_customer_relationships",
        &one_of("list_customer_relationships", listed.rows, |r| {
            r.id == ended.id
        }),
        &ended,
    );
    // The partner's list reads the customer and the relationship in one row; the
    // store keeps the partner's count of active customers itself.
    assert_eq!(cu::active_customer_count(&mut c, &reseller.id).await?, 1);
    assert_eq!(cu::active_customer_count(&mut c, &provider.id).await?, 0);
    let listed = cu::list_customers(
        &mut c,
        &CustomerQuery {
            partner_organization_id: Some(reseller.id.clone()),
            q: Some("contoso cust".into()),
            country: Some("DE".into()),
            ..CustomerQuery::default()
        },
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "customers::list_customers (partner)",
        &one_of("list_customers", listed.rows, |r| {
            r.organization.id == customer.id
        }),
        &CustomerListRow {
            organization: customer.clone(),
            relationship: Some(active.clone()),
        },
    );
    let listed = cu::list_customers(&mut c, &CustomerQuery::default(), &page()).await?;
    same(
        "customers::list_customers (operator)",
        &one_of("list_customers", listed.rows, |r| {
            r.organization.id == customer.id
        }),
        &CustomerListRow {
            organization: customer.clone(),
            relationship: None,
        },
    );

    // Delegations.
    same(
        "customers::get_delegation",
        &found(
            "get_delegation",
            cu::get_delegation(&mut c, &delegation.id).await?,
        ),
        &delegation,
    );
    same(
        "customers::active_delegation",
        &found(
            "active_delegation",
            cu::active_delegation(&mut c, &reseller.id, &customer.id).await?,
        ),
        &active_delegation,
    );
    let listed = cu::list_delegations(
        &mut c,
        &DelegationQuery {
            partner_organization_id: Some(reseller.id.clone()),
            customer_id: Some(customer.id.clone()),
            status: Some(DelegatedAdminStatus::Terminated),
            ..DelegationQuery::default()
        },
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "customers::list_delegations",
        &one_of("list_delegations", listed.rows, |d| d.id == delegation.id),
        &delegation,
    );

    // Imports.
    same(
        "customers::import_of",
        &found("import_of", cu::import_of(&mut c, &customer.id).await?),
        &import,
    );
    same(
        "customers::import_by_source",
        &found(
            "import_by_source",
            cu::import_by_source(&mut c, &import.source, &import.external_id).await?,
        ),
        &import,
    );
    let listed = cu::list_imports(&mut c, Some(&import.source), &page()).await?;
    assert_eq!(listed.total, Some(1));
    same(
        "customers::list_imports",
        &one_of("list_imports", listed.rows, |i| {
            i.customer_id == customer.id
        }),
        &import,
    );
    Ok(())
}

async fn commerce(db: &Db) -> StoreResult<()> {
    use partnerd_domain::calendar::Date;
    use partnerd_domain::money::TierPrices;
    use partnerd_domain::terms::{Plan, SubscriptionPlan};
    use store::commerce::{
        self as co, ChangeRow, LineRow, OrderQuery, OrderRow, ScheduledTerm, SeatBatch,
        SubscriptionQuery, SubscriptionRow,
    };
    let customer = organization("buyer", OrgKind::Customer);
    let reseller = organization("seller", OrgKind::Partner);
    let provider = organization("supplier", OrgKind::Partner);
    insert_orgs(db, &[&customer, &reseller, &provider]).await?;

    let order = OrderRow {
        id: OrderId::generate(),
        customer_id: customer.id.clone(),
        reseller_organization_id: reseller.id.clone(),
        indirect_provider_id: provider.id.clone(),
        placed_by_organization_id: reseller.id.clone(),
        placed_by_user_id: Some(UserId::generate()),
        placed_by_api_key_id: Some(ApiKeyId::generate()),
        status: OrderStatus::Cancelled,
        total: money(9_876_543_210, "EUR"),
        created_at: at(90),
        version: 12,
    };
    let subscription_ids = [SubscriptionId::generate(), SubscriptionId::generate()];
    let lines: Vec<LineRow> = subscription_ids
        .iter()
        .zip(1..)
        .map(|(s, n)| LineRow {
            order_id: order.id.clone(),
            line_item_number: n,
            offer_id: format!("office-e{n}"),
            offer_name: format!("Office E{n} — annual"),
            quantity: 10 * n,
            subscription_id: s.clone(),
            friendly_name: Some(format!("Seats for team {n}")),
            plan: SubscriptionPlan::Paid(
                Plan::parse("P3Y", if n == 1 { "upfront" } else { "annual" }).expect("plan"),
            ),
            term_end_date: Date::parse("2029-02-28").expect("date"),
            prices: TierPrices {
                operator_to_provider: money(1_000 * n, "EUR"),
                provider_to_reseller: money(1_999 * n, "EUR"),
                reseller_to_customer: money(2_345 * n, "EUR"),
            },
        })
        .collect();
    let subscription = SubscriptionRow {
        id: subscription_ids[0].clone(),
        customer_id: customer.id.clone(),
        order_id: order.id.clone(),
        offer_id: "office-e1".into(),
        offer_name: "Office E1 — annual".into(),
        product_family: "office".into(),
        friendly_name: Some("Seats for team 1".into()),
        quantity: 10,
        plan: SubscriptionPlan::Paid(Plan::parse("P3Y", "upfront").expect("plan")),
        prices: TierPrices {
            operator_to_provider: money(1_000, "EUR"),
            provider_to_reseller: money(1_999, "EUR"),
            reseller_to_customer: money(2_345, "EUR"),
        },
        status: SubscriptionStatus::Suspended,
        auto_renew: true,
        term_start: at(91),
        term_end_date: Date::parse("2029-02-28").expect("date"),
        commitment_end: at(92),
        source_subscription_id: None,
        next_period: 7,
        next_event_at: Some(at(97)),
        scheduled: Some(ScheduledTerm {
            offer_id: "office-e3".into(),
            plan: Plan::parse("P1Y", "monthly").expect("plan"),
            quantity: 25,
        }),
        reseller_organization_id: reseller.id.clone(),
        indirect_provider_id: provider.id.clone(),
        suspended_by_organization_id: Some(provider.id.clone()),
        suspended_reason: Some("credit limit exceeded".into()),
        cancelled_at: Some(at(93)),
        disabled_at: Some(at(98)),
        deleted_at: Some(at(99)),
        created_at: at(94),
        updated_at: at(95),
        version: 13,
    };
    // A trial taken from it by a partial upgrade: the other plan shape and every
    // optional member absent.
    let trial = SubscriptionRow {
        id: subscription_ids[1].clone(),
        plan: SubscriptionPlan::Trial { days: 45 },
        source_subscription_id: Some(subscription.id.clone()),
        scheduled: None,
        next_event_at: None,
        suspended_by_organization_id: None,
        suspended_reason: None,
        cancelled_at: None,
        disabled_at: None,
        deleted_at: None,
        status: SubscriptionStatus::Active,
        auto_renew: false,
        ..subscription.clone()
    };
    let batches = [
        SeatBatch {
            position: 1,
            added_at: at(100),
            quantity: 10,
        },
        SeatBatch {
            position: 3,
            added_at: at(101),
            quantity: 4,
        },
    ];
    let change = ChangeRow {
        id: SubscriptionChangeId::generate(),
        subscription_id: subscription.id.clone(),
        at: at(96),
        by_organization_id: Some(provider.id.clone()),
        by_user_id: Some(UserId::generate()),
        by_api_key_id: Some(ApiKeyId::generate()),
        field: "status".into(),
        from_value: Some("active".into()),
        to_value: Some("suspended".into()),
    };
    let mut tx = db.begin().await?;
    co::insert_order(&mut tx, &order, &lines).await?;
    co::insert_subscription(&mut tx, &subscription).await?;
    co::insert_subscription(&mut tx, &trial).await?;
    co::insert_change(&mut tx, &change).await?;
    co::replace_seat_batches(&mut tx, &subscription.id, &batches).await?;
    assert!(co::record_trial(&mut tx, &customer.id, "office-e1", &trial.id, at(102)).await?);
    assert!(!co::record_trial(&mut tx, &customer.id, "office-e1", &trial.id, at(103)).await?);
    assert!(
        store::system_events::record(
            &mut tx,
            subscription.id.as_str(),
            "termEnd",
            at(92),
            at(104)
        )
        .await?
    );
    assert!(
        !store::system_events::record(
            &mut tx,
            subscription.id.as_str(),
            "termEnd",
            at(92),
            at(105)
        )
        .await?
    );
    tx.commit().await?;

    let mut c = db.conn().await?;
    same(
        "commerce::get_order",
        &found("get_order", co::get_order(&mut c, &order.id).await?),
        &order,
    );
    same(
        "commerce::order_lines",
        &co::order_lines(&mut c, &order.id).await?,
        &lines,
    );
    let listed = co::list_orders(
        &mut c,
        &OrderQuery {
            customer_id: customer.id.clone(),
            party: Some(provider.id.clone()),
            status: Some(OrderStatus::Cancelled),
            created_from: Some(at(0)),
            created_to: Some(at(1_000)),
        },
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "commerce::list_orders",
        &one_of("list_orders", listed.rows, |o| o.id == order.id),
        &order,
    );
    same(
        "commerce::get_subscription",
        &found(
            "get_subscription",
            co::get_subscription(&mut c, &subscription.id).await?,
        ),
        &subscription,
    );
    let listed = co::list_subscriptions(
        &mut c,
        &SubscriptionQuery {
            customer_id: customer.id.clone(),
            party: Some(reseller.id.clone()),
            status: Some(SubscriptionStatus::Suspended),
            cancelled: true,
            offer_id: Some("office-e1".into()),
            product_family: Some("office".into()),
            indirect_provider_id: Some(provider.id.clone()),
            reseller_organization_id: Some(reseller.id.clone()),
        },
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "commerce::list_subscriptions",
        &one_of("list_subscriptions", listed.rows, |s| {
            s.id == subscription.id
        }),
        &subscription,
    );
    same(
        "commerce::get_subscription (trial)",
        &found(
            "get_subscription",
            co::get_subscription(&mut c, &trial.id).await?,
        ),
        &trial,
    );
    same(
        "commerce::lock_subscription",
        &found(
            "lock_subscription",
            co::lock_subscription(&mut c, db.backend(), &subscription.id).await?,
        ),
        &subscription,
    );
    same(
        "commerce::seat_batches",
        &co::seat_batches(&mut c, &subscription.id).await?,
        &batches.to_vec(),
    );
    assert!(co::had_trial(&mut c, &customer.id, "office-e1").await?);
    assert!(!co::had_trial(&mut c, &customer.id, "office-e2").await?);
    same(
        "system_events::of_subject",
        &store::system_events::of_subject(&mut c, subscription.id.as_str()).await?,
        &vec![("termEnd".to_owned(), at(92), at(104))],
    );
    same(
        "commerce::due_for_events",
        &co::due_for_events(&mut c, at(97), 10).await?,
        &vec![subscription.id.clone()],
    );
    let changes = co::list_changes(&mut c, &subscription.id, &page()).await?;
    assert_eq!(changes.total, Some(1));
    same(
        "commerce::list_changes",
        &one_of("list_changes", changes.rows, |x| x.id == change.id),
        &change,
    );
    Ok(())
}

async fn offers(db: &Db) -> StoreResult<()> {
    use partnerd_domain::calendar::Month;
    use partnerd_domain::terms::{BillingFrequency, Plan, TermDuration};
    use store::offers::{
        self as of, Author, AuthorKind, OfferQuery, OfferRow, PriceVersionRow, PricedPlan, Trial,
    };
    let month = |s: &str| Month::parse(s).expect("a month");
    let plan = |t: &str, f: &str| Plan::parse(t, f).expect("a plan");
    // The store reads an offer's price for the month of the application's clock.
    let at_month = |m: &str| {
        let start = month(m).start();
        db.clone()
            .with_clock(store::Clock::new(move || start.plus_millis(3_600_000)))
    };
    let july = at_month("2025-07");

    // Two offers the third upgrades to and needs.
    let plain = |id: &str, n: i64| OfferRow {
        id: id.into(),
        name: format!("Ultra {id}"),
        product_family: "ultra".into(),
        billing_cycle: "monthly".into(),
        unit_price: money(100 * n, "CHF"),
        min_quantity: 1,
        max_quantity: 10,
        requires_admin_agent: false,
        status: OfferStatus::Available,
        description: None,
        created_at: at(100 + n),
        updated_at: at(100 + n),
        version: 1,
        default_plan: plan("P1M", "monthly"),
        max_quantity_per_customer: None,
        trial: None,
        upgrade_targets: vec![],
        prerequisite_offer_ids: vec![],
    };
    let version = |offer: &str, m: &str, n: i64, prices: Vec<(Plan, i64)>| PriceVersionRow {
        offer_id: offer.into(),
        effective_from: month(m),
        created_at: at(200 + n),
        created_by: Author {
            kind: AuthorKind::User,
            user_id: Some(UserId::generate()),
            api_key_id: None,
            name: Some("olivia@operator.example".into()),
        },
        prices,
    };
    let base = plain("ultra-base", 1);
    let next = plain("ultra-max", 2);
    let annual = plan("P1Y", "annual");
    let monthly = plan("P1Y", "monthly");
    let upfront = plan("P3Y", "upfront");
    let written = OfferRow {
        id: "ultra-suite-annual".into(),
        name: "Ultra Suite (annual) — Zoë edition".into(),
        product_family: "ultra".into(),
        billing_cycle: "annual".into(),
        unit_price: money(123_456_789_012, "CHF"),
        min_quantity: 5,
        max_quantity: 50_000,
        requires_admin_agent: true,
        status: OfferStatus::Retired,
        description: Some("Everything, \"ultra\".".into()),
        created_at: at(110),
        updated_at: at(111),
        version: 14,
        default_plan: annual,
        max_quantity_per_customer: Some(77),
        trial: Some(Trial {
            days: 45,
            max_quantity: 12,
        }),
        upgrade_targets: vec!["ultra-max".into(), "ultra-base".into()],
        prerequisite_offer_ids: vec!["ultra-base".into()],
    };
    let first = version(
        &written.id,
        "2025-07",
        1,
        vec![(monthly, 1_100), (annual, 123_456_789_012), (upfront, 0)],
    );
    let september = PriceVersionRow {
        created_by: Author {
            kind: AuthorKind::ApiKey,
            user_id: None,
            api_key_id: Some(ApiKeyId::generate()),
            name: Some("price robot".into()),
        },
        ..version(
            &written.id,
            "2025-09",
            2,
            vec![(monthly, 1_200), (annual, 13_200), (upfront, 36_000)],
        )
    };
    let mut tx = july.begin().await?;
    for o in [&base, &next] {
        of::insert(
            &mut tx,
            o,
            &[o.default_plan],
            &version(
                &o.id,
                "2025-07",
                0,
                vec![(o.default_plan, o.unit_price.minor())],
            ),
        )
        .await?;
    }
    of::insert(&mut tx, &written, &[monthly, annual, upfront], &first).await?;
    of::put_version(&mut tx, &september).await?;
    tx.commit().await?;

    // The pool holds two connections: one at a time here.
    let mut c = july.conn().await?;
    same(
        "offers::get",
        &found("get", of::get(&mut c, &written.id).await?),
        &written,
    );
    drop(c);
    // From September the default plan's price is September's.
    let mut autumn = at_month("2025-10").conn().await?;
    same(
        "offers::get in October",
        &found("get", of::get(&mut autumn, &written.id).await?),
        &OfferRow {
            unit_price: money(13_200, "CHF"),
            ..written.clone()
        },
    );
    drop(autumn);
    // Before the first version, the first version's prices show.
    let mut spring = at_month("2025-03").conn().await?;
    same(
        "offers::get before the first version",
        &found("get", of::get(&mut spring, &written.id).await?),
        &written,
    );
    drop(spring);
    let mut c = july.conn().await?;
    let listed = of::list(
        &mut c,
        &OfferQuery {
            product_family: Some("ultra".into()),
            term_duration: Some(TermDuration::P3Y),
            billing_frequency: Some(BillingFrequency::Upfront),
            any_plan: Some(vec![plan("P1M", "monthly"), annual]),
            trial: Some(true),
            add_on: Some(true),
            status: Some(OfferStatus::Retired),
            q: Some("SUITE".into()),
        },
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "offers::list",
        &one_of("list", listed.rows, |o| o.id == written.id),
        &written,
    );
    for (query, expected) in [
        (
            OfferQuery {
                term_duration: Some(TermDuration::P1M),
                billing_frequency: Some(BillingFrequency::Annual),
                ..OfferQuery::default()
            },
            0,
        ),
        (
            OfferQuery {
                billing_frequency: Some(BillingFrequency::Monthly),
                ..OfferQuery::default()
            },
            3,
        ),
        (
            OfferQuery {
                any_plan: Some(vec![upfront]),
                ..OfferQuery::default()
            },
            1,
        ),
        (
            OfferQuery {
                any_plan: Some(vec![]),
                ..OfferQuery::default()
            },
            0,
        ),
        (
            OfferQuery {
                trial: Some(false),
                add_on: Some(false),
                ..OfferQuery::default()
            },
            2,
        ),
    ] {
        let found = of::list(&mut c, &query, &page()).await?;
        assert_eq!(found.total, Some(expected), "{query:?}");
    }
    assert_eq!(
        of::plans(&mut c, &written.id).await?,
        vec![monthly, annual, upfront]
    );
    for (m, price) in [
        ("2025-06", None),
        ("2025-07", Some(123_456_789_012)),
        ("2025-08", Some(123_456_789_012)),
        ("2025-09", Some(13_200)),
        ("2031-01", Some(13_200)),
    ] {
        assert_eq!(
            of::list_price(&mut c, &written.id, annual, month(m)).await?,
            price,
            "{m}"
        );
    }
    assert_eq!(
        of::list_price(&mut c, &written.id, plan("P3Y", "annual"), month("2025-09")).await?,
        None
    );
    let versions = of::versions(&mut c, &written.id, &page()).await?;
    assert_eq!(versions.total, Some(2));
    same(
        "offers::versions",
        &versions.rows,
        &vec![first.clone(), september.clone()],
    );
    same(
        "offers::get_version",
        &found(
            "get_version",
            of::get_version(&mut c, &written.id, month("2025-09")).await?,
        ),
        &september,
    );
    same(
        "offers::version_for",
        &found(
            "version_for",
            of::version_for(&mut c, &written.id, month("2025-08")).await?,
        ),
        &first,
    );
    assert!(
        of::get_version(&mut c, &written.id, month("2025-08"))
            .await?
            .is_none()
    );
    let mut names = of::names_of(
        &mut c,
        &["ultra-max".into(), "nope".into(), written.id.clone()],
    )
    .await?;
    names.sort();
    assert_eq!(
        names,
        vec![
            (
                "ultra-max".to_owned(),
                "Ultra ultra-max".to_owned(),
                "ultra".to_owned()
            ),
            (
                written.id.clone(),
                written.name.clone(),
                written.product_family.clone()
            )
        ]
    );
    drop(c);

    // A plan sold later is priced in the version effective then and every later
    // one, not in earlier ones; versions, links, cap and trial change.
    let three_annual = plan("P3Y", "annual");
    let mut tx = at_month("2025-08").begin().await?;
    of::save_plans(
        &mut tx,
        &written.id,
        &[upfront, monthly, annual, three_annual],
    )
    .await?;
    of::price_new_plan(&mut tx, &written.id, three_annual, month("2025-08"), 9_900).await?;
    assert!(of::delete_version(&mut tx, &written.id, month("2025-09")).await?);
    assert!(!of::delete_version(&mut tx, &written.id, month("2025-09")).await?);
    let changed = OfferRow {
        name: "Ultra Suite".into(),
        upgrade_targets: vec!["ultra-base".into()],
        prerequisite_offer_ids: vec![],
        max_quantity_per_customer: None,
        trial: None,
        default_plan: three_annual,
        billing_cycle: "annual".into(),
        updated_at: at(112),
        ..written.clone()
    };
    assert!(of::update(&mut tx, &changed).await?);
    assert!(
        !of::update(&mut tx, &changed).await?,
        "the version moved on"
    );
    tx.commit().await?;
    let mut c = july.conn().await?;
    same(
        "offers::get after update",
        &found("get", of::get(&mut c, &written.id).await?),
        &OfferRow {
            version: 15,
            unit_price: money(9_900, "CHF"),
            ..changed
        },
    );
    assert_eq!(
        of::plans(&mut c, &written.id).await?,
        vec![upfront, monthly, annual, three_annual]
    );
    same(
        "offers::priced_plans",
        &of::priced_plans(
            &mut c,
            &[written.id.clone(), base.id.clone()],
            month("2025-07"),
        )
        .await?,
        &vec![
            PricedPlan {
                offer_id: base.id.clone(),
                plan: base.default_plan,
                unit_price: Some(100),
            },
            PricedPlan {
                offer_id: written.id.clone(),
                plan: upfront,
                unit_price: Some(0),
            },
            PricedPlan {
                offer_id: written.id.clone(),
                plan: monthly,
                unit_price: Some(1_100),
            },
            PricedPlan {
                offer_id: written.id.clone(),
                plan: annual,
                unit_price: Some(123_456_789_012),
            },
            PricedPlan {
                offer_id: written.id.clone(),
                plan: three_annual,
                unit_price: Some(9_900),
            },
        ],
    );
    assert_eq!(
        of::families(&mut c).await?,
        vec![("ultra".to_owned(), true)]
    );
    Ok(())
}

async fn registry(db: &Db) -> StoreResult<()> {
    use store::registry::{self as re, AccountRow, MembershipQuery, MembershipRow};
    let org = organization("registry", OrgKind::Partner);
    insert_orgs(db, &[&org]).await?;
    let membership = MembershipRow {
        membership_id: "MPN-0001234".into(),
        legal_name: "Contoso Registry Zoë AG".into(),
        country: "CH".into(),
        linked_organization_id: Some(org.id.clone()),
        created_at: at(120),
        updated_at: at(121),
        version: 15,
    };
    let account = AccountRow {
        id: RegistryAccountId::generate(),
        username: "Zoe.Registry".into(),
        username_norm: "zoe.registry".into(),
        password_hash: "$argon2id$v=19$registry".into(),
        membership_ids: "MPN-0001234,MPN-0005678".into(),
        created_at: at(122),
        updated_at: at(123),
        version: 16,
    };
    let mut tx = db.begin().await?;
    re::insert_membership(&mut tx, &membership).await?;
    re::insert_account(&mut tx, &account).await?;
    tx.commit().await?;

    let mut c = db.conn().await?;
    same(
        "registry::get_membership",
        &found(
            "get_membership",
            re::get_membership(&mut c, &membership.membership_id).await?,
        ),
        &membership,
    );
    let listed = re::list_memberships(
        &mut c,
        &MembershipQuery {
            country: Some("CH".into()),
            legal_name: Some("contoso reg".into()),
            linked: Some(true),
        },
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "registry::list_memberships",
        &one_of("list_memberships", listed.rows, |m| {
            m.membership_id == membership.membership_id
        }),
        &membership,
    );
    same(
        "registry::memberships_in",
        &re::memberships_in(
            &mut c,
            &[membership.membership_id.clone(), "MPN-missing".into()],
        )
        .await?,
        &vec![membership.clone()],
    );
    same(
        "registry::get_account",
        &found("get_account", re::get_account(&mut c, &account.id).await?),
        &account,
    );
    same(
        "registry::find_account",
        &found(
            "find_account",
            re::find_account(&mut c, &account.username_norm).await?,
        ),
        &account,
    );
    let listed = re::list_accounts(&mut c, &page()).await?;
    assert_eq!(listed.total, Some(1));
    same(
        "registry::list_accounts",
        &one_of("list_accounts", listed.rows, |a| a.id == account.id),
        &account,
    );
    Ok(())
}

async fn providers(db: &Db) -> StoreResult<()> {
    use store::providers::{self as p, DirectoryQuery, ProviderRow};
    let org = organization("directory", OrgKind::Partner);
    insert_orgs(db, &[&org]).await?;
    // No row-taking insert: `authorize` creates the row (listed, version 1: the
    // store's own starting values) and `update_listing` writes the listing's own
    // fields, bumping the version. The name is the organisation's.
    let mut tx = db.begin().await?;
    p::authorize(
        &mut tx,
        &org.id,
        &org.name,
        "DE,FR",
        "office,azure",
        at(130),
    )
    .await?;
    let listing = ProviderRow {
        organization_id: org.id.clone(),
        name: org.name.clone(),
        countries: "DE,FR".into(),
        product_families: "office,azure".into(),
        authorized_at: at(130),
        updated_at: at(131),
        version: 2,
        listed: true,
        description: Some("Distributor for the DACH region — 24/7".into()),
        website: Some("https://directory.contoso.example/".into()),
        contact_email: Some("partners@contoso.example".into()),
    };
    p::update_listing(&mut tx, &listing, at(131)).await?;
    tx.commit().await?;

    let mut c = db.conn().await?;
    same(
        "providers::get",
        &found("get", p::get(&mut c, &org.id).await?),
        &listing,
    );
    let listed = p::directory(
        &mut c,
        &DirectoryQuery {
            country: Some("FR".into()),
            name: Some("DIRECTORY".into()),
            product_family: Some("azure".into()),
        },
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "providers::directory",
        &one_of("directory", listed.rows, |x| x.organization_id == org.id),
        &listing,
    );
    Ok(())
}

async fn support(db: &Db) -> StoreResult<()> {
    use store::support::{
        self as su, IncidentQuery, IncidentRow, IncidentUpdateRow, NoteRow, RequestQuery,
        RequestRow,
    };
    let partner = organization("helpdesk", OrgKind::Partner);
    let customer = organization("patient", OrgKind::Customer);
    insert_orgs(db, &[&partner, &customer]).await?;
    let contact = UserId::generate();
    let request = RequestRow {
        id: ServiceRequestId::generate(),
        organization_id: partner.id.clone(),
        customer_id: Some(customer.id.clone()),
        scope: "customer".into(),
        title: "Seats not showing — urgent".into(),
        description: "After the order, 0 of 10 seats are visible.\nSecond line.".into(),
        severity: "critical".into(),
        category: "licensing".into(),
        product_family: Some("office".into()),
        status: ServiceRequestStatus::AttentionNeeded,
        primary_contact_user_id: Some(contact.clone()),
        primary_contact_email: Some("zoe@helpdesk.example".into()),
        assigned_to: Some("operator-queue-2".into()),
        created_at: at(140),
        last_modified_at: at(141),
        closed_at: Some(at(142)),
        version: 17,
    };
    let notes = vec![
        NoteRow {
            id: ServiceRequestNoteId::generate(),
            request_id: request.id.clone(),
            text: "We are looking into it.".into(),
            author_user_id: Some(UserId::generate()),
            author_organization_id: partner.id.clone(),
            author_name: "Operator Olivia".into(),
            created_at: at(143),
        },
        NoteRow {
            id: ServiceRequestNoteId::generate(),
            request_id: request.id.clone(),
            text: "Thanks — still broken.".into(),
            author_user_id: Some(contact.clone()),
            author_organization_id: customer.id.clone(),
            author_name: "Zoë".into(),
            created_at: at(144),
        },
    ];
    let incident = IncidentRow {
        id: IncidentId::generate(),
        title: "Provisioning delays".into(),
        product_families: "office,azure".into(),
        severity: "major".into(),
        status: ServiceIncidentStatus::Resolved,
        message: "Orders take up to 30 minutes to provision.".into(),
        started_at: at(145),
        resolved_at: Some(at(146)),
        created_at: at(147),
        updated_at: at(148),
        version: 18,
    };
    let updates = vec![
        IncidentUpdateRow {
            id: IncidentUpdateId::generate(),
            incident_id: incident.id.clone(),
            message: "Investigating.".into(),
            posted_at: at(149),
        },
        IncidentUpdateRow {
            id: IncidentUpdateId::generate(),
            incident_id: incident.id.clone(),
            message: "Resolved; backlog cleared.".into(),
            posted_at: at(150),
        },
    ];
    let mut tx = db.begin().await?;
    su::insert_request(&mut tx, &request).await?;
    for n in &notes {
        su::insert_note(&mut tx, n).await?;
    }
    su::insert_incident(&mut tx, &incident).await?;
    for u in &updates {
        su::insert_incident_update(&mut tx, u).await?;
    }
    tx.commit().await?;

    let mut c = db.conn().await?;
    same(
        "support::get_request",
        &found("get_request", su::get_request(&mut c, &request.id).await?),
        &request,
    );
    let listed = su::list_requests(
        &mut c,
        &RequestQuery {
            organization_id: Some(partner.id.clone()),
            status: Some(ServiceRequestStatus::AttentionNeeded),
            customer_id: Some(customer.id.clone()),
            scope: Some("customer".into()),
        },
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "support::list_requests",
        &one_of("list_requests", listed.rows, |r| r.id == request.id),
        &request,
    );
    same(
        "support::notes",
        &su::notes(&mut c, &request.id).await?,
        &notes,
    );
    same(
        "support::get_incident",
        &found(
            "get_incident",
            su::get_incident(&mut c, &incident.id).await?,
        ),
        &incident,
    );
    let listed = su::list_incidents(
        &mut c,
        &IncidentQuery {
            status: Some(ServiceIncidentStatus::Resolved),
            families: Some(vec!["azure".into()]),
            since: Some(at(0)),
        },
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "support::list_incidents",
        &one_of("list_incidents", listed.rows, |i| i.id == incident.id),
        &incident,
    );
    same(
        "support::incident_updates",
        &su::incident_updates(&mut c, &incident.id).await?,
        &updates,
    );
    Ok(())
}

async fn webhooks(db: &Db) -> StoreResult<()> {
    use store::webhooks::{self as w, DeliveryRow, WebhookRow};
    let org = organization("hooks", OrgKind::Partner);
    insert_orgs(db, &[&org]).await?;
    let webhook = WebhookRow {
        id: WebhookId::generate(),
        organization_id: org.id.clone(),
        url: "https://hooks.contoso.example/partnerd?token=a%20b&x=1".into(),
        events: "subscription.updated,order.created".into(),
        description: Some("Billing sync — prod".into()),
        enabled: true,
        secret: "whsec_current".into(),
        previous_secret: Some("whsec_previous".into()),
        previous_secret_until: Some(at(160)),
        created_at: at(161),
        updated_at: at(162),
        version: 19,
    };
    let delivery = DeliveryRow {
        id: DeliveryId::generate(),
        webhook_id: webhook.id.clone(),
        event_id: EventId::generate(),
        event_type: "order.created".into(),
        payload: r#"{"type":"order.created","data":{"id":"ord_1","total":"12.34"}}"#.into(),
        attempt: 8,
        status: WebhookDeliveryStatus::Failed,
        response_status: Some(503),
        duration_ms: Some(10_001),
        next_attempt_at: Some(at(163)),
        created_at: at(164),
    };
    let mut tx = db.begin().await?;
    w::insert(&mut tx, &webhook).await?;
    w::insert_delivery(&mut tx, &delivery).await?;
    tx.commit().await?;

    let mut c = db.conn().await?;
    same(
        "webhooks::get",
        &found("get", w::get(&mut c, &webhook.id).await?),
        &webhook,
    );
    let listed = w::list(&mut c, &org.id, &page()).await?;
    assert_eq!(listed.total, Some(1));
    same(
        "webhooks::list",
        &one_of("list", listed.rows, |x| x.id == webhook.id),
        &webhook,
    );
    same(
        "webhooks::enabled_for",
        &w::enabled_for(&mut c, std::slice::from_ref(&org.id)).await?,
        &vec![webhook.clone()],
    );
    same(
        "webhooks::get_delivery",
        &found("get_delivery", w::get_delivery(&mut c, &delivery.id).await?),
        &delivery,
    );
    let listed = w::list_deliveries(
        &mut c,
        &webhook.id,
        Some(WebhookDeliveryStatus::Failed),
        &page(),
    )
    .await?;
    assert_eq!(listed.total, Some(1));
    same(
        "webhooks::list_deliveries",
        &one_of("list_deliveries", listed.rows, |d| d.id == delivery.id),
        &delivery,
    );
    Ok(())
}

async fn outbox(db: &Db) -> StoreResult<()> {
    use store::outbox::{self as ob, OutboxRow};
    let id = OutboxId::generate();
    let topic = "mail:enrollment-approved";
    let payload = r#"{"to":"zoe@contoso.example","subject":"Willkommen — ça marche"}"#;
    // No row-taking insert: `enqueue` takes the fields and starts the row itself as
    // pending, with no attempt yet, due at once.
    let mut tx = db.begin().await?;
    ob::enqueue(&mut tx, &id, "mail", topic, payload, at(170)).await?;
    tx.commit().await?;

    let mut c = db.conn().await?;
    assert_eq!(
        ob::status(&mut c, &id).await?,
        Some((OutboxStatus::Pending, 0, None))
    );
    assert_eq!(
        ob::kind_and_status(&mut c, &id).await?,
        Some(("mail".to_owned(), OutboxStatus::Pending))
    );
    assert_eq!(ob::count_pending(&mut c).await?, 1);
    drop(c);

    // The row reads back whole when claimed; `attempts` counts this attempt.
    let claimed = ob::claim(db, at(171), 60_000, 10).await?;
    same(
        "outbox::claim",
        &claimed,
        &vec![OutboxRow {
            id: id.clone(),
            kind: "mail".into(),
            topic: topic.into(),
            payload: payload.into(),
            attempts: 1,
            created_at: at(170),
        }],
    );
    let mut tx = db.begin().await?;
    ob::mark_failed(&mut tx, &id, at(172), "550 mailbox unavailable — «x»").await?;
    tx.commit().await?;
    let mut c = db.conn().await?;
    assert_eq!(
        ob::status(&mut c, &id).await?,
        Some((
            OutboxStatus::Failed,
            1,
            Some("550 mailbox unavailable — «x»".to_owned())
        ))
    );
    assert_eq!(
        ob::failed_mail(&mut c, 10).await?,
        vec![(
            id.clone(),
            topic.to_owned(),
            Some("550 mailbox unavailable — «x»".to_owned()),
            Some(at(172))
        )]
    );
    Ok(())
}

/// Expects `result` to be refused by the unique index `index`.
#[track_caller]
fn refused_by<T: std::fmt::Debug>(what: &str, result: StoreResult<T>, index: &str) {
    match result {
        Err(e) if e.is_unique(index) => {}
        other => panic!("{what}: expected a violation of {index}, got {other:?}"),
    }
}

/// One active link per pair: a second active relationship or delegation for the
/// same two organisations is refused by its index (the same name on both
/// backends), while ended ones for the pair may be many.
async fn active_pairs(db: &Db) -> StoreResult<()> {
    use store::connections::{self as r, RelationshipRow};
    use store::customers::{self as cu, CustomerRelationshipRow, DelegationRow};
    let provider = organization("pairprovider", OrgKind::Partner);
    let reseller = organization("pairreseller", OrgKind::Partner);
    let customer = organization("paircustomer", OrgKind::Customer);
    insert_orgs(db, &[&provider, &reseller, &customer]).await?;

    let relationship = RelationshipRow {
        id: ResellerRelationshipId::generate(),
        provider_organization_id: provider.id.clone(),
        reseller_organization_id: reseller.id.clone(),
        state: ResellerRelationshipStatus::Active,
        created_at: at(200),
        terminated_at: None,
        terminated_by_organization_id: None,
        terminated_by_user_id: None,
        version: 1,
    };
    let ended = |id| RelationshipRow {
        id,
        state: ResellerRelationshipStatus::Terminated,
        ..relationship.clone()
    };
    let mut tx = db.begin().await?;
    r::insert_relationship(&mut tx, &relationship).await?;
    r::insert_relationship(&mut tx, &ended(ResellerRelationshipId::generate())).await?;
    r::insert_relationship(&mut tx, &ended(ResellerRelationshipId::generate())).await?;
    tx.commit().await?;
    let mut tx = db.begin().await?;
    let second = RelationshipRow {
        id: ResellerRelationshipId::generate(),
        ..relationship.clone()
    };
    refused_by(
        "a second active reseller relationship",
        r::insert_relationship(&mut tx, &second).await,
        "partner_relationships_active_pair",
    );
    drop(tx);
    // Once the first has ended, the pair may start again.
    let mut tx = db.begin().await?;
    assert!(r::terminate_relationship(&mut tx, &relationship, "x", None, at(201)).await?);
    r::insert_relationship(&mut tx, &second).await?;
    tx.commit().await?;
    let mut c = db.conn().await?;
    let now_active = r::active_between(&mut c, &provider.id, &reseller.id).await?;
    same("connections::active_between", &now_active, &Some(second));
    drop(c);

    let link = CustomerRelationshipRow {
        id: CustomerRelationshipId::generate(),
        customer_id: customer.id.clone(),
        partner_organization_id: reseller.id.clone(),
        role: "indirectReseller".into(),
        linked_reseller_id: None,
        request_id: None,
        state: CustomerRelationshipStatus::Active,
        created_at: at(210),
        terminated_at: None,
        terminated_by_organization_id: None,
        terminated_by_user_id: None,
        version: 1,
    };
    let delegation = DelegationRow {
        id: DelegatedAdminId::generate(),
        partner_organization_id: reseller.id.clone(),
        customer_id: customer.id.clone(),
        status: DelegatedAdminStatus::Active,
        duration_days: 90,
        activated_at: at(211),
        expires_at: at(212),
        terminated_at: None,
        terminated_by_organization_id: None,
        terminated_by_user_id: None,
        warned_at: None,
        version: 1,
    };
    let mut tx = db.begin().await?;
    cu::insert_relationship(&mut tx, &link).await?;
    cu::insert_delegation(&mut tx, &delegation).await?;
    tx.commit().await?;
    let mut tx = db.begin().await?;
    refused_by(
        "a second active customer relationship",
        cu::insert_relationship(
            &mut tx,
            &CustomerRelationshipRow {
                id: CustomerRelationshipId::generate(),
                ..link.clone()
            },
        )
        .await,
        "customer_relationships_active_pair",
    );
    drop(tx);
    let mut tx = db.begin().await?;
    refused_by(
        "a second active delegation",
        cu::insert_delegation(
            &mut tx,
            &DelegationRow {
                id: DelegatedAdminId::generate(),
                ..delegation.clone()
            },
        )
        .await,
        "delegated_admin_relationships_active_pair",
    );
    drop(tx);
    let mut c = db.conn().await?;
    same(
        "customers::active_delegation",
        &cu::active_delegation(&mut c, &reseller.id, &customer.id).await?,
        &Some(delegation),
    );
    Ok(())
}
