//! The load over time: a [`Sample`] of the payments acknowledged so far, the bytes the database
//! wrote and its size, taken at the start, every [`TIMELINE_INTERVAL`] and at the end; from them
//! the rate per interval, the first and the last minute's rates and their ratio, and the bytes
//! written and the growth per payment. A run keeps at most one sample per interval of its
//! duration (361 for the longest run), so a long run stays within bounded memory.
//!
//! [`TIMELINE_INTERVAL`]: crate::limits::TIMELINE_INTERVAL

use serde::Serialize;

use crate::limits::{TIMELINE_INTERVAL, TIMELINE_WINDOW};

/// What had happened by one moment of the load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    /// Seconds since the load started.
    pub seconds: f64,
    /// Payments acknowledged as `SUCCESS` so far.
    pub payments: u64,
    /// The meter's reading then.
    #[serde(flatten)]
    pub reading: Reading,
}

/// What the database's meter read at one moment; each part `None` where it cannot be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Reading {
    /// Bytes written so far: the server process's `write_bytes` (SQLite) or the cluster's WAL
    /// bytes (PostgreSQL), a counter that only grows.
    pub written_bytes: Option<u64>,
    /// The database's size now, in bytes.
    pub database_bytes: Option<u64>,
}

/// The payments of one interval of the load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Seconds since the load started, at the end of the interval.
    pub seconds: f64,
    /// Payments acknowledged in the interval.
    pub payments: u64,
    /// Its length, in seconds: [`TIMELINE_INTERVAL`] but for a shorter last one.
    pub length_seconds: f64,
    /// `payments / length_seconds`.
    pub per_second: f64,
    /// Bytes written per payment in the interval, where the meter reads them.
    pub written_bytes_per_payment: Option<f64>,
}

/// The rate and the bytes of a span of the load, such as its first or its last minute.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Window {
    /// Seconds since the load started, at the start of the span.
    pub from_seconds: f64,
    /// Seconds since the load started, at its end.
    pub to_seconds: f64,
    /// Payments acknowledged in it.
    pub payments: u64,
    /// Payments per second in it.
    pub per_second: f64,
    /// Bytes written per payment in it, where the meter reads them.
    pub written_bytes_per_payment: Option<f64>,
    /// Database growth per payment in it, in bytes, where the meter reads the size.
    pub growth_bytes_per_payment: Option<f64>,
}

/// How the rate held over the load: the first and the last span and the ratio of their rates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Trend {
    /// The span compared, in seconds: a minute, or for a run shorter than two minutes one
    /// interval of ten seconds.
    pub span_seconds: f64,
    /// The first span of the load.
    pub first: Window,
    /// The last span of the load.
    pub last: Window,
    /// `last.per_second / first.per_second`: 1.0 when the rate held, 0 when nothing was paid
    /// at first.
    pub last_to_first: f64,
}

/// The samples of one load, in the order they were taken.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    samples: Vec<Sample>,
}

impl Timeline {
    /// An empty timeline.
    pub fn new() -> Timeline {
        Timeline::default()
    }

    /// Adds a sample taken after every earlier one.
    pub fn push(&mut self, sample: Sample) {
        if let Some(last) = self.samples.last() {
            assert!(sample.seconds >= last.seconds, "samples come in order");
            assert!(sample.payments >= last.payments, "payments only add up");
        }
        self.samples.push(sample);
    }

    /// Every sample.
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// The rate of each interval between consecutive samples.
    pub fn intervals(&self) -> Vec<Interval> {
        self.samples
            .windows(2)
            .map(|pair| {
                let window = window(&pair[0], &pair[1]);
                Interval {
                    seconds: window.to_seconds,
                    payments: window.payments,
                    length_seconds: window.to_seconds - window.from_seconds,
                    per_second: window.per_second,
                    written_bytes_per_payment: window.written_bytes_per_payment,
                }
            })
            .collect()
    }

    /// From the first to the last sample; `None` with fewer than two.
    pub fn whole(&self) -> Option<Window> {
        Some(window(self.samples.first()?, self.samples.last()?))
    }

    /// The first and the last minute of the load, or for a load shorter than two minutes its
    /// first and last interval; `None` with fewer than two samples.
    pub fn trend(&self) -> Option<Trend> {
        let (first_sample, last_sample) = (self.samples.first()?, self.samples.last()?);
        if self.samples.len() < 2 {
            return None;
        }
        let length = last_sample.seconds - first_sample.seconds;
        let span = if length >= 2.0 * TIMELINE_WINDOW.as_secs_f64() {
            TIMELINE_WINDOW.as_secs_f64()
        } else {
            TIMELINE_INTERVAL.as_secs_f64()
        };
        // The sample nearest to `span` after the start, and the one nearest to `span` before
        // the end: samples are taken every interval, so both spans are whole intervals but for
        // a short last one.
        let first_end = self.nearest(first_sample.seconds + span, 1);
        let last_start = self.nearest(last_sample.seconds - span, 0);
        let last_start = last_start.min(self.samples.len() - 2);
        let first = window(first_sample, &self.samples[first_end]);
        let last = window(&self.samples[last_start], last_sample);
        let last_to_first = if first.per_second > 0.0 {
            last.per_second / first.per_second
        } else {
            0.0
        };
        Some(Trend {
            span_seconds: span,
            first,
            last,
            last_to_first,
        })
    }

    /// The index of the sample taken nearest to `seconds`, at least `lowest`.
    fn nearest(&self, seconds: f64, lowest: usize) -> usize {
        let distance = |sample: &Sample| (sample.seconds - seconds).abs();
        (lowest..self.samples.len())
            .min_by(|&one, &other| {
                distance(&self.samples[one]).total_cmp(&distance(&self.samples[other]))
            })
            .unwrap_or(lowest)
    }
}

/// The rate and bytes between two samples.
fn window(from: &Sample, to: &Sample) -> Window {
    let payments = to.payments - from.payments;
    let seconds = to.seconds - from.seconds;
    let per_payment = |before: Option<u64>, after: Option<u64>| {
        let (before, after) = (before?, after?);
        (payments > 0).then(|| (after as f64 - before as f64) / payments as f64)
    };
    Window {
        from_seconds: from.seconds,
        to_seconds: to.seconds,
        payments,
        per_second: if seconds > 0.0 {
            payments as f64 / seconds
        } else {
            0.0
        },
        written_bytes_per_payment: per_payment(
            from.reading.written_bytes,
            to.reading.written_bytes,
        ),
        growth_bytes_per_payment: per_payment(
            from.reading.database_bytes,
            to.reading.database_bytes,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(seconds: f64, payments: u64, written: u64, size: u64) -> Sample {
        Sample {
            seconds,
            payments,
            reading: Reading {
                written_bytes: Some(written),
                database_bytes: Some(size),
            },
        }
    }

    /// A load of `length` seconds sampled every ten, paying `rate(second)` per second and
    /// writing `bytes` per payment, the last sample at `length`.
    fn timeline(length: f64, rate: impl Fn(f64) -> u64, bytes: u64) -> Timeline {
        let mut timeline = Timeline::new();
        let (mut seconds, mut payments) = (0.0, 0);
        timeline.push(sample(0.0, 0, 1_000, 4_096));
        while seconds < length {
            let next = (seconds + 10.0_f64).min(length);
            payments += rate(seconds) * (next - seconds) as u64;
            seconds = next;
            timeline.push(sample(
                seconds,
                payments,
                1_000 + payments * bytes,
                4_096 + payments * 100,
            ));
        }
        timeline
    }

    #[test]
    fn each_interval_has_its_payments_and_rate() {
        let timeline = timeline(30.0, |second| if second < 10.0 { 500 } else { 200 }, 3_000);
        let intervals = timeline.intervals();
        assert_eq!(intervals.len(), 3);
        assert_eq!(
            intervals
                .iter()
                .map(|interval| (interval.seconds, interval.payments))
                .collect::<Vec<_>>(),
            vec![(10.0, 5_000), (20.0, 2_000), (30.0, 2_000)]
        );
        assert_eq!(intervals[0].per_second, 500.0);
        assert_eq!(intervals[1].per_second, 200.0);
        assert_eq!(intervals[2].written_bytes_per_payment, Some(3_000.0));
    }

    #[test]
    fn a_ten_minute_load_compares_its_first_and_last_minute() {
        // 1,000/s in the first minute, 900/s from then on.
        let timeline = timeline(
            600.0,
            |second| if second < 60.0 { 1_000 } else { 900 },
            2_000,
        );
        let trend = timeline.trend().unwrap();
        assert_eq!(trend.span_seconds, 60.0);
        assert_eq!(
            (trend.first.from_seconds, trend.first.to_seconds),
            (0.0, 60.0)
        );
        assert_eq!(
            (trend.last.from_seconds, trend.last.to_seconds),
            (540.0, 600.0)
        );
        assert_eq!(trend.first.per_second, 1_000.0);
        assert_eq!(trend.last.per_second, 900.0);
        assert!((trend.last_to_first - 0.9).abs() < 1e-12);
        assert_eq!(trend.last.written_bytes_per_payment, Some(2_000.0));
        assert_eq!(trend.last.growth_bytes_per_payment, Some(100.0));
        assert_eq!(timeline.intervals().len(), 60);
    }

    #[test]
    fn a_load_under_two_minutes_compares_its_first_and_last_ten_seconds() {
        let timeline = timeline(90.0, |second| 1_000 - second as u64 * 10, 1_000);
        let trend = timeline.trend().unwrap();
        assert_eq!(trend.span_seconds, 10.0);
        assert_eq!(
            (trend.first.from_seconds, trend.first.to_seconds),
            (0.0, 10.0)
        );
        assert_eq!(
            (trend.last.from_seconds, trend.last.to_seconds),
            (80.0, 90.0)
        );
        assert_eq!(trend.first.per_second, 1_000.0);
        assert_eq!(trend.last.per_second, 200.0);
        assert!((trend.last_to_first - 0.2).abs() < 1e-12);
    }

    #[test]
    fn a_load_shorter_than_one_interval_compares_it_with_itself() {
        let timeline = timeline(4.0, |_| 250, 500);
        let trend = timeline.trend().unwrap();
        assert_eq!(trend.first, trend.last);
        assert_eq!(trend.last_to_first, 1.0);
        assert_eq!(timeline.whole().unwrap().payments, 1_000);
    }

    #[test]
    fn a_short_last_interval_after_the_deadline_counts_at_its_own_length() {
        let mut timeline = timeline(120.0, |_| 100, 1_000);
        let end = timeline.samples().last().copied().unwrap();
        timeline.push(Sample {
            seconds: 120.5,
            payments: end.payments + 20,
            reading: end.reading,
        });
        let last = *timeline.intervals().last().unwrap();
        assert_eq!(last.payments, 20);
        assert_eq!(last.length_seconds, 0.5);
        assert_eq!(last.per_second, 40.0);
        assert_eq!(last.written_bytes_per_payment, Some(0.0));
        let trend = timeline.trend().unwrap();
        assert_eq!(trend.last.from_seconds, 60.0);
    }

    #[test]
    fn bytes_per_payment_are_unknown_where_the_meter_reads_nothing_or_nothing_was_paid() {
        let mut timeline = Timeline::new();
        timeline.push(Sample {
            seconds: 0.0,
            payments: 0,
            reading: Reading::default(),
        });
        timeline.push(Sample {
            seconds: 10.0,
            payments: 10,
            reading: Reading::default(),
        });
        timeline.push(sample(20.0, 10, 5_000, 5_000));
        let whole = timeline.whole().unwrap();
        assert_eq!(whole.written_bytes_per_payment, None);
        assert_eq!(timeline.intervals()[1].written_bytes_per_payment, None);
        let trend = timeline.trend().unwrap();
        assert_eq!(trend.first.payments, 10);
        assert_eq!(trend.last.per_second, 0.0);
        assert_eq!(trend.last_to_first, 0.0);
    }

    #[test]
    #[should_panic(expected = "payments only add up")]
    fn a_sample_with_fewer_payments_than_the_one_before_is_a_bug() {
        let mut timeline = Timeline::new();
        timeline.push(sample(0.0, 10, 0, 0));
        timeline.push(sample(1.0, 9, 0, 0));
    }
}
