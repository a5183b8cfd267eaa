//! Speed of the hand-written FF1 and of offline-code verification, against general-purpose
//! crates doing the same job.
//!
//! - `ff1`: one 16-digit FF1 encryption with [`Ff1::encrypt`] and with the `fpe` crate; and,
//!   for scale, ten dependent AES-128 blocks, the least any FF1 implementation must compute.
//! - `decode_verify`: what a server does for a scanned offline code (decrypt, then check the
//!   password for the current step and one step either side), with this crate and with `fpe`
//!   plus `totp-rs`; and, for scale, one HOTP value from a prepared key.
//!
//! After measuring, the ratios between the criterion means are printed with their targets.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::{Aes128, Aes128Enc};
use criterion::Criterion;
use fpe::ff1::{FlexibleNumeralString, FF1};
use paycode_codec::{
    make_offline_code, verify_offline_otp, CodeIndex, CodeKey, DeviceSlot, Ff1, OfflineCodec,
    PaymentCode, DEFAULT_OFFLINE_PREFIX, OTP_DIGITS,
};
use paycode_otp::{Algorithm, HotpKey, Secret};
use totp_rs::TOTP;

const KEY: [u8; 16] = *b"paycode code key";
const SECRET: &[u8; 20] = b"12345678901234567890";
const PERIOD_SECONDS: u64 = 30;
const UNIX_TIME: u64 = 1_700_000_015;
const PLAINTEXT: u64 = 1_234_567_890_123_456;

fn to_numerals(value: u64, length: usize) -> FlexibleNumeralString {
    let text = format!("{value:0length$}");
    FlexibleNumeralString::from(
        text.bytes()
            .map(|digit| u16::from(digit - b'0'))
            .collect::<Vec<u16>>(),
    )
}

fn from_numerals(numerals: FlexibleNumeralString) -> u64 {
    Vec::<u16>::from(numerals)
        .into_iter()
        .fold(0, |value, digit| value * 10 + u64::from(digit))
}

fn bench_ff1(criterion: &mut Criterion) {
    let tweak = DEFAULT_OFFLINE_PREFIX.to_ascii();
    let ours = Ff1::new(&CodeKey::from_bytes(&KEY).unwrap());
    let theirs = FF1::<Aes128>::new(&KEY, 10).unwrap();
    assert_eq!(
        ours.encrypt(&tweak, PLAINTEXT, 16),
        from_numerals(theirs.encrypt(&tweak, &to_numerals(PLAINTEXT, 16)).unwrap())
    );

    let mut group = criterion.benchmark_group("ff1");
    group.bench_function("paycode", |bencher| {
        bencher.iter(|| ours.encrypt(black_box(&tweak), black_box(PLAINTEXT), 16))
    });
    group.bench_function("fpe", |bencher| {
        bencher.iter(|| {
            // The conversion to and from numeral strings is part of using `fpe` for a number.
            let numerals = to_numerals(black_box(PLAINTEXT), 16);
            from_numerals(theirs.encrypt(black_box(&tweak), &numerals).unwrap())
        })
    });
    // FF1 has ten rounds, each needing at least one AES block that depends on the previous
    // round, so this chain bounds from below what any FF1 on this machine can achieve.
    let aes = Aes128Enc::new(&KEY.into());
    group.bench_function("aes_10_blocks", |bencher| {
        bencher.iter(|| {
            let mut block = black_box([0u8; 16]).into();
            for _ in 0..10 {
                aes.encrypt_block(&mut block);
            }
            block
        })
    });
    group.finish();
}

fn bench_decode_verify(criterion: &mut Criterion) {
    let codec = OfflineCodec::new(DEFAULT_OFFLINE_PREFIX, &CodeKey::from_bytes(&KEY).unwrap());
    let hotp_key = HotpKey::new(
        &Secret::from_bytes(SECRET.to_vec()).unwrap(),
        Algorithm::Sha1,
    );
    let step = UNIX_TIME / PERIOD_SECONDS;
    let slot = DeviceSlot::new(123_456_789).unwrap();
    // Index 0, so that the password is plain TOTP and totp-rs can check it.
    let code = make_offline_code(&codec, slot, CodeIndex::FIRST, &hotp_key, step);

    let tweak = DEFAULT_OFFLINE_PREFIX.to_ascii();
    let fpe = FF1::<Aes128>::new(&KEY, 10).unwrap();
    let totp = TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        PERIOD_SECONDS,
        SECRET.to_vec(),
    )
    .unwrap();

    let paycode = |code: &PaymentCode| {
        let payload = codec.decode(code).ok()?;
        verify_offline_otp(&hotp_key, &payload, UNIX_TIME / PERIOD_SECONDS, 1, 1)
    };
    let baseline = |code: &PaymentCode| {
        let message = from_numerals(
            fpe.decrypt(&tweak, &to_numerals(code.payload(), 16))
                .unwrap(),
        );
        let slot = message / 10_000_000;
        let index = message / 1_000_000 % 10;
        let token = format!("{:06}", message % 1_000_000);
        (slot != 0 && index == 0 && totp.check(&token, UNIX_TIME)).then_some(slot)
    };
    assert_eq!(paycode(&code), Some(step));
    assert_eq!(baseline(&code), Some(u64::from(slot.get())));

    let mut group = criterion.benchmark_group("decode_verify");
    group.bench_function("paycode", |bencher| {
        bencher.iter(|| paycode(black_box(&code)))
    });
    group.bench_function("baseline", |bencher| {
        bencher.iter(|| baseline(black_box(&code)))
    });
    group.bench_function("hotp_precomputed", |bencher| {
        bencher.iter(|| hotp_key.value(black_box(step), OTP_DIGITS))
    });
    group.finish();
}

/// Where criterion writes its results: `CRITERION_HOME`, else `criterion` in the cargo target
/// directory, found from `CARGO_TARGET_DIR` or by walking up from the benchmark executable.
fn criterion_directory() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(PathBuf::from(home));
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(Path::new(&target).join("criterion"));
    }
    let executable = std::env::current_exe().ok()?;
    executable
        .ancestors()
        .map(|directory| directory.join("criterion"))
        .find(|candidate| candidate.is_dir())
}

/// The mean time of one benchmark in nanoseconds, from criterion's `estimates.json`.
fn mean_nanoseconds(criterion_directory: &Path, group: &str, bench: &str) -> Option<f64> {
    let path = criterion_directory
        .join(group)
        .join(bench)
        .join("new")
        .join("estimates.json");
    let estimates: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    estimates["mean"]["point_estimate"].as_f64()
}

fn print_ratios() {
    let Some(directory) = criterion_directory() else {
        println!("criterion results not found; no ratios to print");
        return;
    };
    let mean = |group: &str, bench: &str| mean_nanoseconds(&directory, group, bench);
    let ratios = [
        (
            "ff1_fpe / ff1_paycode",
            mean("ff1", "fpe"),
            mean("ff1", "paycode"),
            ">= 20",
        ),
        (
            "ff1_paycode / aes_10_blocks",
            mean("ff1", "paycode"),
            mean("ff1", "aes_10_blocks"),
            "> 1.0; ten dependent AES blocks are the least FF1 needs",
        ),
        (
            "decode_verify_baseline / decode_verify_paycode",
            mean("decode_verify", "baseline"),
            mean("decode_verify", "paycode"),
            ">= 10",
        ),
        (
            "decode_verify_paycode / hotp_precomputed",
            mean("decode_verify", "paycode"),
            mean("decode_verify", "hotp_precomputed"),
            "<= 4",
        ),
    ];
    for (name, numerator, denominator, target) in ratios {
        match (numerator, denominator) {
            (Some(numerator), Some(denominator)) => println!(
                "ratio {name} = {:.1}  ({numerator:.0} ns / {denominator:.0} ns, target {target})",
                numerator / denominator
            ),
            _ => println!("ratio {name}: not measured in this run"),
        }
    }
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench_ff1(&mut criterion);
    bench_decode_verify(&mut criterion);
    criterion.final_summary();
    // `cargo test --benches` runs each benchmark once without measuring; ratios would then
    // come from an older run, so they are printed only under `cargo bench`.
    if std::env::args().any(|argument| argument == "--bench") {
        print_ratios();
    }
}
