//! The merchant's side: charge a scanned code, query, cancel, refund (SPEC section 4).

use rand::Rng;

use super::batch::{Leadership, PaymentDone};
use super::credentials::{SecretCheck, UserSecret};
use super::{Decision, Paycode};
use crate::clock::UnixMillis;
use crate::engine::Payment;
use crate::error::Error;
use crate::ids::{MerchantId, UserId};
use crate::limits::{
    CLOSE_BATCH_SIZE, EXPIRED_CREDENTIAL_RETENTION_SECONDS, MAX_PIN_ATTEMPTS_PER_TRADE,
    MAX_REFUNDS_PER_TRADE,
};
use crate::model::{
    EventKind, LedgerKind, MerchantRecord, RefundRecord, TradeRecord, TradeStatus, UserRecord,
    CANCEL_REFUND_REFERENCE,
};
use crate::money::Amount;
use crate::store::{StoreError, Transaction};
use crate::text::{Label, Pin, Reference};

/// Digits in paycode's own trade and refund numbers: the creation time in milliseconds, then
/// random digits.
const SERIAL_DIGITS: usize = 20;
/// Digits of the creation time at the start of a trade or refund number: Unix milliseconds
/// have 13 digits from 2001 to 2286.
const SERIAL_TIME_DIGITS: usize = 13;
/// A payment waiting for the user's PIN, with the name of the merchant asking, so that the
/// user sees who asks before typing the PIN (SPEC 6).
#[derive(Debug, Clone)]
pub struct PendingPayment {
    /// The trade, `USER_PAYING`.
    pub trade: TradeRecord,
    /// The merchant's name.
    pub merchant_name: String,
}

/// A merchant's request to charge a code.
#[derive(Debug, Clone)]
pub struct PayRequest {
    /// The merchant's reference, unique per merchant.
    pub out_trade_no: String,
    /// The scanned 18-digit code.
    pub auth_code: String,
    /// Amount in minor units.
    pub amount: i64,
    /// What is bought.
    pub subject: Option<String>,
    /// Which terminal charges.
    pub terminal_id: Option<String>,
}

/// A merchant's request to refund part of a trade.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    /// The merchant's reference for the refund, unique per trade.
    pub out_refund_no: String,
    /// Amount in minor units.
    pub amount: i64,
    /// Why.
    pub reason: Option<String>,
}

/// A unique key that another transaction filled first means a concurrent duplicate of this
/// request is being processed (the caller's idempotency lock normally prevents it).
pub(super) fn in_progress_on_duplicate(error: StoreError) -> Error {
    match error {
        StoreError::Duplicate(_) => Error::RequestInProgress,
        other => Error::Store(other),
    }
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

/// The ledger accounts of a trade's user and merchant.
fn trade_accounts(
    transaction: &mut dyn Transaction,
    trade: &TradeRecord,
) -> Result<(UserRecord, MerchantRecord), Error> {
    let user = transaction
        .user(trade.user_id)?
        .ok_or(Error::NotFound("user"))?;
    let merchant = transaction
        .merchant(trade.merchant_id)?
        .ok_or(Error::NotFound("merchant"))?;
    Ok((user, merchant))
}

/// A trade or refund number made at `now`: its 13 digits of Unix milliseconds, then 7 random
/// digits. Numbers grow with time, so the unique index on them takes each new one at its end
/// (one page per batch, where random numbers dirtied one page per payment, scattered over an
/// index that grows all day); the random digits keep them revealing no volume (a counter
/// would tell a merchant how many trades others made between two of its own). Two numbers of
/// the same millisecond collide with a chance of one in ten million; the unique index refuses
/// the second, its batch then runs its payments again one by one, each with a new number.
pub(super) fn serial_number(now: UnixMillis) -> String {
    let millis = u64::try_from(now).unwrap_or(0) % 10_u64.pow(SERIAL_TIME_DIGITS as u32);
    let mut rng = rand::rngs::OsRng;
    let random: String = (SERIAL_TIME_DIGITS..SERIAL_DIGITS)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect();
    format!("{millis:0width$}{random}", width = SERIAL_TIME_DIGITS)
}

impl Paycode {
    /// Charges a scanned code. The trade comes back `SUCCESS` (paid), or `USER_PAYING` when the
    /// amount needs the user's PIN; a refusal stores no trade, so the merchant may retry the
    /// same `out_trade_no` with a fresh code. Blocks until the payment's batch committed.
    pub fn pay(&self, merchant: MerchantId, request: &PayRequest) -> Result<TradeRecord, Error> {
        let (sender, receiver) = std::sync::mpsc::channel();
        let done: PaymentDone = Box::new(move |outcome| {
            // The receiver is alive: this function waits on it below.
            let _ = sender.send(outcome);
        });
        if let Some(leadership) = self.submit_payment(merchant, request, done)? {
            self.lead_batches(leadership);
        }
        receiver
            .recv()
            .unwrap_or_else(|_| Err(Error::Internal("a payment batch failed".to_owned())))
    }

    /// Checks a payment request and queues it for the next batch; `done` gets the outcome
    /// [`Paycode::pay`] would return. A malformed request is refused before it is queued, as
    /// the error here, and `done` is dropped uncalled. `Ok(Some(leadership))` means no batch
    /// leader runs: the caller must call [`Paycode::lead_batches`] with it, where it may block.
    pub fn submit_payment(
        &self,
        merchant: MerchantId,
        request: &PayRequest,
        done: PaymentDone,
    ) -> Result<Option<Leadership>, Error> {
        let payment = self.parse_pay(merchant, request)?;
        Ok(self.enqueue(payment, done))
    }

    fn parse_pay(&self, merchant: MerchantId, request: &PayRequest) -> Result<Payment, Error> {
        let out_trade_no = Reference::parse("out_trade_no", &request.out_trade_no)?;
        let amount = Amount::new(request.amount)?;
        let code = self.parse_code(&request.auth_code)?;
        let subject = Label::parse_optional("subject", request.subject.as_deref())?;
        let terminal_id = Label::parse_optional("terminal_id", request.terminal_id.as_deref())?;
        Ok(Payment {
            merchant,
            out_trade_no,
            auth_code_hash: self.code_hash(b"auth:", &code.to_string()),
            code: self.scanned_code(&code)?,
            amount,
            subject,
            terminal_id,
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
        if user.balance < trade.amount {
            return Ok(Err(Error::InsufficientFunds));
        }
        let now = self.now();
        transaction.post_transaction(
            LedgerKind::Payment,
            &trade.trade_no,
            &[
                (user.record.account_id, -trade.amount),
                (merchant.account_id, trade.amount),
            ],
            now,
        )?;
        trade.status = TradeStatus::Success;
        trade.paid_at = Some(now);
        Ok(Ok(()))
    }

    /// Closes a `USER_PAYING` trade whose confirmation deadline has passed.
    fn close_if_overdue(
        &self,
        transaction: &mut dyn Transaction,
        trade: &mut TradeRecord,
    ) -> Result<(), Error> {
        let now = self.now();
        if trade.status == TradeStatus::UserPaying
            && trade
                .confirm_deadline
                .is_some_and(|deadline| deadline <= now)
        {
            trade.status = TradeStatus::Closed;
            trade.finished_at = Some(now);
            transaction.update_trade(trade)?;
            self.notify_trade(transaction, EventKind::TradeClosed, trade)?;
        }
        Ok(())
    }

    /// A merchant's trade, locked, with an overdue `USER_PAYING` closed first. Another
    /// merchant's trade is `NOT_FOUND`.
    fn merchant_trade(
        &self,
        transaction: &mut dyn Transaction,
        merchant: MerchantId,
        out_trade_no: &Reference,
    ) -> Result<TradeRecord, Error> {
        let mut trade = transaction
            .lock_trade_by_out_trade_no(merchant, out_trade_no.as_str())?
            .ok_or(Error::NotFound("trade"))?;
        self.close_if_overdue(transaction, &mut trade)?;
        Ok(trade)
    }

    /// A merchant's trade by `out_trade_no`. Another merchant's trade is `NOT_FOUND`.
    pub fn trade(&self, merchant: MerchantId, out_trade_no: &str) -> Result<TradeRecord, Error> {
        let out_trade_no = Reference::parse("out_trade_no", out_trade_no)?;
        self.in_transaction(|transaction| self.merchant_trade(transaction, merchant, &out_trade_no))
    }

    /// Cancels a trade: an unpaid one is `CLOSED`; a paid one is `REVERSED`, refunding what
    /// was not refunded yet, within the cancel window. Cancelling again returns the trade.
    pub fn cancel(&self, merchant: MerchantId, out_trade_no: &str) -> Result<TradeRecord, Error> {
        let out_trade_no = Reference::parse("out_trade_no", out_trade_no)?;
        self.in_transaction(|transaction| {
            let mut trade = self.merchant_trade(transaction, merchant, &out_trade_no)?;
            let now = self.now();
            match trade.status {
                TradeStatus::Closed | TradeStatus::Reversed => return Ok(trade),
                TradeStatus::UserPaying => trade.status = TradeStatus::Closed,
                TradeStatus::Success => {
                    let paid_at = trade.paid_at.unwrap_or(trade.created_at);
                    if now - paid_at > Self::seconds(self.config.cancel_window_seconds) {
                        return Err(Error::TradeNotCancellable);
                    }
                    let remaining = trade.amount - trade.refunded_amount;
                    if remaining > 0 {
                        self.refund_in(
                            transaction,
                            &mut trade,
                            CANCEL_REFUND_REFERENCE,
                            remaining,
                            Some("cancelled"),
                        )?;
                    }
                    trade.status = TradeStatus::Reversed;
                }
            }
            trade.finished_at = Some(now);
            transaction.update_trade(&trade)?;
            let kind = if trade.status == TradeStatus::Reversed {
                EventKind::TradeReversed
            } else {
                EventKind::TradeClosed
            };
            self.notify_trade(transaction, kind, &trade)?;
            Ok(trade)
        })
    }

    /// Refunds part of a paid trade. The same `out_refund_no` with the same amount and reason
    /// returns the stored refund; with another amount or reason it is a conflict.
    pub fn refund(
        &self,
        merchant: MerchantId,
        out_trade_no: &str,
        request: &RefundRequest,
    ) -> Result<RefundRecord, Error> {
        let out_trade_no = Reference::parse("out_trade_no", out_trade_no)?;
        let out_refund_no = Reference::parse("out_refund_no", &request.out_refund_no)?;
        let amount = Amount::new(request.amount)?;
        let reason = Label::parse_optional("reason", request.reason.as_deref())?;
        self.in_transaction(|transaction| {
            let mut trade = transaction
                .lock_trade_by_out_trade_no(merchant, out_trade_no.as_str())?
                .ok_or(Error::NotFound("trade"))?;
            if let Some(existing) =
                transaction.refund_by_out_refund_no(trade.id, out_refund_no.as_str())?
            {
                let same_reason = existing.reason.as_deref() == reason.as_ref().map(Label::as_str);
                return if existing.amount == amount.minor() && same_reason {
                    Ok(existing)
                } else {
                    Err(Error::OutTradeNoConflict("out_refund_no"))
                };
            }
            if trade.status != TradeStatus::Success {
                return Err(Error::TradeNotRefundable);
            }
            let refunded = trade
                .refunded_amount
                .checked_add(amount.minor())
                .ok_or(Error::RefundExceedsPayment)?;
            if refunded > trade.amount {
                return Err(Error::RefundExceedsPayment);
            }
            if transaction.refunds_of_trade(trade.id)?.len() >= MAX_REFUNDS_PER_TRADE {
                return Err(Error::LimitExceeded(format!(
                    "a trade has at most {MAX_REFUNDS_PER_TRADE} refunds"
                )));
            }
            let refund = self.refund_in(
                transaction,
                &mut trade,
                out_refund_no.as_str(),
                amount.minor(),
                reason.as_ref().map(Label::as_str),
            )?;
            transaction.update_trade(&trade)?;
            self.notify_refund(transaction, &refund, &trade)?;
            Ok(refund)
        })
    }

    /// Moves `amount` back from the merchant to the user and records the refund.
    fn refund_in(
        &self,
        transaction: &mut dyn Transaction,
        trade: &mut TradeRecord,
        out_refund_no: &str,
        amount: i64,
        reason: Option<&str>,
    ) -> Result<RefundRecord, Error> {
        let (user, merchant) = trade_accounts(transaction, trade)?;
        // The user's balance is locked before the merchant's, as a payment locks them (its
        // batch locks the users' balances when it loads, the merchants' when it writes): a
        // refund racing a payment of the same user and merchant waits, never deadlocks.
        transaction.lock_balance(user.account_id)?;
        if transaction.lock_balance(merchant.account_id)? < amount {
            return Err(Error::InsufficientFunds);
        }
        let now = self.now();
        let refund = RefundRecord {
            refund_no: serial_number(now),
            trade_id: trade.id,
            out_refund_no: out_refund_no.to_owned(),
            amount,
            reason: reason.map(str::to_owned),
            created_at: now,
        };
        transaction.post_transaction(
            LedgerKind::Refund,
            &refund.refund_no,
            &[(merchant.account_id, -amount), (user.account_id, amount)],
            now,
        )?;
        transaction
            .insert_refund(&refund)
            .map_err(in_progress_on_duplicate)?;
        trade.refunded_amount = trade
            .refunded_amount
            .checked_add(amount)
            .ok_or(Error::RefundExceedsPayment)?;
        Ok(refund)
    }

    /// A merchant's trade's refunds, oldest first.
    pub fn refunds(
        &self,
        merchant: MerchantId,
        out_trade_no: &str,
    ) -> Result<Vec<RefundRecord>, Error> {
        let out_trade_no = Reference::parse("out_trade_no", out_trade_no)?;
        self.in_transaction(|transaction| {
            let trade = transaction
                .lock_trade_by_out_trade_no(merchant, out_trade_no.as_str())?
                .ok_or(Error::NotFound("trade"))?;
            Ok(transaction.refunds_of_trade(trade.id)?)
        })
    }

    /// Closes every `USER_PAYING` trade past its deadline; returns how many were closed. The
    /// server calls this periodically; reads of a trade also close it lazily.
    pub fn close_overdue_trades(&self) -> Result<usize, Error> {
        self.in_transaction(|transaction| {
            let now = self.now();
            let mut overdue = transaction.overdue_user_paying_trades(now, CLOSE_BATCH_SIZE)?;
            for trade in &mut overdue {
                self.close_if_overdue(transaction, trade)?;
            }
            let retention = Self::seconds(EXPIRED_CREDENTIAL_RETENTION_SECONDS);
            transaction.delete_expired_online_codes(now - retention)?;
            transaction.delete_expired_sessions(now - retention)?;
            Ok(overdue.len())
        })
    }

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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_serial_number_is_twenty_digits_starting_with_its_millisecond() {
        let number = serial_number(1_796_000_000_123);
        assert_eq!(number.len(), SERIAL_DIGITS);
        assert!(number.bytes().all(|byte| byte.is_ascii_digit()), "{number}");
        assert!(number.starts_with("1796000000123"), "{number}");
    }

    #[test]
    fn serial_numbers_of_later_milliseconds_sort_after_earlier_ones() {
        let mut previous = serial_number(1_796_000_000_000);
        for now in 1_796_000_000_001..1_796_000_000_200 {
            let number = serial_number(now);
            assert!(number > previous, "{number} after {previous}");
            previous = number;
        }
    }

    #[test]
    fn serial_numbers_of_one_millisecond_differ_in_their_random_digits() {
        let numbers: std::collections::HashSet<String> =
            (0..100).map(|_| serial_number(1_796_000_000_000)).collect();
        assert!(numbers.len() > 90, "{}", numbers.len());
    }
}
