//! Merchants, their webhooks and their API keys.

use super::SealedSecret;
use crate::clock::UnixMillis;
use crate::ids::{AccountId, ApiKeyId, MerchantId};

/// A merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantRecord {
    /// Id.
    pub id: MerchantId,
    /// Display name.
    pub name: String,
    /// The merchant's ledger account.
    pub account_id: AccountId,
    /// Creation time.
    pub created_at: UnixMillis,
    /// Where the merchant's notifications go, when it has set a webhook.
    pub webhook: Option<MerchantWebhook>,
}

/// A merchant's webhook (SPEC section 7): the URL that notifications are posted to and the
/// secret they are signed with, sealed under the master key with the merchant's id as
/// associated data (the server must be able to compute signatures, so a hash would not do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantWebhook {
    /// An `http` or `https` URL.
    pub url: String,
    /// The signing secret, sealed.
    pub secret: SealedSecret,
}

/// A merchant API key; only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// Id.
    pub id: ApiKeyId,
    /// Owner.
    pub merchant_id: MerchantId,
    /// SHA-256 of the key.
    pub key_hash: Vec<u8>,
    /// Creation time.
    pub created_at: UnixMillis,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixMillis>,
}
