//! A run against a server given by URL builds its population over HTTP and reads every
//! acknowledged payment back over HTTP.

use std::sync::Arc;
use std::time::Duration;

use paycode_bench::{Options, RemoteServer, Scenario};
use paycode_core::SystemClock;
use paycode_server::ServeOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_against_a_server_by_url_pays_and_finds_every_payment_stored() {
    let data_dir = tempfile::tempdir().unwrap();
    let admin_key = "admin-key-of-the-remote-test".to_owned();
    let serve_options = ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.path().to_path_buf(),
        database: None,
        config_file: None,
        admin_key: Some(admin_key.clone()),
        connections: paycode_server::ConnectionLimits::default(),
        tls: None,
        time_zone: None,
    };
    let opened = tokio::task::spawn_blocking(move || {
        paycode_server::open(&serve_options, Arc::new(SystemClock))
    })
    .await
    .unwrap()
    .unwrap();
    let server = paycode_server::spawn(opened.state).await.unwrap();
    let options = Options {
        server: Some(RemoteServer {
            url: server.url(),
            admin_key,
            pid: Some(std::process::id()),
        }),
        database: None,
        scenario: Scenario::Hot,
        connections: 2,
        duration: Duration::from_secs(1),
        devices: 15,
        merchants: 2,
        baseline: Duration::from_secs(1),
        progress: false,
        // Every merchant gets a webhook to the bench's own receiver, set over the admin API.
        webhooks: true,
    };
    let report = paycode_bench::run(options).await.unwrap();
    server.stop().await.unwrap();
    assert_eq!(report.server, "remote");
    assert!(report.webhooks && report.webhook_deliveries.is_some());
    assert_eq!((report.devices, report.users), (15, 2));
    assert!(report.payments > 0, "{report}");
    assert_eq!(report.errors, 0, "{report}");
    assert_eq!(report.acknowledged, report.payments);
    assert!(report.stored_ok && report.ledger_ok, "{report}");
    assert_eq!(report.stored.stored, report.acknowledged);
    assert!(report.memory_of.contains("the server, process"), "{report}");
    assert!(report.peak_rss_bytes > 0);
    // The timeline of a one-second load: one interval holding every payment, compared with
    // itself, and the bytes the server's process wrote for them.
    assert_eq!(report.intervals.len(), 1, "{report}");
    assert_eq!(report.intervals[0].payments, report.payments);
    let trend = report.trend.expect("a timeline of two samples");
    assert_eq!(trend.first.payments, report.payments);
    assert_eq!(trend.last_to_first, 1.0);
    assert!(
        report.whole.unwrap().written_bytes_per_payment.is_some(),
        "{report}"
    );
    // The HTTP ceiling was measured on the same server, every request answered 404.
    assert!(report.http_ceiling.requests > 0 && report.http_ceiling.failures == 0);
    assert!(report.ceiling_fraction > 0.0, "{report}");
    let text = report.to_string();
    for line in [
        "ceiling:",
        "per 10 s:",
        "trend:       first 10 s",
        "last/first 1.000 (the run is under two minutes)",
        "first 10 s: ",
    ] {
        assert!(text.contains(line), "{line:?} missing from\n{text}");
    }
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["intervals"][0]["seconds"].as_f64().unwrap() > 0.0);
    assert!(json["trend"]["last_to_first"].is_number());
}
