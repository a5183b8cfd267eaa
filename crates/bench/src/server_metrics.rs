//! The server's group commit counters, read from `GET /metrics` before and after the load, so
//! that a run can say how many payments shared each durable commit.

use paycode_client::Client;
use serde::Serialize;

/// Prometheus counter of the batches of payments the server committed.
pub const BATCHES_METRIC: &str = "paycode_payment_batches_total";
/// Prometheus counter of the payments committed in those batches.
pub const BATCHED_PAYMENTS_METRIC: &str = "paycode_batched_payments_total";

/// The group commit counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchCounters {
    /// Batches committed so far.
    pub batches: u64,
    /// Payments committed in them.
    pub payments: u64,
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
        Batching {
            batches,
            payments,
            payments_per_batch: if batches == 0 {
                0.0
            } else {
                payments as f64 / batches as f64
            },
        }
    }
}

/// The two counters in a Prometheus text exposition, when both are there.
pub fn parse_counters(text: &str) -> Option<BatchCounters> {
    Some(BatchCounters {
        batches: counter(text, BATCHES_METRIC)?,
        payments: counter(text, BATCHED_PAYMENTS_METRIC)?,
    })
}

/// The value of an unlabelled counter: the line `NAME VALUE`.
fn counter(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(name)?.strip_prefix(' ')?;
        // Prometheus writes numbers as floats; counters here are whole.
        value.trim().parse::<f64>().ok().map(|value| value as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const METRICS: &str = "# HELP paycode_payment_batches_total Batches committed.\n\
        # TYPE paycode_payment_batches_total counter\n\
        paycode_payment_batches_total 40\n\
        paycode_batched_payments_total 1000\n\
        paycode_payments_total{outcome=\"SUCCESS\"} 990\n";

    #[test]
    fn the_group_commit_counters_are_read_and_compared() {
        let before = parse_counters(METRICS).unwrap();
        assert_eq!(
            before,
            BatchCounters {
                batches: 40,
                payments: 1_000
            }
        );
        let after = BatchCounters {
            batches: 140,
            payments: 3_000,
        };
        let batching = before.until(after);
        assert_eq!((batching.batches, batching.payments), (100, 2_000));
        assert_eq!(batching.payments_per_batch, 20.0);
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
        let idle = BatchCounters {
            batches: 0,
            payments: 0,
        };
        assert_eq!(idle.until(idle).payments_per_batch, 0.0);
    }
}
