//! `paycode demo`, the README's first command, runs the whole story and says so.

use std::process::Command;

#[test]
fn the_demo_pays_offline_refuses_the_replay_refunds_and_checks_the_ledger() {
    let output = Command::new(env!("CARGO_BIN_EXE_paycode"))
        .arg("demo")
        .output()
        .expect("the demo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "SUCCESS: trade",
        "refused: CODE_USED",
        "online code 80",
        "refunded",
        "alice:          182.00 CNY",
        "Campus Canteen: 18.00 CNY",
        "ok: true",
    ] {
        assert!(
            stdout.contains(expected),
            "the demo did not print {expected:?}:\n{stdout}"
        );
    }
}

/// Reads the child's stdout until a line starts with `prefix` (after spaces), and answers the
/// rest of that line.
fn read_until_line(
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    prefix: &str,
    seen: &mut String,
) -> String {
    for line in lines {
        let line = line.expect("the demo's output is text");
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.trim_start().strip_prefix(prefix) {
            return rest.trim().to_owned();
        }
    }
    panic!("the demo ended without printing {prefix:?}:\n{seen}");
}

/// A plain HTTP/1.1 GET on loopback, answering the status line and the headers.
fn http_get_head(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_once('/').expect("a URL with a path");
    let mut stream = std::net::TcpStream::connect(host).expect("the kept server accepts");
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn the_kept_demo_serves_the_wallet_with_its_data_and_prints_the_credentials() {
    use std::io::BufRead;
    use std::process::Stdio;

    let mut child = Command::new(env!("CARGO_BIN_EXE_paycode"))
        .args(["demo", "--keep"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the demo starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let mut seen = String::new();
    let wallet_url = read_until_line(&mut lines, "wallet:", &mut seen);
    let credentials = read_until_line(&mut lines, "log in as:", &mut seen);
    let merchant_key = read_until_line(&mut lines, "merchant key:", &mut seen);
    let admin_key = read_until_line(&mut lines, "admin key:", &mut seen);
    let data_path = read_until_line(&mut lines, "data:", &mut seen);

    let head = http_get_head(&wallet_url);
    let balance_head = {
        // The story's data is still there: alice can log in with the printed credentials.
        let (username, password) = credentials.split_once(" / ").unwrap();
        let base = wallet_url.trim_end_matches("/wallet/");
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let session = paycode_client::Client::new(base)
                .unwrap()
                .login(username, password)
                .await
                .expect("the printed credentials log in");
            let wallet = paycode_client::Client::new(base)
                .unwrap()
                .with_bearer(&session.token);
            wallet.balance().await.expect("the balance is there")
        })
    };
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&data_path).unwrap();

    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_lowercase()
            .contains("content-security-policy: default-src 'self'"),
        "{head}"
    );
    assert_eq!(balance_head.balance, 18_200, "{seen}");
    assert!(merchant_key.len() > 10 && admin_key.len() > 10, "{seen}");
}
