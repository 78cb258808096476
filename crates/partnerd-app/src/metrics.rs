//! Prometheus metrics (API.md §15), shared by the web layer and the workers.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    pub route: String,
    /// A metric label, not a stored status: the response's status code as text, as Prometheus wants it.
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TemplateLabels {
    pub template: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    /// A metric label (text, as Prometheus wants it), not a stored status.
    pub status: String,
}

/// Every metric the process exports.
pub struct Metrics {
    pub registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Family<RouteLabels, Histogram>,
    pub outbox_pending: Gauge,
    pub outbox_failed: Counter,
    pub webhook_deliveries: Family<StatusLabels, Counter>,
    pub mail_sent: Family<TemplateLabels, Counter>,
    pub rate_limited: Counter,
    pub db_pool_connections: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
        });
        let outbox_pending = Gauge::default();
        let outbox_failed = Counter::default();
        let webhook_deliveries = Family::<StatusLabels, Counter>::default();
        let mail_sent = Family::<TemplateLabels, Counter>::default();
        let rate_limited = Counter::default();
        let db_pool_connections = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route template and status",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request duration",
            http_duration.clone(),
        );
        registry.register(
            "outbox_pending",
            "Outbox rows waiting for delivery",
            outbox_pending.clone(),
        );
        registry.register(
            "outbox_failed",
            "Outbox rows given up after retries",
            outbox_failed.clone(),
        );
        registry.register(
            "webhook_deliveries",
            "Webhook deliveries by outcome",
            webhook_deliveries.clone(),
        );
        registry.register(
            "mail_sent",
            "Mail handed to the transport, by template",
            mail_sent.clone(),
        );
        registry.register(
            "rate_limited",
            "Requests refused by a rate limit",
            rate_limited.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Open database connections",
            db_pool_connections.clone(),
        );
        Self {
            registry,
            http_requests,
            http_duration,
            outbox_pending,
            outbox_failed,
            webhook_deliveries,
            mail_sent,
            rate_limited,
            db_pool_connections,
        }
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
