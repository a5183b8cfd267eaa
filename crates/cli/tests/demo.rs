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
