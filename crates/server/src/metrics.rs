//! Prometheus metrics in the text exposition format, kept by hand: a few counters and one
//! histogram do not justify a metrics framework.
//!
//! - `paycode_open_connections`: client connections open now (gauge)
//! - `paycode_http_requests_total{method, route, status}`
//! - `paycode_http_request_duration_seconds{route}` (histogram)
//! - `paycode_payments_total{outcome}`: `SUCCESS`, `USER_PAYING` or the error code
//! - `paycode_verification_failures_total{code}`: codes that did not verify
//! - `paycode_payment_batches_total` and `paycode_batched_payments_total`: group commit
//! - `paycode_payment_batch_seconds_total{phase}`: where a batch's time goes (`prefetch`,
//!   `decide`, `apply`, `commit`)
//! - `paycode_device_global_lockouts_total`: devices locked at every merchant (an alert)
//! - `paycode_webhook_queue_depth`: events waiting for a delivery attempt (gauge)
//! - `paycode_webhook_deliveries_total{outcome}`: attempts of this instance, `delivered` or
//!   `failed`
//!
//! Routes are the matched patterns (`/v1/payments/{out_trade_no}`), never raw paths, so that
//! neither references nor the paths of unknown routes become labels.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use paycode_api::ErrorCode;

use crate::limits::{LATENCY_BUCKETS_SECONDS, MAX_METRIC_SERIES};
use crate::state::AppState;

/// The label of requests that matched no route.
const UNMATCHED_ROUTE: &str = "unmatched";

/// Error codes that mean a scanned code did not verify.
const VERIFICATION_FAILURE_CODES: [&str; 5] = [
    ErrorCode::CodeInvalid.as_str(),
    ErrorCode::CodeExpired.as_str(),
    ErrorCode::CodeUsed.as_str(),
    ErrorCode::DeviceLocked.as_str(),
    ErrorCode::DeviceRevoked.as_str(),
];

/// A latency histogram with the buckets of [`LATENCY_BUCKETS_SECONDS`].
#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Observations at or below each bucket's bound (not cumulative; summed when rendered).
    buckets: [u64; LATENCY_BUCKETS_SECONDS.len()],
    count: u64,
    sum_seconds: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(index) = LATENCY_BUCKETS_SECONDS
            .iter()
            .position(|bound| seconds <= *bound)
        {
            self.buckets[index] += 1;
        }
        self.count += 1;
        self.sum_seconds += seconds;
    }
}

#[derive(Debug, Default)]
struct Series {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    payments: BTreeMap<String, u64>,
    verification_failures: BTreeMap<String, u64>,
}

/// The server's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<Series>,
    /// Connections accepted and not yet closed.
    open_connections: AtomicUsize,
    /// Events waiting for a delivery attempt, as this instance last counted them.
    webhook_queue_depth: AtomicU64,
    /// Webhook attempts that got a 2xx.
    webhook_delivered: AtomicU64,
    /// Webhook attempts that did not.
    webhook_failed: AtomicU64,
}

fn increment<K: Ord>(map: &mut BTreeMap<K, u64>, key: K) {
    if map.len() < MAX_METRIC_SERIES || map.contains_key(&key) {
        *map.entry(key).or_insert(0) += 1;
    }
}

impl Metrics {
    fn series(&self) -> std::sync::MutexGuard<'_, Series> {
        // A panic while holding the lock cannot leave the counters inconsistent in a way that
        // matters, so a poisoned lock is used as it is.
        self.series
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one answered request.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let mut series = self.series();
        increment(
            &mut series.requests,
            (method.to_owned(), route.to_owned(), status),
        );
        let routes = series.latency.len();
        if routes < MAX_METRIC_SERIES || series.latency.contains_key(route) {
            series
                .latency
                .entry(route.to_owned())
                .or_default()
                .observe(elapsed.as_secs_f64());
        }
    }

    /// Counts the outcome of one `POST /v1/payments`: the trade's status or the error code.
    pub fn observe_payment(&self, outcome: &str) {
        let mut series = self.series();
        increment(&mut series.payments, outcome.to_owned());
        if VERIFICATION_FAILURE_CODES.contains(&outcome) {
            increment(&mut series.verification_failures, outcome.to_owned());
        }
    }

    /// Counts a connection accepted; [`Metrics::connection_closed`] counts it out.
    pub fn connection_opened(&self) {
        self.open_connections.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a connection closed.
    pub fn connection_closed(&self) {
        self.open_connections.fetch_sub(1, Ordering::Relaxed);
    }

    /// Counts one webhook delivery attempt.
    pub fn observe_delivery(&self, delivered: bool) {
        let counter = if delivered {
            &self.webhook_delivered
        } else {
            &self.webhook_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Records how many events wait for a delivery attempt.
    pub fn set_webhook_queue_depth(&self, depth: u64) {
        self.webhook_queue_depth.store(depth, Ordering::Relaxed);
    }

    /// The metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        let series = self.series();
        let mut out = String::new();
        out.push_str("# HELP paycode_open_connections Client connections open now.\n");
        out.push_str("# TYPE paycode_open_connections gauge\n");
        let _ = writeln!(
            out,
            "paycode_open_connections {}",
            self.open_connections.load(Ordering::Relaxed)
        );
        render_requests(&mut out, &series);
        render_latency(&mut out, &series);
        render_counter(
            &mut out,
            "paycode_payments_total",
            "Payment requests by outcome: the trade status or the error code.",
            "outcome",
            &series.payments,
        );
        render_counter(
            &mut out,
            "paycode_verification_failures_total",
            "Payment codes that did not verify, by error code.",
            "code",
            &series.verification_failures,
        );
        self.render_webhooks(&mut out);
        out
    }

    fn render_webhooks(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP paycode_webhook_queue_depth Events waiting for a delivery attempt.\n\
             # TYPE paycode_webhook_queue_depth gauge\n\
             paycode_webhook_queue_depth {}",
            self.webhook_queue_depth.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP paycode_webhook_deliveries_total Webhook delivery attempts by outcome.\n\
             # TYPE paycode_webhook_deliveries_total counter\n\
             paycode_webhook_deliveries_total{{outcome=\"delivered\"}} {}\n\
             paycode_webhook_deliveries_total{{outcome=\"failed\"}} {}",
            self.webhook_delivered.load(Ordering::Relaxed),
            self.webhook_failed.load(Ordering::Relaxed)
        );
    }
}

fn render_requests(out: &mut String, series: &Series) {
    out.push_str("# HELP paycode_http_requests_total HTTP requests answered.\n");
    out.push_str("# TYPE paycode_http_requests_total counter\n");
    for ((method, route, status), count) in &series.requests {
        let _ = writeln!(
            out,
            "paycode_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {count}",
            escape(method),
            escape(route)
        );
    }
}

fn render_latency(out: &mut String, series: &Series) {
    out.push_str("# HELP paycode_http_request_duration_seconds Time to answer a request.\n");
    out.push_str("# TYPE paycode_http_request_duration_seconds histogram\n");
    for (route, histogram) in &series.latency {
        let route = escape(route);
        let mut cumulative = 0;
        for (bound, count) in LATENCY_BUCKETS_SECONDS.iter().zip(histogram.buckets) {
            cumulative += count;
            let _ = writeln!(
                out,
                "paycode_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "paycode_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n\
             paycode_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\n\
             paycode_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
            histogram.count, histogram.sum_seconds, histogram.count
        );
    }
}

fn render_counter(
    out: &mut String,
    name: &str,
    help: &str,
    label: &str,
    values: &BTreeMap<String, u64>,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
    for (value, count) in values {
        let _ = writeln!(out, "{name}{{{label}=\"{}\"}} {count}", escape(value));
    }
}

/// Escapes a label value as the text format requires.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware that counts every request and logs one line for it: method, route pattern,
/// status and latency. It never logs headers, bodies or raw paths, so credentials, codes, PINs
/// and passwords cannot reach the log through it.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_owned();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state
        .metrics
        .observe_request(&method, &route, status, elapsed);
    tracing::info!(
        %method,
        %route,
        status,
        latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative_and_counts_everything() {
        let metrics = Metrics::default();
        metrics.observe_request("GET", "/healthz", 200, Duration::from_millis(3));
        metrics.observe_request("GET", "/healthz", 200, Duration::from_secs(60));
        let text = metrics.render();
        assert!(text.contains(
            "paycode_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "paycode_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "paycode_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"10\"} 1"
        ));
        assert!(text.contains(
            "paycode_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 2"
        ));
    }

    #[test]
    fn verification_failures_are_counted_beside_the_payment_outcome() {
        let metrics = Metrics::default();
        metrics.observe_payment("SUCCESS");
        metrics.observe_payment("CODE_USED");
        metrics.observe_payment("INSUFFICIENT_FUNDS");
        let text = metrics.render();
        assert!(text.contains("paycode_payments_total{outcome=\"SUCCESS\"} 1"));
        assert!(text.contains("paycode_verification_failures_total{code=\"CODE_USED\"} 1"));
        assert!(!text.contains("paycode_verification_failures_total{code=\"INSUFFICIENT_FUNDS\"}"));
    }

    #[test]
    fn webhook_deliveries_and_the_queue_depth_are_rendered() {
        let metrics = Metrics::default();
        metrics.observe_delivery(true);
        metrics.observe_delivery(false);
        metrics.observe_delivery(false);
        metrics.set_webhook_queue_depth(7);
        let text = metrics.render();
        assert!(text.contains("paycode_webhook_queue_depth 7\n"));
        assert!(text.contains("paycode_webhook_deliveries_total{outcome=\"delivered\"} 1\n"));
        assert!(text.contains("paycode_webhook_deliveries_total{outcome=\"failed\"} 2\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\n"), "a\\\"b\\\\c\\n");
    }
}
