//! What a payment may write: a closed set, so that every kind has its one bulk statement in
//! [`super::PaymentWrites::apply`] and its one effect on the view in
//! [`super::View::absorb`].

use crate::ids::MerchantId;
use crate::model::{DeviceFailures, DeviceRecord, NewEvent, NewTrade};
use crate::reports::RefusalCount;
use crate::store::{NewLedgerTransaction, SpentOfflineCode, VerificationFailure};

/// One write of a decided payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Write {
    /// An offline code is spent: a second use is `CODE_USED`.
    SpendOfflineCode(SpentOfflineCode),
    /// An online code is spent.
    SpendOnlineCode {
        /// Its keyed hash.
        hash: Vec<u8>,
    },
    /// A device's new state: its drift, last use, failure total or lockout.
    PutDevice(DeviceRecord),
    /// A device's failure count at one merchant.
    PutDeviceFailures(DeviceFailures),
    /// One more failed verification against the merchant's budget of the minute.
    AddMerchantFailure(MerchantId),
    /// The record of a failed verification, for the operator.
    Audit(VerificationFailure),
    /// A ledger transaction: the user pays the merchant.
    Post(NewLedgerTransaction),
    /// The trade, `SUCCESS` or `USER_PAYING`; the store assigns its id.
    InsertTrade(NewTrade),
    /// A notification for the merchant's webhook (the outbox).
    InsertEvent(NewEvent),
    /// One refusal, for the operator's summary.
    CountRefusal(RefusalCount),
}
