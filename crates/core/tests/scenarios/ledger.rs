//! Random sequences of top-ups, payments, refunds, cancels and waits, with the ledger checked
//! after every step.

use paycode_core::ids::MerchantId;
use paycode_core::service::RefundRequest;
use paycode_core::{Config, Error};
use proptest::prelude::*;

use super::World;

#[derive(Debug, Clone)]
enum Operation {
    Topup {
        user: usize,
        amount: i64,
    },
    Pay {
        user: usize,
        merchant: usize,
        amount: i64,
    },
    Refund {
        trade: usize,
        amount: i64,
    },
    Cancel {
        trade: usize,
    },
    Advance {
        seconds: i64,
    },
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        (0..3usize, 1..50_000i64).prop_map(|(user, amount)| Operation::Topup { user, amount }),
        (0..3usize, 0..2usize, 1..40_000i64).prop_map(|(user, merchant, amount)| Operation::Pay {
            user,
            merchant,
            amount
        }),
        (0..20usize, 1..20_000i64).prop_map(|(trade, amount)| Operation::Refund { trade, amount }),
        (0..20usize).prop_map(|trade| Operation::Cancel { trade }),
        (1..90i64).prop_map(|seconds| Operation::Advance { seconds }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn the_ledger_invariants_hold_after_every_operation(operations in proptest::collection::vec(operation(), 1..40)) {
        let world = World::new(Config::default());
        let users: Vec<_> = ["u0", "u1", "u2"].iter().map(|name| world.user_with_money(name, 0)).collect();
        let merchants = [world.merchant("m0"), world.merchant("m1")];
        let mut trades: Vec<(MerchantId, String)> = Vec::new();
        let mut issued = 0i64;
        let mut index = 0u8;
        for (number, operation) in operations.iter().enumerate() {
            match *operation {
                Operation::Topup { user, amount } => {
                    world.paycode.topup(users[user].0 .0, amount, &format!("t{number}")).unwrap();
                    issued += amount;
                }
                Operation::Pay { user, merchant, amount } => {
                    index = (index + 1) % 10;
                    let code = world.wallet_code(&users[user].1, index, 0);
                    let out_trade_no = format!("o{number}");
                    match world.pay(merchants[merchant], &out_trade_no, &code, amount) {
                        Ok(_) => trades.push((merchants[merchant], out_trade_no)),
                        Err(Error::InsufficientFunds | Error::CodeUsed) => {}
                        Err(other) => panic!("unexpected refusal {other:?}"),
                    }
                }
                Operation::Refund { trade, amount } => {
                    if let Some((merchant, out_trade_no)) = trades.get(trade) {
                        let request = RefundRequest { out_refund_no: format!("r{number}"), amount, reason: None };
                        let _ = world.paycode.refund(*merchant, out_trade_no, &request);
                    }
                }
                Operation::Cancel { trade } => {
                    if let Some((merchant, out_trade_no)) = trades.get(trade) {
                        let _ = world.paycode.cancel(*merchant, out_trade_no);
                    }
                }
                Operation::Advance { seconds } => world.clock.advance_seconds(seconds),
            }
            let totals = world.paycode.check_ledger().unwrap();
            prop_assert!(totals.ok(), "after {operation:?}: {totals:?}");
            let held: i64 = users.iter().map(|(user, _)| world.paycode.user_balance(*user).unwrap()).sum::<i64>()
                + merchants.iter().map(|merchant| world.paycode.merchant_balance(*merchant).unwrap()).sum::<i64>();
            prop_assert_eq!(held, issued, "money was created or destroyed after {:?}", operation);
        }
    }
}
