//! `paycode bench` runs a short load against an in-process server on SQLite, measures its
//! baseline, and reports one JSON object whose checks all passed.

use std::process::Command;

use serde_json::Value;

#[test]
fn a_short_bench_on_sqlite_pays_stores_every_payment_and_keeps_the_ledger() {
    let output = Command::new(env!("CARGO_BIN_EXE_paycode"))
        .args([
            "bench",
            "--duration",
            "2",
            "--devices",
            "50",
            "--connections",
            "4",
            "--baseline-seconds",
            "1",
            "--json",
        ])
        .env_remove("PAYCODE_ADMIN_KEY")
        .output()
        .expect("paycode bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "bench failed:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("[load"),
        "no progress on standard error:\n{stderr}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "--json prints exactly one line:\n{stdout}");
    let report: Value = serde_json::from_str(lines[0]).expect("the line is JSON");
    for field in [
        "payments_per_second",
        "baseline_per_second",
        "ratio",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "max_ms",
        "errors",
        "outcomes",
        "peak_rss_bytes",
        "rss_samples_bytes",
        "scenario",
        "connections",
        "duration_seconds",
        "devices",
        "database",
        "acknowledged",
        "stored_ok",
        "ledger_ok",
    ] {
        assert!(report.get(field).is_some(), "{field} is missing: {report}");
    }
    let number = |field: &str| report[field].as_f64().unwrap_or(-1.0);
    assert_eq!(report["errors"], 0, "{report}");
    assert_eq!(report["stored_ok"], true, "{report}");
    assert_eq!(report["ledger_ok"], true, "{report}");
    assert_eq!(report["scenario"], "spread");
    assert_eq!(report["database"], "sqlite");
    assert_eq!(report["connections"], 4);
    assert_eq!(report["devices"], 50);
    assert_eq!(report["duration_seconds"], 2);
    assert!(number("payments_per_second") > 0.0, "{report}");
    assert!(number("baseline_per_second") > 0.0, "{report}");
    assert!(number("ratio") > 0.0, "{report}");
    assert!(number("peak_rss_bytes") > 0.0, "{report}");
    assert!(number("p50_ms") <= number("p99_ms"), "{report}");
    assert!(number("p99_ms") <= number("max_ms"), "{report}");
    assert_eq!(report["acknowledged"], report["outcomes"]["200 SUCCESS"]);
    assert!(
        !report["rss_samples_bytes"].as_array().unwrap().is_empty(),
        "{report}"
    );
}

#[test]
fn a_remote_server_needs_the_admin_key() {
    let output = Command::new(env!("CARGO_BIN_EXE_paycode"))
        .args(["bench", "--server", "http://127.0.0.1:9"])
        .env_remove("PAYCODE_ADMIN_KEY")
        .output()
        .expect("paycode bench runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("admin key"), "{stderr}");
}

#[test]
fn a_server_elsewhere_is_refused_before_any_request() {
    let output = Command::new(env!("CARGO_BIN_EXE_paycode"))
        .args([
            "bench",
            "--server",
            "http://192.0.2.1:8080",
            "--admin-key",
            "an-admin-key-of-enough-length",
        ])
        .output()
        .expect("paycode bench runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("on this machine"), "{stderr}");
}
