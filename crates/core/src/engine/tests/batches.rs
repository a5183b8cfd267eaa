//! Payments decided one after the other in a batch, and the invariants checked before apply.

use super::*;

#[test]
fn a_code_used_twice_in_one_batch_pays_once() {
    let world = World::new();
    let (decided, view) = world.batch(&[
        world.offline("a", 100, server_step(), 0),
        world.offline("b", 100, server_step(), 0),
    ]);
    assert!(decided[0].outcome.is_ok());
    assert_eq!(refusal(&decided[1]), "CODE_USED");
    assert_eq!(view.balance(USER_ACCOUNT).unwrap(), world.balance - 100);
}

#[test]
fn the_same_out_trade_no_twice_in_one_batch_makes_one_trade() {
    let world = World::new();
    let first = world.offline("a", 100, server_step(), 0);
    let (decided, view) = world.batch(&[first.clone(), first]);
    assert_eq!(made(&decided[0]).trade_no, "T0");
    assert_eq!(made(&decided[1]), made(&decided[0]));
    assert!(decided[1].writes.is_empty());
    assert_eq!(view.balance(USER_ACCOUNT).unwrap(), world.balance - 100);
}

#[test]
fn payments_of_one_batch_cannot_spend_more_than_the_balance() {
    let mut world = World::new();
    world.balance = 250;
    let (decided, view) = world.batch(&[
        world.offline("a", 100, server_step(), 0),
        world.offline("b", 100, server_step(), 1),
        world.offline("c", 100, server_step(), 2),
    ]);
    assert!(decided[0].outcome.is_ok() && decided[1].outcome.is_ok());
    assert_eq!(refusal(&decided[2]), "INSUFFICIENT_FUNDS");
    assert_eq!(view.balance(USER_ACCOUNT).unwrap(), 50);
    let writes: Vec<Write> = decided
        .into_iter()
        .flat_map(|decided| decided.writes)
        .collect();
    check_invariants(&view, &writes).unwrap();
}

#[test]
fn the_invariants_refuse_an_unbalanced_posting_and_a_negative_payer() {
    let world = World::new();
    let view = world.view(&[]);
    let unbalanced = Write::Post(NewLedgerTransaction {
        kind: crate::model::LedgerKind::Payment,
        reference: "T".to_owned(),
        postings: vec![(USER_ACCOUNT, -100), (MERCHANT_ACCOUNT, 99)],
        created_at: NOW,
    });
    assert!(check_invariants(&view, &[unbalanced]).is_err());
    let mut overdrawn = World::new();
    overdrawn.balance = -1;
    assert!(check_invariants(&overdrawn.view(&[]), &[]).is_err());
    assert!(check_invariants(&view, &[]).is_ok());
}
