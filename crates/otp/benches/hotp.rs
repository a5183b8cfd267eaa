//! What preparing the HMAC state once per secret saves.
//!
//! `hotp/precomputed` computes a code with [`HotpKey::value`], which clones an HMAC state keyed
//! once; `hotp/fresh_hmac` keys a new `Hmac<Sha1>` for every code, as a naive implementation
//! would. After criterion finishes, the ratio of their means is printed, read from criterion's
//! `estimates.json` files of this run.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use criterion::Criterion;
use hmac::{Hmac, Mac};
use paycode_otp::{totp, Algorithm, Digits, HotpKey, Secret, Window};
use sha1::Sha1;

const GROUP: &str = "hotp";
const PRECOMPUTED: &str = "precomputed";
const FRESH_HMAC: &str = "fresh_hmac";
const VERIFY_MISS: &str = "totp_verify_window_1_miss";

/// The baseline: RFC 4226 HOTP with the HMAC keyed from scratch on every call.
fn fresh_hmac_value(secret: &[u8], counter: u64, digits: Digits) -> u32 {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let bytes = mac.finalize().into_bytes();
    let offset = usize::from(bytes[bytes.len() - 1] & 0x0f);
    let word = [
        bytes[offset],
        bytes[offset + 1],
        bytes[offset + 2],
        bytes[offset + 3],
    ];
    (u32::from_be_bytes(word) & 0x7fff_ffff) % digits.modulus()
}

fn bench_hotp(criterion: &mut Criterion) {
    let secret = Secret::from_bytes(b"12345678901234567890".to_vec()).expect("a valid secret");
    let key = HotpKey::new(&secret, Algorithm::Sha1);
    for counter in [0, 1, 9, 1 << 40] {
        assert_eq!(
            key.value(counter, Digits::SIX),
            fresh_hmac_value(secret.expose_bytes(), counter, Digits::SIX),
            "the baseline must compute the same codes, counter {counter}"
        );
    }

    let mut group = criterion.benchmark_group(GROUP);
    let mut counter = 0u64;
    group.bench_function(PRECOMPUTED, |bencher| {
        bencher.iter(|| {
            counter = counter.wrapping_add(1);
            key.value(black_box(counter), Digits::SIX)
        })
    });
    group.bench_function(FRESH_HMAC, |bencher| {
        bencher.iter(|| {
            counter = counter.wrapping_add(1);
            fresh_hmac_value(
                black_box(secret.expose_bytes()),
                black_box(counter),
                Digits::SIX,
            )
        })
    });
    // A wrong code searches the whole window: three steps, the common worst case of a server.
    group.bench_function(VERIFY_MISS, |bencher| {
        bencher.iter(|| {
            totp::verify_at_step(
                &key,
                Digits::SIX,
                black_box("000000"),
                black_box(1_000_000),
                Window::symmetric(1),
            )
        })
    });
    group.finish();
}

/// Where criterion writes its results: `CRITERION_HOME`, else `<target>/criterion`, with the
/// target directory from `CARGO_TARGET_DIR` or found by walking up from the current directory.
fn criterion_directory() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(PathBuf::from(home));
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(target).join("criterion"));
    }
    let current = std::env::current_dir().ok()?;
    current
        .ancestors()
        .map(|directory| directory.join("target").join("criterion"))
        .find(|candidate| candidate.is_dir())
}

/// The mean of one benchmark in nanoseconds, if criterion wrote it during this run.
fn mean_nanoseconds(directory: &Path, bench: &str, started: SystemTime) -> Option<f64> {
    let path = directory
        .join(GROUP)
        .join(bench)
        .join("new")
        .join("estimates.json");
    let written = std::fs::metadata(&path).ok()?.modified().ok()?;
    if written < started {
        return None;
    }
    let estimates: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    estimates["mean"]["point_estimate"].as_f64()
}

fn report_ratio(started: SystemTime) {
    let means = criterion_directory().and_then(|directory| {
        let precomputed = mean_nanoseconds(&directory, PRECOMPUTED, started)?;
        let fresh = mean_nanoseconds(&directory, FRESH_HMAC, started)?;
        Some((precomputed, fresh))
    });
    match means {
        Some((precomputed, fresh)) => {
            println!(
                "mean hotp_precomputed = {precomputed:.1} ns, hotp_fresh_hmac = {fresh:.1} ns"
            );
            println!(
                "ratio hotp_fresh_hmac / hotp_precomputed = {:.2}",
                fresh / precomputed
            );
        }
        None => println!(
            "ratio hotp_fresh_hmac / hotp_precomputed: not measured in this run \
             (test mode, a filter, or criterion's output directory not found)"
        ),
    }
}

fn main() {
    let started = SystemTime::now();
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench_hotp(&mut criterion);
    criterion.final_summary();
    report_ratio(started);
}
