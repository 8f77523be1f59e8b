//! Prometheus metrics at `/metrics`, only with a bearer token (`TICKEX_METRICS_TOKEN`):
//! request latency by route, the purchase path's counters, webhook outcomes, and the outbox
//! backlog read from the database at scrape time. Hand-rolled: a few atomics and maps are
//! all this needs, and it keeps another dependency out of the build.
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default, Clone)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_secs: f64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String), Histogram>>,
    webhooks: Mutex<BTreeMap<(String, &'static str), u64>>,
    checkouts: AtomicU64,
    fulfilments: AtomicU64,
    sold_out: AtomicU64,
}

/// The bearer token `/metrics` asks for, kept out of `Debug` output.
#[derive(Clone)]
pub struct MetricsToken(String);

impl MetricsToken {
    pub fn new(token: String) -> Self {
        Self(token)
    }

    /// Compares in constant time, so response timing does not leak the token.
    pub fn matches(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken([redacted])")
    }
}

impl Metrics {
    pub fn observe_request(&self, method: &'static str, route: &str, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let h = requests
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        if let Some(i) = BUCKETS.iter().position(|&upper| secs <= upper) {
            h.buckets[i] += 1;
        }
        h.count += 1;
        h.sum_secs += secs;
    }

    pub fn checkout_created(&self) {
        self.checkouts.fetch_add(1, Ordering::Relaxed);
    }

    pub fn order_fulfilled(&self) {
        self.fulfilments.fetch_add(1, Ordering::Relaxed);
    }

    pub fn sold_out_rejected(&self) {
        self.sold_out.fetch_add(1, Ordering::Relaxed);
    }

    /// `outcome` is `processed`, `duplicate`, `ignored`, `rejected` or `failed`.
    pub fn webhook(&self, event_type: &str, outcome: &'static str) {
        let mut webhooks = self.webhooks.lock().unwrap_or_else(|e| e.into_inner());
        *webhooks
            .entry((event_type.to_owned(), outcome))
            .or_default() += 1;
    }

    /// The text exposition format; `outbox_backlog` is read by the caller.
    pub fn render(&self, outbox_backlog: Option<u64>) -> String {
        let mut out = String::new();
        out.push_str("# HELP tickex_http_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE tickex_http_request_duration_seconds histogram\n");
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for ((method, route), h) in &requests {
            let labels = format!("method=\"{}\",route=\"{}\"", escape(method), escape(route));
            let mut cumulative = 0;
            for (upper, n) in BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "tickex_http_request_duration_seconds_bucket{{{labels},le=\"{upper}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "tickex_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "tickex_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum_secs
            );
            let _ = writeln!(
                out,
                "tickex_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        for (name, help, value) in [
            (
                "tickex_checkouts_total",
                "Checkouts that held tickets.",
                &self.checkouts,
            ),
            (
                "tickex_fulfilments_total",
                "Orders fulfilled (paid, tickets issued).",
                &self.fulfilments,
            ),
            (
                "tickex_sold_out_rejections_total",
                "Checkouts refused because a ticket type had too few left.",
                &self.sold_out,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        out.push_str(
            "# HELP tickex_webhook_events_total Stripe webhook events by type and outcome.\n",
        );
        out.push_str("# TYPE tickex_webhook_events_total counter\n");
        let webhooks = self
            .webhooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for ((event_type, outcome), n) in &webhooks {
            let _ = writeln!(
                out,
                "tickex_webhook_events_total{{type=\"{}\",outcome=\"{outcome}\"}} {n}",
                escape(event_type)
            );
        }
        if let Some(backlog) = outbox_backlog {
            let _ = writeln!(
                out,
                "# HELP tickex_outbox_backlog Emails waiting to be sent.\n# TYPE tickex_outbox_backlog gauge\ntickex_outbox_backlog {backlog}"
            );
        }
        out
    }
}

/// Label values are quoted strings: escape what would end them.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let m = Metrics::default();
        m.observe_request("GET", "/events/{slug}", Duration::from_micros(800));
        m.observe_request("GET", "/events/{slug}", Duration::from_millis(30));
        m.webhook("checkout.session.\"x\"", "ignored");
        let text = m.render(Some(3));
        assert!(text.contains(
            "tickex_http_request_duration_seconds_bucket{method=\"GET\",route=\"/events/{slug}\",le=\"0.001\"} 1"
        ));
        assert!(text.contains(
            "tickex_http_request_duration_seconds_bucket{method=\"GET\",route=\"/events/{slug}\",le=\"0.05\"} 2"
        ));
        assert!(text.contains("le=\"+Inf\"} 2"));
        assert!(text.contains("type=\"checkout.session.\\\"x\\\"\",outcome=\"ignored\"} 1"));
        assert!(text.contains("tickex_outbox_backlog 3"));
    }

    #[test]
    fn the_token_must_match_exactly() {
        let token = MetricsToken::new("s3cret".into());
        assert!(token.matches("s3cret"));
        assert!(!token.matches("s3cre") && !token.matches("s3cret!") && !token.matches(""));
        assert!(!format!("{token:?}").contains("s3cret"));
    }
}
