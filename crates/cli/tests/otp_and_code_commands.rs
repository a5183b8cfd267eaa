//! The `paycode otp` and `paycode code` commands, run as a user would run them.

use std::process::{Command, Output};

use rand::{Rng, SeedableRng};
use totp_rs::{Algorithm as TotpRsAlgorithm, TOTP};

fn paycode(arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paycode"))
        .args(arguments)
        .output()
        .expect("the paycode binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone())
        .expect("utf-8 output")
        .trim()
        .to_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 output")
}

#[test]
fn otp_totp_agrees_with_totp_rs_on_random_parameters() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(6238);
    for case in 0..60 {
        let secret: Vec<u8> = (0..rng.gen_range(16..=64)).map(|_| rng.gen()).collect();
        let (name, algorithm) = [
            ("SHA1", TotpRsAlgorithm::SHA1),
            ("SHA256", TotpRsAlgorithm::SHA256),
            ("SHA512", TotpRsAlgorithm::SHA512),
        ][rng.gen_range(0..3)];
        let digits: usize = rng.gen_range(6..=8);
        let period: u64 = rng.gen_range(1..=3600);
        let time: u64 = rng.gen_range(0..=20_000_000_000);
        let base32 = paycode_otp::base32::encode(&secret);
        let output = paycode(&[
            "otp",
            "totp",
            "--secret",
            &base32,
            "--algorithm",
            name,
            "--digits",
            &digits.to_string(),
            "--period",
            &period.to_string(),
            "--time",
            &time.to_string(),
        ]);
        assert!(output.status.success(), "case {case}: {}", stderr(&output));
        let expected = TOTP::new_unchecked(algorithm, digits, 1, period, secret).generate(time);
        assert_eq!(
            stdout(&output),
            expected,
            "case {case}: {name} digits {digits} period {period} time {time}"
        );
    }
}

#[test]
fn otp_verify_prints_the_matched_step_or_exits_one() {
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    // RFC 6238 Appendix B: at T = 59 s the 8-digit SHA1 code is 94287082, in step 1.
    let matched = paycode(&[
        "otp", "verify", "--secret", secret, "--digits", "8", "--code", "94287082", "--time", "89",
    ]);
    assert!(matched.status.success(), "{}", stderr(&matched));
    assert_eq!(stdout(&matched), "1");
    let outside = paycode(&[
        "otp", "verify", "--secret", secret, "--digits", "8", "--code", "94287082", "--time", "90",
        "--window", "0",
    ]);
    assert_eq!(outside.status.code(), Some(1));
    assert!(stderr(&outside).contains("does not match"));
}

#[test]
fn otp_hotp_gives_the_rfc_4226_values() {
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let expected = [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ];
    for (counter, code) in expected.iter().enumerate() {
        let output = paycode(&[
            "otp",
            "hotp",
            "--secret",
            secret,
            "--counter",
            &counter.to_string(),
        ]);
        assert_eq!(stdout(&output), *code, "counter {counter}");
    }
}

#[test]
fn otp_uri_formats_and_parses_with_extra_parameters() {
    let uri = paycode(&[
        "otp",
        "uri",
        "--secret",
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "--issuer",
        "Paycode",
        "--account",
        "alice",
    ]);
    assert_eq!(
        stdout(&uri),
        "otpauth://totp/Paycode:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Paycode&algorithm=SHA1&digits=6&period=30"
    );
    let parsed = paycode(&[
        "otp",
        "uri",
        "--parse",
        "otpauth://totp/Paycode%3Aalice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&slot=42&prefix=81",
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&parsed)).expect("JSON");
    assert_eq!(json["issuer"], "Paycode");
    assert_eq!(json["account"], "alice");
    assert_eq!(json["extra"]["slot"], "42");
    assert_eq!(json["period"], 30);
}

#[test]
fn otp_secret_prints_160_random_bits() {
    let first = stdout(&paycode(&["otp", "secret"]));
    let second = stdout(&paycode(&["otp", "secret"]));
    assert_eq!(
        paycode_otp::base32::decode(&first).expect("Base32").len(),
        20
    );
    assert_ne!(first, second);
}

#[test]
fn code_decode_reads_back_what_code_encode_made() {
    let key = "KRSXG5CLMV4TAMBQGAYDAMBQGA";
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let code = stdout(&paycode(&[
        "code",
        "encode",
        "--key",
        key,
        "--prefix",
        "81",
        "--slot",
        "123456789",
        "--index",
        "3",
        "--secret",
        secret,
        "--time",
        "1000",
    ]));
    assert_eq!(code.len(), 18);
    assert!(code.starts_with("81"));
    let decoded: serde_json::Value =
        serde_json::from_str(&stdout(&paycode(&["code", "decode", "--key", key, &code])))
            .expect("JSON");
    assert_eq!(decoded["prefix"], "81");
    assert_eq!(decoded["slot"], 123_456_789);
    assert_eq!(decoded["index"], 3);
    // With index 0 the OTP inside is plain TOTP: check the interoperability promise end to end.
    let plain = stdout(&paycode(&[
        "code", "encode", "--key", key, "--prefix", "81", "--slot", "7", "--secret", secret,
        "--time", "1000",
    ]));
    let inside: serde_json::Value =
        serde_json::from_str(&stdout(&paycode(&["code", "decode", "--key", key, &plain])))
            .expect("JSON");
    assert_eq!(
        inside["otp"],
        stdout(&paycode(&[
            "otp", "totp", "--secret", secret, "--time", "1000"
        ]))
    );
}

#[test]
fn bad_input_exits_non_zero_with_one_clear_line() {
    let cases: [(&[&str], &str); 7] = [
        (
            &["otp", "totp", "--secret", "NOT-BASE32!"],
            "invalid --secret",
        ),
        (
            &[
                "otp",
                "totp",
                "--secret",
                "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
                "--algorithm",
                "MD5",
            ],
            "invalid --algorithm",
        ),
        (
            &[
                "otp",
                "totp",
                "--secret",
                "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
                "--digits",
                "9",
            ],
            "digits",
        ),
        (
            &[
                "otp",
                "totp",
                "--secret",
                "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
                "--period",
                "0",
            ],
            "period",
        ),
        (
            &[
                "code",
                "decode",
                "--key",
                "KRSXG5CLMV4TAMBQGAYDAMBQGA",
                "81123",
            ],
            "invalid code",
        ),
        (
            &[
                "code",
                "decode",
                "--key",
                "KRSXG5CLMV4TAMBQGAYDAMBQGA",
                "81123456789012345x",
            ],
            "invalid code",
        ),
        (
            &[
                "code",
                "encode",
                "--key",
                "SHORT",
                "--prefix",
                "81",
                "--slot",
                "1",
                "--secret",
                "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            ],
            "invalid --key",
        ),
    ];
    for (arguments, expected) in cases {
        let output = paycode(arguments);
        assert_eq!(output.status.code(), Some(2), "{arguments:?}");
        let message = stderr(&output);
        assert_eq!(
            message.trim().lines().count(),
            1,
            "{arguments:?}: {message}"
        );
        assert!(message.contains(expected), "{arguments:?}: {message}");
    }
}
