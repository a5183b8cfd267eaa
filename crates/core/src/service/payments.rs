//! The merchant's side of a trade: charge a scanned code, query, cancel (SPEC section 4), and
//! the closing of trades left waiting past their deadline.

use super::batch::{Leadership, PaymentDone};
use super::Paycode;
use crate::engine::Payment;
use crate::error::Error;
use crate::ids::MerchantId;
use crate::limits::{CLOSE_BATCH_SIZE, EXPIRED_CREDENTIAL_RETENTION_SECONDS};
use crate::model::{EventKind, TradeRecord, TradeStatus, CANCEL_REFUND_REFERENCE};
use crate::money::Amount;
use crate::store::Transaction;
use crate::text::{Label, Reference};

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

    /// Closes a `USER_PAYING` trade whose confirmation deadline has passed.
    pub(super) fn close_if_overdue(
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
                    if let Some(remaining) = trade.amount.remaining(trade.refunded_amount) {
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
}
