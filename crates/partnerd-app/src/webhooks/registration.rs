//! Registering a webhook from the portal's Webhooks page: the new webhook with its
//! secret, or the refusal with the page's webhooks to show the form again, so the
//! page makes one call.

use super::{Webhook, WebhookInput};
use crate::paging::{Page, PageParams};
use crate::{App, AppError, AppResult, Ctx, Principal};

/// What registering a webhook did.
#[derive(Debug, Clone)]
pub enum WebhookRegistration {
    /// The webhook, with its secret shown this once.
    Registered(Box<Webhook>),
    /// Nothing was registered: the form had errors; `webhooks` (up to 100) show
    /// the page again.
    Refused {
        error: AppError,
        webhooks: Page<Webhook>,
    },
}

impl App {
    /// `POST /settings/webhooks`.
    pub async fn register_webhook(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: WebhookInput,
    ) -> AppResult<WebhookRegistration> {
        match self.create_webhook(p, ctx, Ok(input)).await {
            Ok(w) => Ok(WebhookRegistration::Registered(Box::new(w))),
            Err(error @ AppError::Validation(_)) => Ok(WebhookRegistration::Refused {
                error,
                webhooks: self.list_webhooks(p, &PageParams::first(100)).await?,
            }),
            Err(e) => Err(e),
        }
    }
}
