//! The outbox: events written in the same transaction as the change they report, for
//! merchants that have a webhook.

use crate::error::Error;
use crate::ids::MerchantId;
use crate::model::{EventKind, NewEvent, NewTrade, RefundRecord, TradeRecord};
use crate::service::Paycode;
use crate::store::Transaction;

/// Renders what an event's `data` holds: the trade or refund exactly as the API returns it.
/// The server implements it with its wire types, which this crate does not know; the domain
/// calls it when the change happens, so the event keeps the trade as it was at that moment.
pub trait EventData: Send + Sync {
    /// A trade as JSON text.
    fn trade(&self, trade: &TradeRecord) -> String;
    /// A trade a payment just made, not stored yet, as JSON text: what [`EventData::trade`]
    /// renders of it once it is stored (the API shows no trade's internal id).
    fn new_trade(&self, trade: &NewTrade) -> String;
    /// A refund of `trade` as JSON text.
    fn refund(&self, refund: &RefundRecord, trade: &TradeRecord) -> String;
}

impl Paycode {
    /// Stores the event `kind` of `trade` in the outbox of the transaction, if the trade's
    /// merchant has a webhook.
    pub(in crate::service) fn notify_trade(
        &self,
        transaction: &mut dyn Transaction,
        kind: EventKind,
        trade: &TradeRecord,
    ) -> Result<(), Error> {
        let Some(data) = &self.event_data else {
            return Ok(());
        };
        if !self.has_webhook(transaction, trade.merchant_id)? {
            return Ok(());
        }
        transaction.insert_event(&NewEvent {
            merchant_id: trade.merchant_id,
            kind,
            data: data.trade(trade),
            created_at: self.now(),
        })?;
        Ok(())
    }

    /// Stores `refund.succeeded` for a refund of `trade`, if its merchant has a webhook.
    pub(in crate::service) fn notify_refund(
        &self,
        transaction: &mut dyn Transaction,
        refund: &RefundRecord,
        trade: &TradeRecord,
    ) -> Result<(), Error> {
        let Some(data) = &self.event_data else {
            return Ok(());
        };
        if !self.has_webhook(transaction, trade.merchant_id)? {
            return Ok(());
        }
        transaction.insert_event(&NewEvent {
            merchant_id: trade.merchant_id,
            kind: EventKind::RefundSucceeded,
            data: data.refund(refund, trade),
            created_at: self.now(),
        })?;
        Ok(())
    }

    fn has_webhook(
        &self,
        transaction: &mut dyn Transaction,
        merchant: MerchantId,
    ) -> Result<bool, Error> {
        Ok(transaction
            .merchant(merchant)?
            .ok_or(Error::NotFound("merchant"))?
            .webhook
            .is_some())
    }
}
