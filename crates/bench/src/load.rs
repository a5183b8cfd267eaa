//! The load: `connections` workers, each a task with a keep-alive HTTP/1.1 connection of its
//! own, charge offline codes with `POST /v1/payments` until the deadline, while a monitor prints
//! progress every second and samples the resident set size.
//!
//! Each worker owns the devices `worker, worker + connections, worker + 2 * connections, ...`,
//! so no two workers pay with the same device and each worker's [`CodeAllocator`] alone decides
//! which code index a device uses: no code is ever sent twice. Every payment has its own
//! `out_trade_no` (`TAG-WORKER-NUMBER`), a random amount of [`MIN_PAYMENT_MINOR`] to
//! [`MAX_PAYMENT_MINOR`], and goes to the first merchant (`hot`) or to each merchant in turn
//! (`spread`). What the workers keep in memory is bounded: latencies in a histogram, outcomes
//! as counts; the acknowledged payments go to a file per worker
//! ([`crate::acknowledged`]). Every [`TIMELINE_INTERVAL`] a sampler notes the payments so far
//! with the database's bytes ([`crate::timeline`]).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use paycode_api::{PayRequest, TradeStatus};
use paycode_client::{Client, ClientError};
use paycode_codec::make_offline_code;
use paycode_core::Clock;
use paycode_otp::HotpKey;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::acknowledged::{out_trade_no, Recorded, Recorder};
use crate::allocator::CodeAllocator;
use crate::error::Error;
use crate::limits::{
    EXHAUSTED_STEP_PAUSE, MAX_PAYMENT_MINOR, MIN_PAYMENT_MINOR, PROGRESS_INTERVAL, REQUEST_TIMEOUT,
    RSS_SAMPLE_INTERVAL, TIMELINE_INTERVAL, TRANSPORT_FAILURE_PAUSE,
};
use crate::meter::Meter;
use crate::population::Population;
use crate::rss::{read_memory, Process};
use crate::stats::{Latencies, Outcomes, OUTCOME_SUCCESS};
use crate::timeline::{Sample, Timeline};
use crate::Scenario;

/// How the load runs.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Base URL of the server.
    pub url: String,
    /// Where the payments go.
    pub scenario: Scenario,
    /// Concurrent workers, one connection each.
    pub connections: u32,
    /// How long workers start new payments.
    pub duration: Duration,
    /// The run's tag, the start of every `out_trade_no`.
    pub tag: String,
    /// Whether to print progress on standard error.
    pub progress: bool,
    /// Whose memory to sample.
    pub memory_of: Process,
    /// Where the workers record the payments acknowledged as `SUCCESS`.
    pub record_directory: PathBuf,
}

/// One sample of the resident set size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RssSample {
    /// Seconds since the load started.
    pub seconds: u64,
    /// Resident set size, in bytes.
    pub rss_bytes: u64,
}

/// What the load measured.
#[derive(Debug, Default)]
pub struct LoadResult {
    /// From the start until the last worker finished its last request, in seconds.
    pub seconds: f64,
    /// Latency of every request.
    pub latencies: Latencies,
    /// Requests by outcome.
    pub outcomes: Outcomes,
    /// Every payment acknowledged as `SUCCESS`, in a file per worker.
    pub acknowledged: Vec<Recorded>,
    /// Resident set size every [`RSS_SAMPLE_INTERVAL`], from the start to the end.
    pub rss_samples: Vec<RssSample>,
    /// Times a worker paused because its devices had used every code of the step.
    pub exhausted_pauses: u64,
    /// The payments and the database's bytes every [`TIMELINE_INTERVAL`], from the start to
    /// the end.
    pub timeline: Timeline,
    /// What the timeline's bytes are and where they were read.
    pub metered: String,
}

/// What the workers and the monitor share.
struct Shared {
    population: Arc<Population>,
    options: LoadOptions,
    clock: Arc<dyn Clock>,
    deadline: Instant,
    requests: AtomicU64,
    successes: AtomicU64,
}

/// Runs the load against the server at `options.url` with `population`, reading time steps
/// from `clock` and the database's bytes from `meter`. Returns when every worker has finished
/// its last request.
pub async fn run_load(
    population: Arc<Population>,
    options: LoadOptions,
    clock: Arc<dyn Clock>,
    meter: Meter,
) -> Result<LoadResult, Error> {
    assert!(
        population.devices.len() >= options.connections as usize,
        "every worker needs a device of its own"
    );
    let started = Instant::now();
    let shared = Arc::new(Shared {
        population,
        clock,
        deadline: started + options.duration,
        requests: AtomicU64::new(0),
        successes: AtomicU64::new(0),
        options,
    });
    let monitor = tokio::spawn(monitor(Arc::clone(&shared), started));
    let sampler = tokio::spawn(sample_timeline(Arc::clone(&shared), started, meter));
    let mut workers = Vec::new();
    for worker in 0..shared.options.connections {
        let worker = u16::try_from(worker).expect("connections are limited far below 65,536");
        workers.push(tokio::spawn(work(Arc::clone(&shared), worker)));
    }
    let mut result = LoadResult::default();
    for worker in workers {
        let done = worker.await??;
        result.latencies.merge(&done.latencies);
        result.outcomes.merge(&done.outcomes);
        result.acknowledged.push(done.acknowledged);
        result.exhausted_pauses += done.exhausted_pauses;
    }
    result.seconds = started.elapsed().as_secs_f64();
    let (mut timeline, meter) = sampler.await??;
    // The last sample, once every request has been answered.
    let (last, meter) = take_sample(&shared, started, meter).await?;
    timeline.push(last);
    result.timeline = timeline;
    result.metered = meter.describe();
    // A PostgreSQL meter's connection blocks when it closes, so it closes off the runtime.
    tokio::task::spawn_blocking(move || drop(meter)).await?;
    result.rss_samples = monitor.await?;
    if let Ok(memory) = read_memory(shared.options.memory_of) {
        result.rss_samples.push(RssSample {
            seconds: started.elapsed().as_secs(),
            rss_bytes: memory.rss_bytes,
        });
    }
    Ok(result)
}

impl LoadResult {
    /// How many payments were acknowledged as `SUCCESS`.
    pub fn acknowledged_count(&self) -> u64 {
        self.acknowledged
            .iter()
            .map(|recorded| recorded.count)
            .sum()
    }
}

/// What one worker measured.
struct WorkerResult {
    latencies: Latencies,
    outcomes: Outcomes,
    acknowledged: Recorded,
    exhausted_pauses: u64,
}

/// One worker: pays with its devices until the deadline.
async fn work(shared: Arc<Shared>, worker: u16) -> Result<WorkerResult, Error> {
    let population = &shared.population;
    let connections = shared.options.connections as usize;
    let own_devices = (population.devices.len() - usize::from(worker)).div_ceil(connections);
    let mut allocator = CodeAllocator::new(own_devices);
    // A client of its own, so a connection of its own; the merchants' tills share it.
    let client = Client::new(&shared.options.url)?.with_timeout(REQUEST_TIMEOUT);
    let tills: Vec<Client> = population
        .merchants
        .iter()
        .map(|merchant| client.with_bearer(merchant.api_key.clone()))
        .collect();
    let mut random = StdRng::from_entropy();
    // The recorder writes through a buffer: a write to the page cache every few hundred
    // payments, short enough to do on the task itself.
    let mut recorder = Recorder::create(&shared.options.record_directory, worker)?;
    let (mut latencies, mut outcomes, mut exhausted_pauses) =
        (Latencies::new(), Outcomes::default(), 0);
    let mut number: u32 = 0;
    // Bounded by the deadline: every pass either sends one request or pauses.
    while Instant::now() < shared.deadline {
        let step = shared.clock.now_seconds() / u64::from(population.period_seconds);
        let Some(allocation) = allocator.next(step) else {
            exhausted_pauses += 1;
            pause_until_deadline(shared.deadline, EXHAUSTED_STEP_PAUSE).await;
            continue;
        };
        let device = &population.devices[usize::from(worker) + allocation.device * connections];
        let key = HotpKey::new(&device.secret, device.algorithm);
        let code = make_offline_code(
            &population.codec,
            device.slot,
            allocation.index,
            &key,
            allocation.step,
        );
        let merchant = match shared.options.scenario {
            Scenario::Hot => 0,
            Scenario::Spread => (usize::from(worker) + number as usize) % tills.len(),
        };
        let request = PayRequest {
            out_trade_no: out_trade_no(&shared.options.tag, worker, number),
            auth_code: code.to_string(),
            amount: random.gen_range(MIN_PAYMENT_MINOR..=MAX_PAYMENT_MINOR),
            subject: None,
            terminal_id: None,
        };
        let sent = Instant::now();
        let answer = tills[merchant].pay(&request).await;
        latencies.record(sent.elapsed());
        shared.requests.fetch_add(1, Ordering::Relaxed);
        match answer {
            Ok(payment)
                if !payment.awaiting_confirmation
                    && payment.trade.status == TradeStatus::Success =>
            {
                outcomes.count(OUTCOME_SUCCESS);
                shared.successes.fetch_add(1, Ordering::Relaxed);
                let merchant = u16::try_from(merchant).expect("merchants are limited");
                recorder.record(number, merchant, &payment.trade.trade_no)?;
            }
            Ok(payment) => {
                let status = if payment.awaiting_confirmation {
                    202
                } else {
                    200
                };
                outcomes.count(&format!("{status} {}", payment.trade.status));
            }
            Err(ClientError::Api { status, code, .. }) => {
                outcomes.count(&format!("{status} {code}"));
            }
            Err(ClientError::Unexpected { status, .. }) => {
                outcomes.count(&format!("{status} unexpected body"));
            }
            Err(_) => {
                outcomes.count("transport");
                pause_until_deadline(shared.deadline, TRANSPORT_FAILURE_PAUSE).await;
            }
        }
        number = number
            .checked_add(1)
            .expect("a worker sends far fewer than 2^32 payments in an hour");
    }
    Ok(WorkerResult {
        latencies,
        outcomes,
        acknowledged: recorder.finish()?,
        exhausted_pauses,
    })
}

async fn pause_until_deadline(deadline: Instant, pause: Duration) {
    let until = (Instant::now() + pause).min(deadline);
    tokio::time::sleep_until(until.into()).await;
}

/// Samples the timeline at the start and every [`TIMELINE_INTERVAL`] before the deadline; the
/// caller takes the last sample when the workers are done.
async fn sample_timeline(
    shared: Arc<Shared>,
    started: Instant,
    meter: Meter,
) -> Result<(Timeline, Meter), Error> {
    let mut timeline = Timeline::new();
    let (first, mut meter) = take_sample(&shared, started, meter).await?;
    timeline.push(first);
    let mut ticks =
        tokio::time::interval_at((started + TIMELINE_INTERVAL).into(), TIMELINE_INTERVAL);
    // Bounded: one pass per interval until the deadline.
    loop {
        ticks.tick().await;
        if Instant::now() >= shared.deadline {
            return Ok((timeline, meter));
        }
        let (sample, returned) = take_sample(&shared, started, meter).await?;
        meter = returned;
        if shared.options.progress {
            if let Some(interval) = timeline.samples().last().map(|last| {
                (sample.payments - last.payments) as f64 / (sample.seconds - last.seconds)
            }) {
                eprintln!(
                    "[load {:>5.1}s] {interval:.0} payments/s over the last {} s",
                    sample.seconds,
                    TIMELINE_INTERVAL.as_secs()
                );
            }
        }
        timeline.push(sample);
    }
}

/// The payments so far and the meter's reading, which blocks and so runs off the runtime.
async fn take_sample(
    shared: &Shared,
    started: Instant,
    mut meter: Meter,
) -> Result<(Sample, Meter), Error> {
    let seconds = started.elapsed().as_secs_f64();
    let payments = shared.successes.load(Ordering::Relaxed);
    let (reading, meter) = tokio::task::spawn_blocking(move || (meter.read(), meter)).await?;
    Ok((
        Sample {
            seconds,
            payments,
            reading,
        },
        meter,
    ))
}

/// Prints progress every [`PROGRESS_INTERVAL`] and samples memory every
/// [`RSS_SAMPLE_INTERVAL`], from the start until the deadline.
async fn monitor(shared: Arc<Shared>, started: Instant) -> Vec<RssSample> {
    let mut samples = Vec::new();
    let sample = |samples: &mut Vec<RssSample>| {
        let memory = read_memory(shared.options.memory_of).ok()?;
        samples.push(RssSample {
            seconds: started.elapsed().as_secs(),
            rss_bytes: memory.rss_bytes,
        });
        Some(memory.rss_bytes)
    };
    sample(&mut samples);
    let mut last_sample = Instant::now();
    let mut last = (0, Instant::now());
    let mut ticks =
        tokio::time::interval_at((started + PROGRESS_INTERVAL).into(), PROGRESS_INTERVAL);
    // Bounded: one pass per second until the deadline.
    while Instant::now() < shared.deadline {
        ticks.tick().await;
        let rss = if last_sample.elapsed() >= RSS_SAMPLE_INTERVAL {
            last_sample = Instant::now();
            sample(&mut samples)
        } else {
            None
        };
        if !shared.options.progress {
            continue;
        }
        let requests = shared.requests.load(Ordering::Relaxed);
        let successes = shared.successes.load(Ordering::Relaxed);
        let rate = (successes - last.0) as f64 / last.1.elapsed().as_secs_f64();
        let errors = requests - successes;
        let memory = rss
            .map(|bytes| format!(", rss {}", crate::report::mebibytes(bytes)))
            .unwrap_or_default();
        eprintln!(
            "[load {:>5.1}s] {successes} payments ({rate:.0}/s now), {errors} not SUCCESS{memory}",
            started.elapsed().as_secs_f64(),
        );
        last = (successes, Instant::now());
    }
    samples
}
