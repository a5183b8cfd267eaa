//! What a run found, as one JSON object (`--json`) or as text for people.

use std::fmt;

use serde::Serialize;

use crate::ceiling::Ceiling;
use crate::check::StoredCheck;
use crate::options::{DatabaseKind, Scenario};
use crate::server_metrics::Batching;
use crate::stats::Outcomes;
use crate::timeline::{Interval, Trend, Window};

/// Bytes in a mebibyte.
const BYTES_PER_MEBIBYTE: f64 = 1_048_576.0;

/// Everything a run measured and checked.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Where the payments went.
    pub scenario: Scenario,
    /// The database measured.
    pub database: DatabaseKind,
    /// `in-process` or `remote`.
    pub server: &'static str,
    /// Concurrent connections.
    pub connections: u32,
    /// The load's requested duration, in seconds.
    pub duration_seconds: u64,
    /// How long the load really took, until the last request answered, in seconds.
    pub elapsed_seconds: f64,
    /// Devices enrolled.
    pub devices: u32,
    /// Users holding them.
    pub users: u32,
    /// Merchants charging.
    pub merchants: u32,
    /// How long building the population took, in seconds.
    pub population_seconds: f64,
    /// Devices enrolled per second while building it.
    pub population_devices_per_second: f64,
    /// Requests sent.
    pub requests: u64,
    /// Payments acknowledged as `SUCCESS`.
    pub payments: u64,
    /// Acknowledged payments per second of the load.
    pub payments_per_second: f64,
    /// What the baseline was.
    pub baseline_kind: &'static str,
    /// The baseline's transfers per second.
    pub baseline_per_second: f64,
    /// `payments_per_second / baseline_per_second`.
    pub ratio: f64,
    /// The second baseline: the same connections sending requests the server answers without
    /// a handler or the database.
    pub http_ceiling: Ceiling,
    /// `payments_per_second / http_ceiling.per_second`: the payment rate as a fraction of the
    /// HTTP ceiling of this machine.
    pub ceiling_fraction: f64,
    /// Payments per ten seconds of the load (the last interval may be shorter).
    pub intervals: Vec<Interval>,
    /// The first and the last minute (or ten seconds in a run under two minutes) and the ratio
    /// of their rates; `null` when the timeline has fewer than two samples.
    pub trend: Option<Trend>,
    /// The whole load: bytes written and database growth per payment.
    pub whole: Option<Window>,
    /// What the bytes written and the database's size are and where they were read.
    pub metered: String,
    /// Median latency of all requests, in milliseconds.
    pub p50_ms: f64,
    /// 95th percentile latency, in milliseconds.
    pub p95_ms: f64,
    /// 99th percentile latency, in milliseconds.
    pub p99_ms: f64,
    /// Largest latency, in milliseconds.
    pub max_ms: f64,
    /// Mean latency, in milliseconds.
    pub mean_ms: f64,
    /// Requests that did not end `200 SUCCESS`.
    pub errors: u64,
    /// Requests answered with a 5xx status.
    pub server_errors: u64,
    /// Requests by outcome, such as `200 SUCCESS` or `422 CODE_USED`.
    pub outcomes: Outcomes,
    /// Times a worker paused because its devices had used every code of the time step (ten
    /// per device per step): a sign that the population is too small for the rate.
    pub exhausted_pauses: u64,
    /// How the server grouped the load's payments into durable commits, from its `/metrics`;
    /// `null` when it does not export group commit counters.
    pub batching: Option<Batching>,
    /// Payments acknowledged as `SUCCESS` (the same as `payments`).
    pub acknowledged: u64,
    /// Whether every acknowledged payment is stored as `SUCCESS` with its `trade_no`.
    pub stored_ok: bool,
    /// The details of that check.
    pub stored: StoredCheck,
    /// Whether `GET /v1/admin/ledger/check` said the invariants hold.
    pub ledger_ok: bool,
    /// Whose memory the figures below are: this process (with an in-process server, load
    /// generator and server together) or the server's process.
    pub memory_of: String,
    /// Largest resident set size of that process, in bytes (`VmHWM`).
    pub peak_rss_bytes: u64,
    /// Its resident set size sampled during the load, in bytes.
    pub rss_samples_bytes: Vec<u64>,
    /// Whether every merchant had a webhook during the run.
    pub webhooks: bool,
    /// Events the no-op receiver got by the end of the checks, when there were webhooks.
    pub webhook_deliveries: Option<u64>,
    /// When each sample was taken, in seconds since the load started.
    pub rss_sample_seconds: Vec<u64>,
}

impl Report {
    /// True when the run's checks passed: every acknowledged payment stored, the ledger's
    /// invariants holding.
    pub fn checks_passed(&self) -> bool {
        self.stored_ok && self.ledger_ok
    }
}

impl Report {
    fn write_timeline(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rates: Vec<String> = self
            .intervals
            .iter()
            .map(|interval| format!("{:.0}", interval.per_second))
            .collect();
        writeln!(out, "per 10 s:    {} payments/s", rates.join(" "))?;
        if let Some(trend) = &self.trend {
            let (span, note) = if trend.span_seconds >= 60.0 {
                ("minute".to_owned(), "")
            } else {
                (
                    format!("{:.0} s", trend.span_seconds),
                    " (the run is under two minutes)",
                )
            };
            writeln!(
                out,
                "trend:       first {span} {:.0}/s, last {span} {:.0}/s: last/first {:.3}{note}",
                trend.first.per_second, trend.last.per_second, trend.last_to_first
            )?;
            writeln!(out, "bytes:       {}", self.metered)?;
            for (name, window) in [
                (format!("first {span}"), Some(&trend.first)),
                (format!("last {span}"), Some(&trend.last)),
                ("whole load".to_owned(), self.whole.as_ref()),
            ] {
                let Some(window) = window else { continue };
                writeln!(
                    out,
                    "             {name}: {} written, {} growth per payment",
                    bytes_or_unknown(window.written_bytes_per_payment),
                    bytes_or_unknown(window.growth_bytes_per_payment)
                )?;
            }
        }
        Ok(())
    }
}

/// Bytes per payment with no decimals, or `unknown`.
fn bytes_or_unknown(bytes: Option<f64>) -> String {
    bytes.map_or_else(|| "unknown".to_owned(), |bytes| format!("{bytes:.0} B"))
}

/// `bytes` as mebibytes with one decimal, such as `84.2 MiB`.
pub fn mebibytes(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / BYTES_PER_MEBIBYTE)
}

impl fmt::Display for Report {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let database = match self.database {
            DatabaseKind::Sqlite => "SQLite",
            DatabaseKind::Postgres => "PostgreSQL",
        };
        writeln!(
            out,
            "paycode bench: {} scenario, {database} ({} server), {} connections, {} s",
            self.scenario, self.server, self.connections, self.duration_seconds
        )?;
        writeln!(
            out,
            "population:  {} devices, {} users, {} merchants, built in {:.1} s ({:.0} devices/s)",
            self.devices,
            self.users,
            self.merchants,
            self.population_seconds,
            self.population_devices_per_second
        )?;
        writeln!(
            out,
            "payments:    {} acknowledged in {:.2} s = {:.0} payments/s",
            self.payments, self.elapsed_seconds, self.payments_per_second
        )?;
        writeln!(
            out,
            "baseline:    {:.0}/s ({})",
            self.baseline_per_second, self.baseline_kind
        )?;
        writeln!(out, "ratio:       {:.2} (paycode / baseline)", self.ratio)?;
        writeln!(
            out,
            "ceiling:     {:.0} requests/s ({}); payments are {:.3} of it",
            self.http_ceiling.per_second, self.http_ceiling.kind, self.ceiling_fraction
        )?;
        self.write_timeline(out)?;
        writeln!(
            out,
            "latency:     p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.p50_ms, self.p95_ms, self.p99_ms, self.max_ms
        )?;
        writeln!(
            out,
            "outcomes:    {} requests, {} errors (not 200 SUCCESS), {} server errors",
            self.requests, self.errors, self.server_errors
        )?;
        for (outcome, count) in self.outcomes.iter() {
            writeln!(out, "             {count:>9}  {outcome}")?;
        }
        if self.exhausted_pauses > 0 {
            writeln!(
                out,
                "             {} pauses: every device had used its ten codes of the step",
                self.exhausted_pauses
            )?;
        }
        if let Some(batching) = &self.batching {
            writeln!(
                out,
                "commits:     {} batches of {:.1} payments on average",
                batching.batches, batching.payments_per_batch
            )?;
            if let Some(phases) = &batching.milliseconds_per_batch {
                writeln!(
                    out,
                    "             a batch took {:.2} ms to prefetch, {:.2} ms to decide, {:.2} ms to apply, {:.2} ms to commit",
                    phases.prefetch, phases.decide, phases.apply, phases.commit
                )?;
            }
        }
        writeln!(
            out,
            "stored:      {} ({} of {} acknowledged found as SUCCESS; {} missing, {} mismatched, {} unreadable)",
            if self.stored_ok { "ok" } else { "FAILED" },
            self.stored.stored,
            self.acknowledged,
            self.stored.missing,
            self.stored.mismatched,
            self.stored.unreadable
        )?;
        writeln!(
            out,
            "ledger:      {}",
            if self.ledger_ok { "ok" } else { "FAILED" }
        )?;
        if let Some(deliveries) = self.webhook_deliveries {
            writeln!(
                out,
                "webhooks:    every merchant has one; {deliveries} events received by then"
            )?;
        }
        let samples: Vec<String> = self
            .rss_sample_seconds
            .iter()
            .zip(&self.rss_samples_bytes)
            .map(|(seconds, bytes)| format!("{seconds}s {}", mebibytes(*bytes)))
            .collect();
        writeln!(
            out,
            "memory:      peak RSS {} of {}",
            mebibytes(self.peak_rss_bytes),
            self.memory_of
        )?;
        write!(out, "rss samples: {}", samples.join(", "))
    }
}
