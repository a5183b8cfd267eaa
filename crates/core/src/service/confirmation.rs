//! The wallet's side of a payment that waits for the user's PIN (`USER_PAYING`, SPEC 6): the
//! list of such payments, their confirmation with the PIN, and their decline.

use super::credentials::{SecretCheck, UserSecret};
use super::{Decision, Paycode};
use crate::error::Error;
use crate::ids::UserId;
use crate::limits::MAX_PIN_ATTEMPTS_PER_TRADE;
use crate::model::{EventKind, LedgerKind, TradeRecord, TradeStatus, UserRecord};
use crate::store::Transaction;
use crate::text::{Pin, Reference};

/// A payment waiting for the user's PIN, with the name of the merchant asking, so that the
/// user sees who asks before typing the PIN (SPEC 6).
#[derive(Debug, Clone)]
pub struct PendingPayment {
    /// The trade, `USER_PAYING`.
    pub trade: TradeRecord,
    /// The merchant's name.
    pub merchant_name: String,
}

/// A paying user whose balance row is locked until the end of the transaction.
struct LockedUser {
    record: UserRecord,
    balance: i64,
}

/// Locks the user's balance. Payments take it before anything that depends on the user's
/// spending (the funds, the day's pin-free total), so that two payments of one user, from two
/// devices or through two instances, run one after the other.
fn lock_user(transaction: &mut dyn Transaction, user: UserId) -> Result<LockedUser, Error> {
    let record = transaction.user(user)?.ok_or(Error::NotFound("user"))?;
    let balance = transaction.lock_balance(record.account_id)?;
    Ok(LockedUser { record, balance })
}

impl Paycode {
    /// The user's trades waiting for the PIN.
    pub fn pending_payments(&self, user: UserId) -> Result<Vec<PendingPayment>, Error> {
        self.in_transaction(|transaction| {
            let mut pending = Vec::new();
            for mut trade in transaction.user_paying_trades_of_user(user)? {
                self.close_if_overdue(transaction, &mut trade)?;
                if trade.status == TradeStatus::UserPaying {
                    let merchant_name = transaction
                        .merchant(trade.merchant_id)?
                        .ok_or_else(|| Error::Internal("a trade's merchant vanished".to_owned()))?
                        .name;
                    pending.push(PendingPayment {
                        trade,
                        merchant_name,
                    });
                }
            }
            Ok(pending)
        })
    }

    /// Confirms a `USER_PAYING` trade with the user's PIN. A wrong PIN is `FORBIDDEN` (and
    /// `PIN_LOCKED` once the user's wrong PINs reach the limit); after too many on this trade
    /// it is closed.
    pub fn confirm_payment(
        &self,
        user: UserId,
        trade_no: &str,
        pin: &str,
    ) -> Result<TradeRecord, Error> {
        let pin = Pin::parse(pin)?;
        // The PIN check counts against the user's wrong-PIN limit (and may refuse with
        // `PIN_LOCKED` before comparing anything); its Argon2 hash runs outside the payment's
        // transaction so that it never holds a database lock.
        let secret = UserSecret::Pin(pin.expose());
        let check = self.verify_user_secret(user, secret)?;
        let pin_ok = check == SecretCheck::Right;
        self.deciding(|transaction| {
            let mut trade = match self.waiting_trade(transaction, user, trade_no)? {
                Ok(trade) => trade,
                Err(refusal) => return Ok(Err(refusal)),
            };
            if !pin_ok {
                trade.pin_attempts += 1;
                if trade.pin_attempts >= MAX_PIN_ATTEMPTS_PER_TRADE {
                    trade.status = TradeStatus::Closed;
                    trade.finished_at = Some(self.now());
                }
                transaction.update_trade(&trade)?;
                if trade.status == TradeStatus::Closed {
                    self.notify_trade(transaction, EventKind::TradeClosed, &trade)?;
                }
                return Ok(Err(check.refusal(secret)));
            }
            let payer = lock_user(transaction, user)?;
            if let Err(refusal) = self.transfer_payment(transaction, &mut trade, &payer)? {
                return Ok(Err(refusal));
            }
            transaction.update_trade(&trade)?;
            self.notify_trade(transaction, EventKind::TradeSucceeded, &trade)?;
            Ok(Ok(trade))
        })
    }

    /// Declines a `USER_PAYING` trade: it is closed and nothing is paid.
    pub fn decline_payment(&self, user: UserId, trade_no: &str) -> Result<TradeRecord, Error> {
        self.deciding(|transaction| {
            let mut trade = match self.waiting_trade(transaction, user, trade_no)? {
                Ok(trade) => trade,
                Err(refusal) => return Ok(Err(refusal)),
            };
            trade.status = TradeStatus::Closed;
            trade.finished_at = Some(self.now());
            transaction.update_trade(&trade)?;
            self.notify_trade(transaction, EventKind::TradeClosed, &trade)?;
            Ok(Ok(trade))
        })
    }

    /// The user's trade that is still waiting for confirmation, or why it is not (committing
    /// the closing of an overdue trade).
    fn waiting_trade(
        &self,
        transaction: &mut dyn Transaction,
        user: UserId,
        trade_no: &str,
    ) -> Decision<TradeRecord> {
        let trade_no = Reference::parse("trade_no", trade_no)?;
        let mut trade = transaction
            .lock_trade_by_trade_no(trade_no.as_str())?
            .filter(|trade| trade.user_id == user)
            .ok_or(Error::NotFound("trade"))?;
        self.close_if_overdue(transaction, &mut trade)?;
        Ok(match trade.status {
            TradeStatus::UserPaying => Ok(trade),
            TradeStatus::Closed
                if trade
                    .confirm_deadline
                    .is_some_and(|deadline| deadline <= self.now()) =>
            {
                Err(Error::CodeExpired)
            }
            _ => Err(Error::Forbidden(format!(
                "the trade is {}, not waiting for confirmation",
                trade.status.as_str()
            ))),
        })
    }

    /// Moves a trade's amount from its locked user to the merchant if the user has the funds,
    /// and marks the trade paid.
    fn transfer_payment(
        &self,
        transaction: &mut dyn Transaction,
        trade: &mut TradeRecord,
        user: &LockedUser,
    ) -> Decision<()> {
        debug_assert_eq!(user.record.id, trade.user_id, "the trade's own user pays");
        let merchant = transaction
            .merchant(trade.merchant_id)?
            .ok_or(Error::NotFound("merchant"))?;
        if user.balance < trade.amount.minor() {
            return Ok(Err(Error::InsufficientFunds));
        }
        let now = self.now();
        transaction.post_transaction(
            LedgerKind::Payment,
            &trade.trade_no,
            &trade
                .amount
                .transfer(user.record.account_id, merchant.account_id),
            now,
        )?;
        trade.status = TradeStatus::Success;
        trade.paid_at = Some(now);
        Ok(Ok(()))
    }
}
