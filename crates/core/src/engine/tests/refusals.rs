//! Every refusal, with the writes it keeps.

use super::*;

#[test]
fn every_refusal_code_with_the_writes_it_keeps() {
    struct Case {
        name: &'static str,
        setup: fn(&mut World),
        payment: fn(&World) -> Payment,
        code: &'static str,
        writes: &'static [&'static str],
    }
    let cases = [
        Case {
            name: "a wrong OTP",
            setup: |_| {},
            payment: |world| {
                let mut payload = world.payload(server_step(), 0);
                payload.otp = (payload.otp + 1) % 1_000_000;
                payment("t", 100, ScannedCode::Offline(payload))
            },
            code: "CODE_INVALID",
            writes: &[
                "device_failures",
                "device",
                "audit",
                "merchant_failure",
                "refusal",
            ],
        },
        Case {
            name: "an unknown device slot",
            setup: |world| world.device.id = DeviceId(8),
            payment: |world| world.offline("t", 100, server_step(), 0),
            code: "CODE_INVALID",
            writes: &["audit", "merchant_failure", "refusal"],
        },
        Case {
            name: "an undecodable offline code",
            setup: |_| {},
            payment: |_| payment("t", 100, ScannedCode::Undecodable),
            code: "CODE_INVALID",
            writes: &["audit", "merchant_failure", "refusal"],
        },
        Case {
            name: "an unknown online code",
            setup: |_| {},
            payment: |_| payment("t", 100, online()),
            code: "CODE_INVALID",
            writes: &["merchant_failure", "refusal"],
        },
        Case {
            name: "a replayed offline code",
            setup: |world| {
                world.spent.push(SpentOfflineCode {
                    device: DEVICE,
                    step: server_step(),
                    index: 0,
                })
            },
            payment: |world| world.offline("t", 100, server_step(), 0),
            code: "CODE_USED",
            writes: &["audit", "merchant_failure", "refusal"],
        },
        Case {
            name: "a used online code",
            setup: |world| world.online_code = Some(online_record(NOW + 60_000, Some(NOW - 1))),
            payment: |_| payment("t", 100, online()),
            code: "CODE_USED",
            writes: &["merchant_failure", "refusal"],
        },
        Case {
            name: "an expired online code",
            setup: |world| world.online_code = Some(online_record(NOW, None)),
            payment: |_| payment("t", 100, online()),
            code: "CODE_EXPIRED",
            writes: &["merchant_failure", "refusal"],
        },
        Case {
            name: "a revoked device",
            setup: |world| world.device.status = DeviceStatus::Revoked,
            payment: |world| world.offline("t", 100, server_step(), 0),
            code: "DEVICE_REVOKED",
            writes: &["audit", "merchant_failure", "refusal"],
        },
        Case {
            name: "a device locked everywhere",
            setup: |world| world.device.locked_until = Some(NOW + 1),
            payment: |world| world.offline("t", 100, server_step(), 0),
            code: "DEVICE_LOCKED",
            writes: &["audit", "merchant_failure", "refusal"],
        },
        Case {
            name: "a device locked at this merchant",
            setup: |world| {
                world.device_failures.push(DeviceFailures {
                    device_id: DEVICE,
                    merchant_id: MERCHANT,
                    failures: 10,
                    since: NOW - 1_000,
                    locked_until: Some(NOW + 1),
                })
            },
            payment: |world| world.offline("t", 100, server_step(), 0),
            code: "DEVICE_LOCKED",
            writes: &["audit", "merchant_failure", "refusal"],
        },
        Case {
            name: "a merchant out of its failure budget",
            setup: |world| world.merchant_failures = world.config.merchant_failures_per_minute,
            payment: |world| world.offline("t", 100, server_step(), 0),
            code: "RATE_LIMITED",
            writes: &["refusal"],
        },
        Case {
            name: "too little money",
            setup: |world| world.balance = 99,
            payment: |world| world.offline("t", 100, server_step(), 0),
            code: "INSUFFICIENT_FUNDS",
            writes: &["spend", "device", "refusal"],
        },
        Case {
            name: "an out_trade_no reused with another amount",
            setup: |world| world.trades.push(trade("t", 50)),
            payment: |world| world.offline("t", 100, server_step(), 0),
            code: "OUT_TRADE_NO_CONFLICT",
            writes: &[],
        },
    ];
    for case in cases {
        let mut world = World::new();
        (case.setup)(&mut world);
        let decided = world.one((case.payment)(&world));
        assert_eq!(refusal(&decided), case.code, "{}", case.name);
        assert_eq!(kinds(&decided), case.writes, "{}", case.name);
    }
}
