//! Which actions one request asked the policy for. The web layer runs a request
//! inside [`traced`] when [`crate::AppConfig::policy_trace`] is on (the tests turn
//! it on) and answers with the `Partnerd-Policy-Asked` header, so the
//! route-complete policy test learns each route's action from the code that
//! checks it, not from the OpenAPI annotation. The action names are public (the
//! OpenAPI document lists them), so the header gives nothing away; it is off by
//! default only to keep responses lean.

use std::future::Future;
use std::sync::{Arc, Mutex};

use partnerd_domain::policy::Action;

/// One question to the policy: a guard (`require`, refusing when denied) or a
/// query (`may`, which only shapes what the caller sees).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asked {
    pub action: Action,
    pub guard: bool,
}

impl Asked {
    /// `manageApiKeys` for a guard, `~readOrganizations` for a query.
    pub fn label(self) -> String {
        let mark = if self.guard { "" } else { "~" };
        format!("{mark}{}", self.action.as_str())
    }
}

tokio::task_local! {
    static ASKED: Arc<Mutex<Vec<Asked>>>;
}

/// Runs `f`, collecting the policy questions it asks, in order.
pub async fn traced<F: Future>(f: F) -> (F::Output, Vec<Asked>) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let out = ASKED.scope(asked.clone(), f).await;
    let actions = asked.lock().map(|a| a.clone()).unwrap_or_default();
    (out, actions)
}

/// Notes that the running request asked about `action` (nothing outside a trace).
pub(crate) fn record(action: Action, guard: bool) {
    let question = Asked { action, guard };
    let _ = ASKED.try_with(|asked| {
        if let Ok(mut a) = asked.lock()
            && !a.contains(&question)
        {
            a.push(question);
        }
    });
}
