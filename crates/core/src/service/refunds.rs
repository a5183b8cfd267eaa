//! The merchant's refunds of a paid trade (SPEC section 4).

use super::serial::serial_number;
use super::{in_progress_on_duplicate, Paycode};
use crate::error::Error;
use crate::ids::MerchantId;
use crate::limits::MAX_REFUNDS_PER_TRADE;
use crate::model::{
    LedgerKind, MerchantRecord, RefundRecord, TradeRecord, TradeStatus, UserRecord,
};
use crate::money::Amount;
use crate::store::Transaction;
use crate::text::{Label, Reference};

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

impl Paycode {
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
                return if existing.amount == amount && same_reason {
                    Ok(existing)
                } else {
                    Err(Error::OutTradeNoConflict("out_refund_no"))
                };
            }
            if trade.status != TradeStatus::Success {
                return Err(Error::TradeNotRefundable);
            }
            let remaining = trade.amount.remaining(trade.refunded_amount);
            if remaining.is_none_or(|remaining| amount > remaining) {
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
                amount,
                reason.as_ref().map(Label::as_str),
            )?;
            transaction.update_trade(&trade)?;
            self.notify_refund(transaction, &refund, &trade)?;
            Ok(refund)
        })
    }

    /// Moves `amount` back from the merchant to the user and records the refund.
    pub(super) fn refund_in(
        &self,
        transaction: &mut dyn Transaction,
        trade: &mut TradeRecord,
        out_refund_no: &str,
        amount: Amount,
        reason: Option<&str>,
    ) -> Result<RefundRecord, Error> {
        let (user, merchant) = trade_accounts(transaction, trade)?;
        // The user's balance is locked before the merchant's, as a payment locks them (its
        // batch locks the users' balances when it loads, the merchants' when it writes): a
        // refund racing a payment of the same user and merchant waits, never deadlocks.
        transaction.lock_balance(user.account_id)?;
        if transaction.lock_balance(merchant.account_id)? < amount.minor() {
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
            &amount.transfer(merchant.account_id, user.account_id),
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
}
