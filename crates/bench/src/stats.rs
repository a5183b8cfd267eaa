//! Latencies and outcomes of the payments a run sent, kept in bounded memory: latencies in an
//! HDR histogram (fixed size whatever the number of payments), outcomes as counts per kind.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::limits::{LATENCY_HIGHEST_MICROSECONDS, LATENCY_SIGNIFICANT_DIGITS};

/// Microseconds in a millisecond, for reporting.
const MICROSECONDS_PER_MILLISECOND: f64 = 1_000.0;

/// Latencies of requests, in microseconds, with three significant digits.
#[derive(Debug, Clone)]
pub struct Latencies {
    histogram: Histogram<u64>,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies::new()
    }
}

impl Latencies {
    /// An empty record.
    pub fn new() -> Latencies {
        let histogram =
            Histogram::new_with_bounds(1, LATENCY_HIGHEST_MICROSECONDS, LATENCY_SIGNIFICANT_DIGITS)
                .expect("the latency bounds are valid");
        Latencies { histogram }
    }

    /// Records one request's latency; one longer than a minute counts as a minute.
    pub fn record(&mut self, latency: Duration) {
        let microseconds = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .clamp(1, LATENCY_HIGHEST_MICROSECONDS);
        self.histogram
            .record(microseconds)
            .expect("a clamped value is inside the histogram's bounds");
    }

    /// Adds another record's latencies to this one.
    pub fn merge(&mut self, other: &Latencies) {
        self.histogram
            .add(&other.histogram)
            .expect("histograms of the same bounds add up");
    }

    /// How many latencies were recorded.
    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// The summary: percentiles and the maximum in milliseconds, all 0 when nothing was
    /// recorded.
    pub fn summary(&self) -> LatencySummary {
        let milliseconds = |microseconds: u64| microseconds as f64 / MICROSECONDS_PER_MILLISECOND;
        let percentile = |quantile: f64| milliseconds(self.histogram.value_at_quantile(quantile));
        LatencySummary {
            count: self.count(),
            p50_ms: percentile(0.50),
            p95_ms: percentile(0.95),
            p99_ms: percentile(0.99),
            max_ms: milliseconds(self.histogram.max()),
            mean_ms: self.histogram.mean() / MICROSECONDS_PER_MILLISECOND,
        }
    }
}

/// Percentiles of a set of latencies, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatencySummary {
    /// How many latencies.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
    /// Arithmetic mean.
    pub mean_ms: f64,
}

/// The outcome key of a successful payment.
pub const OUTCOME_SUCCESS: &str = "200 SUCCESS";

/// How many requests ended each way, keyed like `200 SUCCESS`, `202 USER_PAYING`,
/// `422 CODE_USED`, `500 INTERNAL` or `transport`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Outcomes {
    counts: BTreeMap<String, u64>,
}

impl Outcomes {
    /// Counts one request that ended as `outcome`.
    pub fn count(&mut self, outcome: &str) {
        match self.counts.get_mut(outcome) {
            Some(count) => *count += 1,
            None => {
                self.counts.insert(outcome.to_owned(), 1);
            }
        }
    }

    /// Adds another set of counts to this one.
    pub fn merge(&mut self, other: &Outcomes) {
        for (outcome, count) in &other.counts {
            *self.counts.entry(outcome.clone()).or_default() += count;
        }
    }

    /// Every request counted.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Requests that did not end as `200 SUCCESS`.
    pub fn errors(&self) -> u64 {
        self.total() - self.successes()
    }

    /// Requests that ended as `200 SUCCESS`.
    pub fn successes(&self) -> u64 {
        self.counts.get(OUTCOME_SUCCESS).copied().unwrap_or(0)
    }

    /// Requests answered with a 5xx status.
    pub fn server_errors(&self) -> u64 {
        self.counts
            .iter()
            .filter(|(outcome, _)| outcome.starts_with('5'))
            .map(|(_, count)| count)
            .sum()
    }

    /// The counts, by outcome.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.counts
            .iter()
            .map(|(outcome, count)| (outcome.as_str(), *count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64) -> bool {
        // Three significant digits: within 0.1 % of the value.
        (actual - expected).abs() <= expected * 0.001 + 0.001
    }

    #[test]
    fn percentiles_of_one_to_a_hundred_milliseconds_are_where_expected() {
        let mut latencies = Latencies::new();
        for milliseconds in 1..=100 {
            latencies.record(Duration::from_millis(milliseconds));
        }
        let summary = latencies.summary();
        assert_eq!(summary.count, 100);
        assert!(close(summary.p50_ms, 50.0), "{summary:?}");
        assert!(close(summary.p95_ms, 95.0), "{summary:?}");
        assert!(close(summary.p99_ms, 99.0), "{summary:?}");
        assert!(close(summary.max_ms, 100.0), "{summary:?}");
        assert!(close(summary.mean_ms, 50.5), "{summary:?}");
    }

    #[test]
    fn one_slow_request_in_a_hundred_shows_at_the_maximum_not_at_p99() {
        let mut latencies = Latencies::new();
        for _ in 0..99 {
            latencies.record(Duration::from_micros(800));
        }
        latencies.record(Duration::from_secs(2));
        let summary = latencies.summary();
        assert!(close(summary.p50_ms, 0.8), "{summary:?}");
        assert!(close(summary.p99_ms, 0.8), "{summary:?}");
        assert!(close(summary.max_ms, 2_000.0), "{summary:?}");
    }

    #[test]
    fn merged_records_add_up_and_extremes_are_clamped() {
        let mut first = Latencies::new();
        first.record(Duration::ZERO);
        let mut second = Latencies::new();
        second.record(Duration::from_secs(3_600));
        first.merge(&second);
        let summary = first.summary();
        assert_eq!(summary.count, 2);
        assert!(close(summary.max_ms, 60_000.0), "{summary:?}");
    }

    #[test]
    fn an_empty_record_summarises_to_zeros() {
        let summary = Latencies::new().summary();
        assert_eq!(summary.count, 0);
        assert_eq!(summary.p99_ms, 0.0);
        assert_eq!(summary.max_ms, 0.0);
    }

    #[test]
    fn outcomes_count_successes_errors_and_server_errors() {
        let mut outcomes = Outcomes::default();
        for outcome in [
            OUTCOME_SUCCESS,
            OUTCOME_SUCCESS,
            "422 CODE_USED",
            "500 INTERNAL",
        ] {
            outcomes.count(outcome);
        }
        let mut more = Outcomes::default();
        more.count("transport");
        more.count(OUTCOME_SUCCESS);
        outcomes.merge(&more);
        assert_eq!(outcomes.total(), 6);
        assert_eq!(outcomes.successes(), 3);
        assert_eq!(outcomes.errors(), 3);
        assert_eq!(outcomes.server_errors(), 1);
        assert_eq!(
            serde_json::to_value(&outcomes).unwrap(),
            serde_json::json!({"200 SUCCESS": 3, "422 CODE_USED": 1, "500 INTERNAL": 1, "transport": 1})
        );
    }
}
