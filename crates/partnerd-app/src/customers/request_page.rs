//! The customer's side of a relationship request in the portal: the page its link
//! opens, signing the organisation up from there, and the answer. Each returns what
//! the page shows next, so the page makes one call.

use crate::enrollment::{TenantCreated, TenantInput};
use crate::{App, AppError, AppResult, Ctx, Principal};

use super::{AcceptConsent, AcceptedRequest, ResolvedRequest};

/// What the request's page shows: the request, and who is signed in (None when
/// nobody is, or the session is not valid).
#[derive(Debug, Clone)]
pub struct RequestLanding {
    pub request: ResolvedRequest,
    pub signed_in: Option<Principal>,
}

/// What the customer's global admin answers.
#[derive(Debug, Clone)]
pub enum RequestAnswer {
    Accept(AcceptConsent),
    Decline,
}

/// What answering a request did.
#[derive(Debug, Clone)]
pub enum RequestAnswered {
    Accepted(AcceptedRequest),
    Declined,
    /// Nothing happened: a consent the request asks for was not given; `landing`
    /// shows the request again.
    ConsentMissing {
        error: AppError,
        landing: RequestLanding,
    },
    /// Nothing happened, and the request cannot be shown any more.
    Unusable(AppError),
}

/// What signing up from a request did.
#[derive(Debug, Clone)]
pub enum RequestSignUp {
    /// The organisation and its global admin exist, signed in.
    SignedUp(Box<TenantCreated>),
    /// The sign-up was refused (invalid, taken, too many tries); `landing` shows the
    /// request and the form again.
    Refused {
        error: AppError,
        landing: Box<RequestLanding>,
    },
    /// The sign-up was refused, and the request cannot be shown any more.
    Unusable(AppError),
}

impl App {
    /// `/customer-invitations?token=…`: the request of `token`, and the principal of
    /// `session` (the browser's session token, if any).
    pub async fn request_landing(
        &self,
        ctx: &Ctx,
        token: &str,
        session: Option<&str>,
    ) -> AppResult<RequestLanding> {
        let request = self
            .resolve_customer_request(ctx, Ok(token.to_owned()))
            .await?;
        let signed_in = match session {
            Some(t) => self.authenticate(t).await.ok(),
            None => None,
        };
        Ok(RequestLanding { request, signed_in })
    }

    /// `POST /customer-invitations/signup`: a new customer organisation for the
    /// request of `token`.
    pub async fn sign_up_for_request(
        &self,
        ctx: &Ctx,
        token: &str,
        session: Option<&str>,
        input: TenantInput,
    ) -> AppResult<RequestSignUp> {
        match self.create_tenant(ctx, Ok(input)).await {
            Ok(done) => Ok(RequestSignUp::SignedUp(Box::new(done))),
            Err(
                error @ (AppError::Conflict { .. }
                | AppError::Validation(_)
                | AppError::RateLimited { .. }),
            ) => Ok(match self.request_landing(ctx, token, session).await {
                Ok(landing) => RequestSignUp::Refused {
                    error,
                    landing: Box::new(landing),
                },
                Err(e) => RequestSignUp::Unusable(e),
            }),
            Err(e) => Err(e),
        }
    }

    /// `POST /customer-invitations`: accepts or declines the request of `token`.
    pub async fn answer_customer_request(
        &self,
        p: &Principal,
        ctx: &Ctx,
        token: &str,
        answer: RequestAnswer,
    ) -> AppResult<RequestAnswered> {
        let result = match answer {
            RequestAnswer::Decline => self
                .decline_customer_request(p, ctx, Ok(token.to_owned()))
                .await
                .map(|()| RequestAnswered::Declined),
            RequestAnswer::Accept(consent) => self
                .accept_customer_request(p, ctx, Ok((token.to_owned(), consent)))
                .await
                .map(RequestAnswered::Accepted),
        };
        match result {
            Err(error) if error.code() == "consent_required" => Ok(
                match self
                    .resolve_customer_request(ctx, Ok(token.to_owned()))
                    .await
                {
                    Ok(request) => RequestAnswered::ConsentMissing {
                        error,
                        landing: RequestLanding {
                            request,
                            signed_in: Some(p.clone()),
                        },
                    },
                    Err(e) => RequestAnswered::Unusable(e),
                },
            ),
            other => other,
        }
    }
}
