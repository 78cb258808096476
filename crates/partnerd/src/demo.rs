//! `partnerd demo`: a fresh platform on an embedded SQLite file, with sample
//! organisations, their sign-ins printed, served until Ctrl-C.

use partnerd_app::Conflict;
use partnerd_domain::ids::{OrgId, SubscriptionId};
use std::io::Write;
use std::path::Path;

use partnerd_app::auth::SignInInput;
use partnerd_app::bootstrap::BootstrapInput;
use partnerd_app::catalog::{
    BillingPlanInput, MoneyInput, OfferInput, PlanInput, PriceInput, TermInput, TrialInput,
};
use partnerd_app::commerce::{LicenseUpdate, LineInput, OrderInput, SubscriptionChanges};
use partnerd_app::connections::InvitationInput;
use partnerd_app::customers::{AcceptConsent, RequestInput};
use partnerd_app::enrollment::{
    Address, LegalProfile, PrimaryContact, StartEnrollmentInput, SupportProfile, TenantInput,
};
use partnerd_app::organizations::NewOrganizationInput;
use partnerd_app::providers::{AuthorizationInput, ListingChanges};
use partnerd_app::registry::{AccountInput, MembershipInput};
use partnerd_app::support::{IncidentInput, ServiceRequestChanges, ServiceRequestInput};
use partnerd_app::users::NewUserInput;
use partnerd_app::{App, AppError, Ctx, MailTransportConfig};

use crate::config::Config;
use crate::server::{self, StartOptions};

pub async fn run(mut config: Config, data_dir: &Path) -> i32 {
    if data_dir.exists()
        && let Err(e) = std::fs::remove_dir_all(data_dir)
    {
        eprintln!("partnerd: cannot empty {}: {e}", data_dir.display());
        return 1;
    }
    if let Err(e) = std::fs::create_dir_all(data_dir) {
        eprintln!("partnerd: cannot create {}: {e}", data_dir.display());
        return 1;
    }
    config.database_url = format!("sqlite://{}", data_dir.join("partnerd.db").display());
    config.auto_migrate = true;
    config.app.mail_transport = MailTransportConfig::Dir(data_dir.join("mail"));
    let running = match server::start(config, StartOptions::default()).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("partnerd: {e}");
            return 1;
        }
    };
    let people = match seed(&running.app).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("partnerd: demo set-up failed: {e}");
            return 1;
        }
    };
    let url = running.app.config().public_url.clone();
    let stop = server::termination();
    println!("listening on http://{}", running.addr);
    println!();
    println!("partnerd demo is running at {url}");
    println!(
        "Data folder: {} (emptied on every start)",
        data_dir.display()
    );
    println!();
    println!("Sign-ins (where a password is temporary, you choose your own at first sign-in):");
    for (who, email, password) in &people {
        println!("  {who:<44} {email:<30} {password}");
    }
    println!();
    println!("Mail is written to {}", data_dir.join("mail").display());
    println!("Press Ctrl-C to stop.");
    let _ = std::io::stdout().flush();
    stop.await;
    match running.shutdown().await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("partnerd: {e}");
            1
        }
    }
}

/// The demo's platform on `app`: the operator and every sample organisation, made
/// through the same use cases the portal and the API call. Returns the sign-ins
/// as (who, e-mail, password or link), the operator's first.
pub async fn seed(app: &App) -> Result<Vec<(String, String, String)>, AppError> {
    let operator = app
        .bootstrap(BootstrapInput {
            name: "Contoso Cloud".into(),
            domain_prefix: "contoso-cloud".into(),
            country: "US".into(),
            admin_email: "admin@contoso-cloud.example".into(),
            admin_first_name: "Olivia".into(),
            admin_last_name: "Operator".into(),
        })
        .await
        .map_err(|e| match e {
            partnerd_app::bootstrap::CliError::App(e) => e,
            other => AppError::conflict(Conflict::Concurrent, other.to_string()),
        })?;
    let mut people = vec![(
        "Contoso Cloud (operator), global admin".to_owned(),
        operator.email.clone(),
        operator.temporary_password.clone(),
    )];
    people.extend(sample_organisations(app, &operator.email, &operator.temporary_password).await?);
    service_desk(app, &people).await?;
    billing(app, &people).await?;
    Ok(people)
}

/// A partner organisation (not yet in a programme) with people in different roles,
/// created through the same use cases the portal and the API call.
async fn sample_organisations(
    app: &App,
    operator_email: &str,
    operator_password: &str,
) -> Result<Vec<(String, String, String)>, AppError> {
    let ctx = Ctx {
        request_id: "demo".into(),
        ..Ctx::default()
    };
    let signed = app
        .sign_in(
            &ctx,
            Ok(SignInInput {
                email: operator_email.into(),
                password: operator_password.into(),
            }),
        )
        .await?;
    let operator = app.authenticate(&signed.token).await?;
    let partner = app
        .create_organization(
            &operator,
            &ctx,
            Ok(NewOrganizationInput {
                name: "Fabrikam Distribution".into(),
                legal_name: "Fabrikam Distribution GmbH".into(),
                country: "DE".into(),
                domain_prefix: "fabrikam".into(),
                admin_email: "gina@fabrikam.example".into(),
                admin_first_name: "Gina".into(),
                admin_last_name: "Global".into(),
            }),
        )
        .await?;
    let mut people = vec![(
        "Fabrikam (partner), global admin".to_owned(),
        partner.admin_user.email.clone(),
        partner.temporary_password.clone(),
    )];
    let signed = app
        .sign_in(
            &ctx,
            Ok(SignInInput {
                email: partner.admin_user.email.clone(),
                password: partner.temporary_password.clone(),
            }),
        )
        .await?;
    let admin = app.authenticate(&signed.token).await?;
    for (first, role, label) in [
        ("Sam", "salesAgent", "sales agent"),
        ("Hana", "helpdeskAgent", "helpdesk agent"),
        ("Uma", "userManagementAdmin", "user management admin"),
    ] {
        let email = format!("{}@fabrikam.example", first.to_lowercase());
        let created = app
            .create_user(
                &admin,
                &ctx,
                Ok(NewUserInput {
                    email: email.clone(),
                    first_name: first.into(),
                    last_name: "Sample".into(),
                    roles: vec![role.into()],
                }),
            )
            .await?;
        people.push((
            format!("Fabrikam (partner), {label}"),
            email,
            created.temporary_password,
        ));
    }
    // A small catalog, and Fabrikam authorised to sell it as indirect provider.
    catalog(app, &operator, &ctx).await?;
    app.authorize_provider(
        &operator,
        &ctx,
        &partner.organization.id,
        Ok(AuthorizationInput {
            countries: vec!["DE".into(), "AT".into(), "CH".into()],
            product_families: vec![
                "Microsoft 365".into(),
                "Azure".into(),
                "Dynamics 365".into(),
            ],
        }),
    )
    .await?;
    let admin = app.authenticate(&signed.token).await?;
    app.update_listing(
        &admin,
        &ctx,
        &partner.organization.id,
        None,
        Ok(ListingChanges {
            description: Some("Cloud distribution for resellers in Germany, Austria and Switzerland: billing, credit, training and 24/7 support.".into()),
            website: Some("https://fabrikam.example".into()),
            contact_email: Some("partners@fabrikam.example".into()),
            listed: Some(true),
        }),
    )
    .await?;
    // The set-up sessions are not anybody's; end them.
    app.sign_out(&admin, &ctx).await?;
    enrollments(app, &ctx, &operator, &mut people).await?;
    app.sign_out(&operator, &ctx).await?;
    connections(app, &ctx, &mut people).await?;
    Ok(people)
}

/// One offer of the sample catalog.
struct SampleOffer {
    id: &'static str,
    name: &'static str,
    family: &'static str,
    /// `(term, [(frequency, price)])`, the first plan the default unless named.
    terms: &'static [(&'static str, &'static [(&'static str, &'static str)])],
    default: Option<(&'static str, &'static str)>,
    admin_agent: bool,
    per_customer: Option<i64>,
    trial: bool,
    upgrades_to: &'static [&'static str],
    needs: &'static [&'static str],
    description: &'static str,
}

/// The terms of a sample offer as a request's.
fn terms_of(terms: &[(&str, &[(&str, &str)])], currency: &str) -> Vec<TermInput> {
    terms
        .iter()
        .map(|(term, plans)| TermInput {
            term_duration: (*term).into(),
            billing_plans: plans
                .iter()
                .map(|(frequency, price)| BillingPlanInput {
                    billing_frequency: (*frequency).into(),
                    unit_price: MoneyInput {
                        amount: (*price).into(),
                        currency: currency.into(),
                    },
                })
                .collect(),
        })
        .collect()
}

/// The sample catalog, sold the new-commerce way: the Business suites on yearly
/// and monthly terms (Premium on every plan, up to three years paid up front), an
/// upgrade path Basic → Standard → Premium with the Business suites' limit of 300
/// seats per customer, Teams Phone as an add-on of the suites, a Dynamics trial,
/// and Business Basic's price rise scheduled for next month.
async fn catalog(app: &App, operator: &partnerd_app::Principal, ctx: &Ctx) -> Result<(), AppError> {
    const SUITES: &[&str] = &[
        "m365-business-basic",
        "m365-business-standard",
        "m365-business-premium",
        "m365-e3",
    ];
    let offers = [
        SampleOffer {
            id: "m365-business-premium",
            name: "Microsoft 365 Business Premium",
            family: "Microsoft 365",
            terms: &[
                ("P1Y", &[("monthly", "22.00"), ("annual", "264.00")]),
                ("P1M", &[("monthly", "26.40")]),
                (
                    "P3Y",
                    &[
                        ("monthly", "21.00"),
                        ("annual", "252.00"),
                        ("upfront", "756.00"),
                    ],
                ),
            ],
            default: None,
            admin_agent: false,
            per_customer: Some(300),
            trial: false,
            upgrades_to: &[],
            needs: &[],
            description: "Office apps, e-mail and files with advanced security and device management, for organisations of up to 300 people.",
        },
        SampleOffer {
            id: "m365-business-standard",
            name: "Microsoft 365 Business Standard",
            family: "Microsoft 365",
            terms: &[
                ("P1Y", &[("monthly", "12.50"), ("annual", "150.00")]),
                ("P1M", &[("monthly", "15.00")]),
            ],
            default: None,
            admin_agent: false,
            per_customer: Some(300),
            trial: false,
            upgrades_to: &["m365-business-premium"],
            needs: &[],
            description: "Desktop Office apps with e-mail, files and meetings.",
        },
        SampleOffer {
            id: "m365-business-basic",
            name: "Microsoft 365 Business Basic",
            family: "Microsoft 365",
            terms: &[
                ("P1Y", &[("monthly", "6.00"), ("annual", "72.00")]),
                ("P1M", &[("monthly", "7.20")]),
            ],
            default: None,
            admin_agent: false,
            per_customer: Some(300),
            trial: false,
            upgrades_to: &["m365-business-standard", "m365-business-premium"],
            needs: &[],
            description: "Web and mobile Office apps with e-mail, files and meetings.",
        },
        SampleOffer {
            id: "m365-e3",
            name: "Microsoft 365 E3",
            family: "Microsoft 365",
            terms: &[
                ("P1Y", &[("monthly", "36.00"), ("annual", "432.00")]),
                ("P1M", &[("monthly", "43.20")]),
            ],
            default: None,
            admin_agent: false,
            per_customer: None,
            trial: false,
            upgrades_to: &[],
            needs: &[],
            description: "The enterprise suite, without a seat limit.",
        },
        SampleOffer {
            id: "m365-e3-annual",
            name: "Microsoft 365 E3 (annual)",
            family: "Microsoft 365",
            terms: &[("P1Y", &[("annual", "396.00")])],
            default: None,
            admin_agent: false,
            per_customer: None,
            trial: false,
            upgrades_to: &[],
            needs: &[],
            description: "E3 billed once a year.",
        },
        SampleOffer {
            id: "m365-teams-phone",
            name: "Microsoft Teams Phone Standard",
            family: "Microsoft 365",
            terms: &[
                ("P1Y", &[("monthly", "8.00")]),
                ("P1M", &[("monthly", "9.60")]),
            ],
            default: None,
            admin_agent: false,
            per_customer: None,
            trial: false,
            upgrades_to: &[],
            needs: SUITES,
            description: "Calls to and from phone numbers in Teams; an add-on of the Microsoft 365 suites.",
        },
        SampleOffer {
            id: "azure-plan",
            name: "Azure plan",
            family: "Azure",
            terms: &[("P1M", &[("monthly", "0.00")])],
            default: None,
            admin_agent: true,
            per_customer: None,
            trial: false,
            upgrades_to: &[],
            needs: &[],
            description: "Pay-as-you-go Azure services; usage is billed separately.",
        },
        SampleOffer {
            id: "dynamics-sales",
            name: "Dynamics 365 Sales Enterprise",
            family: "Dynamics 365",
            terms: &[("P1Y", &[("monthly", "105.00"), ("annual", "1260.00")])],
            default: Some(("P1Y", "monthly")),
            admin_agent: true,
            per_customer: None,
            trial: true,
            upgrades_to: &[],
            needs: &[],
            description: "Sales automation; try it for 30 days with up to 25 people.",
        },
    ];
    let currency = app.config().currency.to_string();
    for o in &offers {
        app.create_offer(
            operator,
            ctx,
            Ok(OfferInput {
                id: Some(o.id.into()),
                name: Some(o.name.into()),
                product_family: Some(o.family.into()),
                terms: Some(terms_of(o.terms, &currency)),
                default_term: o.default.map(|(t, f)| PlanInput {
                    term_duration: t.into(),
                    billing_frequency: f.into(),
                }),
                min_quantity: Some(1),
                max_quantity: Some(300),
                max_quantity_per_customer: Some(o.per_customer),
                trial: Some(o.trial.then(TrialInput::default)),
                upgrade_targets: Some(o.upgrades_to.iter().map(|s| (*s).into()).collect()),
                prerequisite_offer_ids: Some(o.needs.iter().map(|s| (*s).into()).collect()),
                requires_admin_agent: Some(o.admin_agent),
                description: Some(o.description.into()),
                ..OfferInput::default()
            }),
        )
        .await?;
    }
    // Business Basic costs more from next month.
    let next = partnerd_domain::calendar::Month::of(app.now()).next();
    app.schedule_offer_price(
        operator,
        ctx,
        "m365-business-basic",
        &next.to_string(),
        Ok(PriceInput {
            terms: terms_of(
                &[
                    ("P1Y", &[("monthly", "7.00"), ("annual", "84.00")]),
                    ("P1M", &[("monthly", "8.40")]),
                ],
                &currency,
            ),
        }),
    )
    .await?;
    Ok(())
}

/// A session for one of the people printed so far (by e-mail).
async fn session_of(
    app: &App,
    ctx: &Ctx,
    people: &[(String, String, String)],
    email: &str,
) -> Result<partnerd_app::Principal, AppError> {
    let password = people
        .iter()
        .find(|(_, e, _)| e == email)
        .map(|(_, _, p)| p.clone())
        .unwrap_or_default();
    let signed = app
        .sign_in(
            ctx,
            Ok(SignInInput {
                email: email.into(),
                password,
            }),
        )
        .await?;
    app.authenticate(&signed.token).await
}

/// Fabrikam and Northwind work together; Wingtip is their three-way customer with
/// delegated admin; one invitation of each kind waits for an answer.
async fn connections(
    app: &App,
    ctx: &Ctx,
    people: &mut Vec<(String, String, String)>,
) -> Result<(), AppError> {
    let gina = session_of(app, ctx, people, "gina@fabrikam.example").await?;
    let nora = session_of(app, ctx, people, "nora@northwind.example").await?;
    let invitation = |email: &str, name: &str| InvitationInput {
        email: email.into(),
        reseller_name: Some(name.into()),
        message: Some("We would be glad to supply your cloud business.".into()),
    };
    app.create_invitation(
        &gina,
        ctx,
        Ok(invitation("nora@northwind.example", "Northwind Reseller")),
    )
    .await?;
    let token = mailed_token(app, "/invitations/reseller?token=").await?;
    app.accept_invitation(&nora, ctx, Ok((token.unwrap_or_default(), true)))
        .await?;
    // Pending: an invitation to Tailspin, who has not enrolled yet.
    app.create_invitation(
        &gina,
        ctx,
        Ok(invitation("terry@tailspin.example", "Tailspin Partners")),
    )
    .await?;

    let three_way = app
        .create_customer_request(
            &nora,
            ctx,
            Ok(RequestInput {
                indirect_provider_id: Some(gina.organization.id.clone()),
                include_delegated_admin: Some(true),
                delegated_admin_duration: Some("P365D".into()),
                ..Default::default()
            }),
        )
        .await?;
    let wingtip_password = partnerd_domain::password::generate_temporary();
    let wingtip = app
        .create_tenant(
            ctx,
            Ok(TenantInput {
                company_name: "Wingtip Toys".into(),
                domain_prefix: "wingtip".into(),
                country: "DE".into(),
                admin_email: "wendy@wingtip.example".into(),
                admin_first_name: "Wendy".into(),
                admin_last_name: "Wingtip".into(),
                admin_password: wingtip_password.clone(),
            }),
        )
        .await?;
    let wendy = app.authenticate(&wingtip.session.token).await?;
    let token = three_way
        .url
        .split("token=")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    app.accept_customer_request(
        &wendy,
        ctx,
        Ok((
            token,
            AcceptConsent {
                accept_reseller: Some(true),
                accept_indirect_provider: Some(true),
                grant_delegated_admin: Some(true),
            },
        )),
    )
    .await?;
    price_lists(app, ctx, &gina, &nora, &wendy.organization.id).await?;
    commerce(app, ctx, &nora, &wendy.organization.id).await?;
    // Pending: a request mailed to Litware, which has no tenant yet.
    let pending = app
        .create_customer_request(
            &nora,
            ctx,
            Ok(RequestInput {
                recipient_email: Some("it@litware.example".into()),
                ..Default::default()
            }),
        )
        .await?;
    for p in [&gina, &nora, &wendy] {
        app.sign_out(p, ctx).await?;
    }
    people.push((
        "Wingtip Toys (customer), global admin".into(),
        "wendy@wingtip.example".into(),
        wingtip_password,
    ));
    people.push((
        "Litware's pending request (open the link)".into(),
        "it@litware.example".into(),
        pending.url,
    ));
    Ok(())
}

const REGISTRY_USER: &str = "adatum-registry";

/// The membership registry, an approved reseller (Northwind, through the
/// existing-partner shortcut) and an application waiting for review (Adatum).
async fn enrollments(
    app: &App,
    ctx: &Ctx,
    operator: &partnerd_app::Principal,
    people: &mut Vec<(String, String, String)>,
) -> Result<(), AppError> {
    for (id, name, country) in [
        ("70000001", "Adatum Reseller GmbH", "DE"),
        ("70000002", "Adatum Reseller SARL", "FR"),
        ("70000003", "Tailspin Partners GmbH", "DE"),
    ] {
        app.create_membership(
            operator,
            ctx,
            Ok(MembershipInput {
                membership_id: Some(id.into()),
                legal_name: Some(name.into()),
                country: Some(country.into()),
            }),
        )
        .await?;
    }
    let registry_password = partnerd_domain::password::generate_temporary();
    app.create_registry_account(
        operator,
        ctx,
        Ok(AccountInput {
            username: Some(REGISTRY_USER.into()),
            password: Some(registry_password.clone()),
            membership_ids: Some(vec!["70000001".into(), "70000002".into()]),
        }),
    )
    .await?;
    let tailspin_password = partnerd_domain::password::generate_temporary();
    app.create_registry_account(
        operator,
        ctx,
        Ok(AccountInput {
            username: Some("tailspin-registry".into()),
            password: Some(tailspin_password.clone()),
            membership_ids: Some(vec!["70000003".into()]),
        }),
    )
    .await?;

    // Northwind: a partner that became a reseller with its support profile only.
    let northwind = app
        .create_organization(
            operator,
            ctx,
            Ok(NewOrganizationInput {
                name: "Northwind Reseller".into(),
                legal_name: "Northwind Reseller AG".into(),
                country: "DE".into(),
                domain_prefix: "northwind".into(),
                admin_email: "nora@northwind.example".into(),
                admin_first_name: "Nora".into(),
                admin_last_name: "North".into(),
            }),
        )
        .await?;
    let signed = app
        .sign_in(
            ctx,
            Ok(SignInInput {
                email: northwind.admin_user.email.clone(),
                password: northwind.temporary_password.clone(),
            }),
        )
        .await?;
    let nora = app.authenticate(&signed.token).await?;
    let started = app
        .start_enrollment(
            Some(&nora),
            ctx,
            Ok(StartEnrollmentInput {
                existing_partner: true,
                new_tenant: None,
            }),
        )
        .await?;
    app.put_support_profile(
        &nora,
        ctx,
        &started.enrollment.id,
        None,
        Ok(support("northwind")),
    )
    .await?;
    app.submit_enrollment(&nora, ctx, &started.enrollment.id)
        .await?;
    app.sign_out(&app.authenticate(&signed.token).await?, ctx)
        .await?;
    people.push((
        "Northwind (reseller), global admin".into(),
        northwind.admin_user.email,
        northwind.temporary_password,
    ));

    // Adatum: signed up, linked its membership, verified, submitted; waits for review.
    let adatum_password = partnerd_domain::password::generate_temporary();
    let started = app
        .start_enrollment(
            None,
            ctx,
            Ok(StartEnrollmentInput {
                existing_partner: false,
                new_tenant: Some(TenantInput {
                    company_name: "Adatum Reseller".into(),
                    domain_prefix: "adatum".into(),
                    country: "DE".into(),
                    admin_email: "alex@adatum.example".into(),
                    admin_first_name: "Alex".into(),
                    admin_last_name: "Adatum".into(),
                    admin_password: adatum_password.clone(),
                }),
            }),
        )
        .await?;
    let token = started.session.map(|s| s.token).unwrap_or_default();
    let alex = app.authenticate(&token).await?;
    let id = started.enrollment.id.clone();
    let signin = app
        .membership_sign_in(
            &alex,
            ctx,
            &id,
            Ok((REGISTRY_USER.to_owned(), registry_password.clone())),
        )
        .await?;
    app.link_membership(
        &alex,
        ctx,
        &id,
        Ok((
            signin.membership_session_token.clone(),
            "70000001".to_owned(),
        )),
    )
    .await?;
    app.put_legal_profile(
        &alex,
        ctx,
        &id,
        None,
        Ok(LegalProfile {
            legal_name: "Adatum Reseller GmbH".into(),
            address: Address {
                line1: "Marktplatz 3".into(),
                line2: None,
                city: "Hamburg".into(),
                region: None,
                postal_code: "20095".into(),
                country: "DE".into(),
            },
            phone: "+49 40 555 0100".into(),
            website: Some("https://adatum.example".into()),
            primary_contact: PrimaryContact {
                first_name: "Alex".into(),
                last_name: "Adatum".into(),
                email: "alex@adatum.example".into(),
                phone: None,
            },
        }),
    )
    .await?;
    app.put_support_profile(&alex, ctx, &id, None, Ok(support("adatum")))
        .await?;
    if let Some(token) = verification_token(app).await? {
        app.confirm_email(ctx, Ok(token)).await?;
    }
    app.submit_enrollment(&alex, ctx, &id).await?;
    app.sign_out(&alex, ctx).await?;
    people.push((
        "Adatum (applicant), global admin".into(),
        "alex@adatum.example".into(),
        adatum_password,
    ));
    people.push((
        "registry account, to try the wizard".into(),
        "tailspin-registry".into(),
        tailspin_password,
    ));
    Ok(())
}

fn support(prefix: &str) -> SupportProfile {
    SupportProfile {
        email: format!("support@{prefix}.example"),
        phone: "+49 30 555 0199".into(),
        website: None,
        hours: Some("Mon-Fri 8-18".into()),
    }
}

/// Delivers the outbox and reads the newest verification link from the mail folder,
/// as the primary contact would from their inbox.
async fn verification_token(app: &App) -> Result<Option<String>, AppError> {
    mailed_token(app, "/verify-email?token=").await
}

/// Delivers the outbox and reads the token of the newest mailed link containing
/// `link_part`, as its recipient would from their inbox.
async fn mailed_token(app: &App, link_part: &str) -> Result<Option<String>, AppError> {
    app.drain_outbox().await?;
    let MailTransportConfig::Dir(dir) = &app.config().mail_transport else {
        return Ok(None);
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(None);
    };
    let mut files: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    Ok(files
        .iter()
        .rev()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .find_map(|eml| {
            eml.lines()
                .take_while(|l| !l.is_empty())
                .find_map(|l| l.strip_prefix("X-Partnerd-Link: "))
                .filter(|l| l.contains(link_part))
                .and_then(|l| l.split("token=").nth(1))
                .map(|t| t.trim().to_owned())
        }))
}

/// One order of `lines` (offer, seats, friendly name, plan or "trial") for Wingtip;
/// the subscriptions it created, in line order.
async fn order_for(
    app: &App,
    ctx: &Ctx,
    nora: &partnerd_app::Principal,
    wingtip: &OrgId,
    lines: &[(&str, i64, &str, &str)],
) -> Result<Vec<SubscriptionId>, AppError> {
    let order = app
        .create_order(
            nora,
            ctx,
            wingtip,
            Ok(OrderInput {
                line_items: lines
                    .iter()
                    .enumerate()
                    .map(|(i, (offer, quantity, name, plan))| {
                        let (term, frequency) = plan.split_once(' ').unwrap_or_default();
                        LineInput {
                            line_item_number: i64::try_from(i).unwrap_or_default(),
                            offer_id: (*offer).into(),
                            quantity: *quantity,
                            friendly_name: Some((*name).into()),
                            term_duration: (!term.is_empty()).then(|| term.into()),
                            billing_frequency: (!frequency.is_empty()).then(|| frequency.into()),
                            trial: (*plan == "trial").then_some(true),
                            ..LineInput::default()
                        }
                    })
                    .collect(),
                indirect_provider_id: None,
                reseller_organization_id: None,
            }),
        )
        .await?;
    Ok(order
        .line_items
        .into_iter()
        .map(|l| l.subscription_id)
        .collect())
}

/// Northwind's orders for Wingtip: subscriptions bought ten days ago (past their
/// 7-day window) and today (inside it), a trial, an add-on, a suspended one, one
/// cancelled inside its window, a next term scheduled, one upgraded, and licenses
/// assigned to Wingtip's people.
async fn commerce(
    app: &App,
    ctx: &Ctx,
    nora: &partnerd_app::Principal,
    wingtip: &OrgId,
) -> Result<(), AppError> {
    use partnerd_domain::time::Timestamp;
    // Last month (the one before, in the hour before last month closes): the
    // warehouse's scanners, so a billed month has invoices to show.
    let billed = billed_month(app);
    let bought = billed
        .first_day()
        .add_days(2)
        .start()
        .plus_millis(10 * Timestamp::HOUR);
    let back = app.now().since(bought);
    app.clock().advance(-back);
    let scanners = order_for(
        app,
        ctx,
        nora,
        wingtip,
        &[(
            "m365-business-basic",
            3,
            "Warehouse scanners",
            "P1M monthly",
        )],
    )
    .await;
    app.clock().advance(back);
    scanners?;
    let back = 10 * Timestamp::DAY;
    app.clock().advance(-back);
    let earlier = order_for(
        app,
        ctx,
        nora,
        wingtip,
        &[
            ("m365-business-basic", 10, "Whole company", "P1Y monthly"),
            ("m365-e3", 3, "Management", "P1Y annual"),
            ("m365-e3-annual", 2, "Design studio", ""),
        ],
    )
    .await;
    app.clock().advance(back);
    let earlier = earlier?;
    let today = order_for(
        app,
        ctx,
        nora,
        wingtip,
        &[
            ("m365-business-standard", 5, "Sales team", "P1Y monthly"),
            ("m365-teams-phone", 4, "Front desk phones", ""),
            ("dynamics-sales", 5, "Sales pilot", "trial"),
            ("azure-plan", 1, "Web shop", ""),
        ],
    )
    .await?;
    let change = |sid: &SubscriptionId, changes: SubscriptionChanges| {
        let sid = sid.clone();
        async move {
            let current = app.get_subscription(nora, wingtip, &sid).await?;
            app.update_subscription(nora, ctx, wingtip, &sid, Some(&current.etag), Ok(changes))
                .await
        }
    };
    if let (Some(basic), Some(studio), Some(standard), Some(azure)) =
        (earlier.first(), earlier.get(2), today.first(), today.get(3))
    {
        change(
            studio,
            SubscriptionChanges {
                status: Some("suspended".into()),
                ..Default::default()
            },
        )
        .await?;
        change(
            azure,
            SubscriptionChanges {
                status: Some("deleted".into()),
                ..Default::default()
            },
        )
        .await?;
        // Next year the whole company moves to annual billing with two more seats.
        change(
            basic,
            SubscriptionChanges {
                scheduled_next_term_instructions: Some(Some(
                    partnerd_app::commerce::InstructionsInput {
                        offer_id: Some("m365-business-basic".into()),
                        term_duration: Some("P1Y".into()),
                        billing_frequency: Some("annual".into()),
                        quantity: Some(12),
                    },
                )),
                ..Default::default()
            },
        )
        .await?;
        // The sales team moves up to Premium for the rest of its term.
        let current = app.get_subscription(nora, wingtip, standard).await?;
        app.upgrade_subscription(
            nora,
            ctx,
            wingtip,
            standard,
            Some(&current.etag),
            Ok(partnerd_app::commerce::UpgradeInput {
                target_offer_id: "m365-business-premium".into(),
                quantity: None,
            }),
        )
        .await?;
    }
    for (first, last) in [("Wes", "Warehouse"), ("Tia", "Toys")] {
        let created = app
            .create_customer_user(
                nora,
                ctx,
                wingtip,
                Ok(NewUserInput {
                    email: format!("{}@wingtip.example", first.to_lowercase()),
                    first_name: first.into(),
                    last_name: last.into(),
                    roles: vec![],
                }),
            )
            .await?;
        app.update_licenses(
            nora,
            ctx,
            wingtip,
            &created.user.id,
            Ok(LicenseUpdate {
                assign: vec!["m365-business-basic".into()],
                remove: vec![],
            }),
        )
        .await?;
    }
    Ok(())
}

/// The month the demo bills: the last one once it has closed.
fn billed_month(app: &App) -> partnerd_domain::calendar::Month {
    let last = partnerd_domain::calendar::Month::of(app.now()).previous();
    if app.month_closed(last) {
        last
    } else {
        last.previous()
    }
}

/// Billing (API-billing.md §7): the billed month's run, the operator's and
/// Fabrikam's invoices issued, Northwind's still a draft to review.
async fn billing(app: &App, people: &[(String, String, String)]) -> Result<(), AppError> {
    let ctx = Ctx {
        request_id: "demo".into(),
        ..Ctx::default()
    };
    let month = billed_month(app);
    app.run_billing_month(&ctx, month).await?;
    for email in ["admin@contoso-cloud.example", "gina@fabrikam.example"] {
        let seller = session_of(app, &ctx, people, email).await?;
        let drafts = app
            .list_invoices(
                &seller,
                &partnerd_app::billing::InvoiceFilters {
                    side: Some("seller".into()),
                    month: Some(month.to_string()),
                    status: Some("draft".into()),
                    ..Default::default()
                },
                &partnerd_app::paging::PageParams::first(50),
            )
            .await?;
        for d in drafts.items {
            if d.seller_organization_id != seller.organization.id {
                continue;
            }
            let Some(id) = &d.id else { continue };
            let issued = app.issue_invoice(&seller, &ctx, id).await?;
            // Fabrikam paid the operator half so far.
            let half = issued.total.minor() / 2;
            if email.starts_with("admin@") && half > 0 {
                app.record_payment(
                    &seller,
                    &ctx,
                    id,
                    Ok(partnerd_app::billing::PaymentInput {
                        amount: partnerd_app::catalog::MoneyInput {
                            amount: partnerd_domain::money::format_amount(half),
                            currency: issued.currency.clone(),
                        },
                        paid_on: partnerd_domain::calendar::Date::of(app.now()).to_string(),
                        reference: "SEPA FAB-0001".into(),
                        note: Some("First instalment".into()),
                    }),
                )
                .await?;
            }
        }
        app.sign_out(&seller, &ctx).await?;
    }
    Ok(())
}

/// Price lists (API-billing.md §5.2): Fabrikam's default margin and Northwind's
/// own with a lower Azure margin, Northwind's price list for Wingtip with E3 at a
/// discount — written last month so they are in force — and next month's change.
async fn price_lists(
    app: &App,
    ctx: &Ctx,
    gina: &partnerd_app::Principal,
    nora: &partnerd_app::Principal,
    wingtip: &OrgId,
) -> Result<(), AppError> {
    use partnerd_app::billing::{OverrideCondition, PriceOverrideInput, RepricingConfigInput};
    use partnerd_domain::{calendar::Month, money::PercentageInput};
    let pct = |p: &str| PercentageInput {
        percentage: p.into(),
    };
    let family = |f: &str, p: &str| PriceOverrideInput {
        condition: OverrideCondition {
            offer_id: None,
            product_family: Some(f.into()),
        },
        adjustment: pct(p),
    };
    let offer = |o: &str, p: &str| PriceOverrideInput {
        condition: OverrideCondition {
            offer_id: Some(o.into()),
            product_family: None,
        },
        adjustment: pct(p),
    };
    let this_month = Month::of(app.now());
    let last_month = this_month.previous();
    let config = |tier: &str, buyer: Option<&OrgId>, from: Month, adj: &str, overrides| {
        RepricingConfigInput {
            tier: tier.into(),
            buyer_organization_id: buyer.map(ToString::to_string),
            effective_from: from.to_string(),
            adjustment: Some(pct(adj)),
            overrides: Some(overrides),
        }
    };
    // Written at the start of the month before last, in force from last month
    // (the orders placed ten days ago take those prices too).
    let written_on = this_month.previous().previous().start();
    let back = app.now().since(written_on);
    app.clock().advance(-back);
    let written = async {
        app.create_repricing_config(
            gina,
            ctx,
            Ok(config("providerToReseller", None, last_month, "8", vec![])),
        )
        .await?;
        app.create_repricing_config(
            gina,
            ctx,
            Ok(config(
                "providerToReseller",
                Some(&nora.organization.id),
                last_month,
                "12",
                vec![family("Azure", "4")],
            )),
        )
        .await?;
        app.create_repricing_config(
            nora,
            ctx,
            Ok(config(
                "resellerToCustomer",
                Some(wingtip),
                last_month,
                "20",
                vec![offer("m365-e3", "15"), family("Azure", "6")],
            )),
        )
        .await
    }
    .await;
    app.clock().advance(back);
    written?;
    // From next month Fabrikam gives Northwind two points more.
    app.create_repricing_config(
        gina,
        ctx,
        Ok(config(
            "providerToReseller",
            Some(&nora.organization.id),
            this_month.next(),
            "10",
            vec![family("Azure", "4")],
        )),
    )
    .await?;
    Ok(())
}

/// Support: an active Microsoft 365 incident (on the dashboards of Wingtip,
/// Northwind and Fabrikam) and Northwind's request for Wingtip, which the operator
/// is working on and waits for Northwind's answer.
async fn service_desk(app: &App, people: &[(String, String, String)]) -> Result<(), AppError> {
    let ctx = &Ctx {
        request_id: "demo".into(),
        ..Ctx::default()
    };
    let olivia = session_of(app, ctx, people, "admin@contoso-cloud.example").await?;
    let nora = &session_of(app, ctx, people, "nora@northwind.example").await?;
    let wendy = session_of(app, ctx, people, "wendy@wingtip.example").await?;
    let wingtip = &wendy.organization.id;
    app.create_incident(
        &olivia,
        ctx,
        Ok(IncidentInput {
            title: "Delays in Exchange Online mail delivery".into(),
            product_families: vec!["Microsoft 365".into()],
            severity: "warning".into(),
            message: "Some messages reach their recipients up to 30 minutes late. We are rerouting traffic."
                .into(),
            started_at: None,
        }),
    )
    .await?;
    let request = app
        .create_service_request(
            nora,
            ctx,
            Ok(ServiceRequestInput {
                title: "Licenses not showing for two Wingtip users".into(),
                description: "Wes and Tia were assigned Microsoft 365 Business Basic but cannot open Outlook."
                    .into(),
                severity: "moderate".into(),
                category: Some("technical".into()),
                customer_id: Some(wingtip.clone()),
                product_family: Some("Microsoft 365".into()),
            }),
        )
        .await?;
    app.add_service_request_note(
        &olivia,
        ctx,
        &request.id,
        Ok("Could you confirm the users signed out and in again after the assignment?".into()),
    )
    .await?;
    let current = app.get_service_request(&olivia, &request.id).await?;
    app.update_service_request(
        &olivia,
        ctx,
        &request.id,
        Some(&current.etag),
        Ok(ServiceRequestChanges {
            status: Some("attentionNeeded".into()),
            assigned_to: Some("Olivia Operator".into()),
        }),
    )
    .await?;
    for p in [&olivia, nora, &wendy] {
        app.sign_out(p, ctx).await?;
    }
    Ok(())
}
