//! The server's group commit counters, read from `GET /metrics` before and after the load, so
//! that a run can say how many payments shared each durable commit and where a batch's time
//! went.

use paycode_client::Client;
use serde::Serialize;

/// Prometheus counter of the batches of payments the server committed.
pub const BATCHES_METRIC: &str = "paycode_payment_batches_total";
/// Prometheus counter of the payments committed in those batches.
pub const BATCHED_PAYMENTS_METRIC: &str = "paycode_batched_payments_total";
/// Prometheus counter of the seconds the batches spent in each phase, labelled `phase`.
pub const BATCH_SECONDS_METRIC: &str = "paycode_payment_batch_seconds_total";
/// The phases of a batch, in the order it runs them.
pub const PHASES: [&str; 4] = ["prefetch", "decide", "apply", "commit"];

/// The group commit counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchCounters {
    /// Batches committed so far.
    pub batches: u64,
    /// Payments committed in them.
    pub payments: u64,
    /// Seconds spent in each of [`PHASES`], when the server reports them.
    pub phase_seconds: Option<[f64; 4]>,
}

/// Milliseconds a batch spent in each phase, on average.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PhaseMillis {
    /// Reading and locking the rows the batch's plan names.
    pub prefetch: f64,
    /// Deciding every payment in memory.
    pub decide: f64,
    /// Checking the invariants and writing in bulk.
    pub apply: f64,
    /// The durable commit.
    pub commit: f64,
}

/// How the payments of the load were grouped into commits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Batching {
    /// Batches committed during the load.
    pub batches: u64,
    /// Payments committed in them.
    pub payments: u64,
    /// Payments per batch, on average.
    pub payments_per_batch: f64,
    /// Where a batch's time went, on average, when the server reports it.
    pub milliseconds_per_batch: Option<PhaseMillis>,
}

impl BatchCounters {
    /// Reads the counters from the server; `None` when it does not export them (a server
    /// without group commit) or cannot be read.
    pub async fn read(client: &Client) -> Option<BatchCounters> {
        let text = client.metrics().await.ok()?;
        parse_counters(&text)
    }

    /// What happened between `self` and the later `after`.
    pub fn until(self, after: BatchCounters) -> Batching {
        let batches = after.batches.saturating_sub(self.batches);
        let payments = after.payments.saturating_sub(self.payments);
        let per_batch = |total: f64| {
            if batches == 0 {
                0.0
            } else {
                total / batches as f64
            }
        };
        let milliseconds_per_batch =
            self.phase_seconds
                .zip(after.phase_seconds)
                .map(|(before, after)| {
                    let millis = |phase: usize| per_batch((after[phase] - before[phase]) * 1_000.0);
                    PhaseMillis {
                        prefetch: millis(0),
                        decide: millis(1),
                        apply: millis(2),
                        commit: millis(3),
                    }
                });
        Batching {
            batches,
            payments,
            payments_per_batch: per_batch(payments as f64),
            milliseconds_per_batch,
        }
    }
}

/// The two counters in a Prometheus text exposition, when both are there.
pub fn parse_counters(text: &str) -> Option<BatchCounters> {
    let phase = |name: &str| value(text, &format!("{BATCH_SECONDS_METRIC}{{phase=\"{name}\"}}"));
    let phase_seconds = (|| {
        Some([
            phase(PHASES[0])?,
            phase(PHASES[1])?,
            phase(PHASES[2])?,
            phase(PHASES[3])?,
        ])
    })();
    Some(BatchCounters {
        batches: value(text, BATCHES_METRIC)? as u64,
        payments: value(text, BATCHED_PAYMENTS_METRIC)? as u64,
        phase_seconds,
    })
}

/// The value of a series: the line `SERIES VALUE`, where the series is a name with its
/// labels, if any, as the server writes them.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        value.trim().parse::<f64>().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const METRICS: &str = "# HELP paycode_payment_batches_total Batches committed.\n\
        # TYPE paycode_payment_batches_total counter\n\
        paycode_payment_batches_total 40\n\
        paycode_batched_payments_total 1000\n\
        paycode_payment_batch_seconds_total{phase=\"prefetch\"} 0.1\n\
        paycode_payment_batch_seconds_total{phase=\"decide\"} 0.02\n\
        paycode_payment_batch_seconds_total{phase=\"apply\"} 0.2\n\
        paycode_payment_batch_seconds_total{phase=\"commit\"} 0.4\n\
        paycode_payments_total{outcome=\"SUCCESS\"} 990\n";

    #[test]
    fn the_group_commit_counters_are_read_and_compared() {
        let before = parse_counters(METRICS).unwrap();
        assert_eq!((before.batches, before.payments), (40, 1_000));
        assert_eq!(before.phase_seconds, Some([0.1, 0.02, 0.2, 0.4]));
        let after = BatchCounters {
            batches: 140,
            payments: 3_000,
            phase_seconds: Some([0.3, 0.12, 0.5, 1.4]),
        };
        let batching = before.until(after);
        assert_eq!((batching.batches, batching.payments), (100, 2_000));
        assert_eq!(batching.payments_per_batch, 20.0);
        let phases = batching.milliseconds_per_batch.unwrap();
        let close = |value: f64, expected: f64| (value - expected).abs() < 1e-9;
        assert!(
            close(phases.prefetch, 2.0) && close(phases.decide, 1.0),
            "{phases:?}"
        );
        assert!(
            close(phases.apply, 3.0) && close(phases.commit, 10.0),
            "{phases:?}"
        );
    }

    #[test]
    fn a_server_without_the_counters_gives_nothing() {
        assert_eq!(parse_counters("paycode_payments_total 3\n"), None);
        assert_eq!(
            parse_counters(
                "paycode_payment_batches_total_extra 3\npaycode_batched_payments_total 1\n"
            ),
            None
        );
        assert_eq!(
            parse_counters("paycode_payment_batches_total 3\npaycode_batched_payments_total 9\n")
                .unwrap()
                .phase_seconds,
            None
        );
        let idle = BatchCounters {
            batches: 0,
            payments: 0,
            phase_seconds: None,
        };
        assert_eq!(idle.until(idle).payments_per_batch, 0.0);
    }
}
