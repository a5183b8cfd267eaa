//! The payment path, in three steps, the way TigerBeetle's state machine runs a batch of
//! transfers (`src/state_machine.zig`: prefetch, then execute over the prefetched objects, then
//! commit):
//!
//! 1. **Prefetch** ([`Plan`], [`prefetch`]): from the parsed payments of a batch, the plan
//!    computes every key they may read, in the lock order of docs/ARCHITECTURE.md, and the store
//!    reads and locks exactly those rows, in bulk, into a `View`. The plan is the only place
//!    that knows what a payment reads.
//! 2. **Decide** ([`decide`]): a pure function of the rules, the view and one payment. It
//!    returns the payment's outcome and the writes it makes, from the closed set `Write`; a
//!    refusal keeps the writes that must outlive it (a spent code, a counted failure). It has no
//!    store to read from: the view is its only input, so it cannot read what the plan did not
//!    load. The batch absorbs each payment's writes into the view before deciding the next one,
//!    so that two payments of one batch see each other as two payments in a row would.
//! 3. **Apply** ([`PaymentWrites::apply`]): the batch's writes reach the store in bulk, one
//!    statement per kind, after the ledger's invariants were checked ([`check_invariants`]);
//!    then the batch commits once.
//!
//! A payment alone is a batch of one: the same three steps.

mod apply;
mod decide;
mod plan;
mod view;
mod write;

#[cfg(test)]
mod tests;

pub(crate) use apply::{check_invariants, PaymentWrites};
pub(crate) use decide::{decide, Alert, Rules};
pub(crate) use plan::{prefetch, Instant, Payment, Plan, ScannedCode};
pub(crate) use view::BatchTrade;
