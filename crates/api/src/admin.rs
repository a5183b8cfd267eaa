//! The operator's calls: users, merchants and their API keys, top-ups, the ledger check.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{Timestamp, REDACTED};

/// `POST /v1/admin/users`: creates a wallet user.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// 1 to 64 ASCII letters, digits or `. _ - @`; unique.
    #[schema(min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9._@-]+$")]
    pub username: String,
    /// At least 8 characters, at most 256 bytes.
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
}

impl fmt::Debug for CreateUserRequest {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("CreateUserRequest")
            .field("username", &self.username)
            .field("password", &REDACTED)
            .finish()
    }
}

/// A wallet user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct User {
    /// The user's id (what top-ups name).
    pub id: i64,
    /// The login name.
    pub username: String,
    /// The user's ledger account.
    pub account_id: i64,
    /// When the user was created.
    pub created_at: Timestamp,
}

/// `POST /v1/admin/merchants`: creates a merchant with its first API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMerchantRequest {
    /// Display name, 1 to 128 bytes of printable text.
    #[schema(min_length = 1, max_length = 128)]
    pub name: String,
}

/// A merchant. `api_key` is present only in the response that created the merchant: it is
/// shown once and stored only as a hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Merchant {
    /// The merchant's id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// The merchant's ledger account.
    pub account_id: i64,
    /// When the merchant was created.
    pub created_at: Timestamp,
    /// The first API key, shown once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// The id of that key, for revoking it later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_id: Option<i64>,
}

impl fmt::Debug for Merchant {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Merchant")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("account_id", &self.account_id)
            .field("created_at", &self.created_at)
            .field("api_key", &self.api_key.as_ref().map(|_| REDACTED))
            .field("api_key_id", &self.api_key_id)
            .finish()
    }
}

/// A new API key of a merchant (`POST /v1/admin/merchants/{id}/keys`), shown once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MerchantKey {
    /// The merchant the key belongs to.
    pub merchant_id: i64,
    /// The key's id, for revoking it.
    pub api_key_id: i64,
    /// The key itself.
    pub api_key: String,
}

impl fmt::Debug for MerchantKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("MerchantKey")
            .field("merchant_id", &self.merchant_id)
            .field("api_key_id", &self.api_key_id)
            .field("api_key", &REDACTED)
            .finish()
    }
}

/// `POST /v1/admin/topups`: credits a user from the issuance account. Idempotent by
/// `reference`: the same reference with the same user and amount returns the stored top-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopupRequest {
    /// The credited user.
    pub user_id: i64,
    /// Minor units, positive.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    pub amount: i64,
    /// The operator's reference: 1 to 64 ASCII letters, digits or `_ - . :`.
    #[schema(min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")]
    pub reference: String,
}

/// A top-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Topup {
    /// The operator's reference.
    pub reference: String,
    /// The credited user.
    pub user_id: i64,
    /// Minor units.
    pub amount: i64,
    /// The ledger transaction that moved the money.
    pub transaction_id: i64,
    /// When.
    pub created_at: Timestamp,
}

/// `GET /v1/admin/ledger/check`: the ledger's invariants (SPEC section 3), computed over
/// everything stored. `ok` is true when every count of violations is zero and both sums are 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LedgerCheck {
    /// True when every invariant holds.
    pub ok: bool,
    /// Sum of all account balances; must be 0.
    #[schema(value_type = i64)]
    pub sum_of_balances: i128,
    /// Sum of all postings; must be 0.
    #[schema(value_type = i64)]
    pub sum_of_postings: i128,
    /// User accounts below zero; must be 0.
    pub negative_user_accounts: u64,
    /// Accounts whose balance differs from the sum of their postings; must be 0.
    pub accounts_not_matching_postings: u64,
    /// Transactions whose postings do not sum to zero; must be 0.
    pub unbalanced_transactions: u64,
    /// Trades whose refunds exceed the amount or disagree with `refunded_amount`; must be 0.
    pub trades_with_bad_refunds: u64,
    /// Number of accounts.
    pub accounts: u64,
    /// Number of ledger transactions.
    pub transactions: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_api_keys_do_not_appear_in_debug_output() {
        let request = CreateUserRequest {
            username: "alice".to_owned(),
            password: "hunter2hunter2".to_owned(),
        };
        assert!(!format!("{request:?}").contains("hunter2"));
        let key = MerchantKey {
            merchant_id: 1,
            api_key_id: 2,
            api_key: "pk_secretsecret".to_owned(),
        };
        assert!(!format!("{key:?}").contains("pk_secret"));
    }

    #[test]
    fn a_merchant_without_a_new_key_has_no_api_key_field() {
        let merchant = Merchant {
            id: 1,
            name: "Canteen".to_owned(),
            account_id: 2,
            created_at: "2026-11-26T01:02:03.456Z".to_owned(),
            api_key: None,
            api_key_id: None,
        };
        let json = serde_json::to_value(&merchant).unwrap();
        assert!(json.get("api_key").is_none());
    }

    #[test]
    fn unknown_request_fields_are_refused() {
        let typo = r#"{"user_id": 1, "amount": 5, "reference": "r", "amout": 5}"#;
        assert!(serde_json::from_str::<TopupRequest>(typo).is_err());
    }
}

/// Query of `GET /v1/admin/users`: users in id order, a page at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Only users whose username starts with this.
    #[param(max_length = 64)]
    pub username_prefix: Option<String>,
    /// Only users with an id above this one (the `next_after` of the previous page).
    pub after: Option<i64>,
    /// Page size, 1 to 100; 20 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A page of users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserPage {
    /// In id order.
    pub items: Vec<User>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

/// A user as the operator's console shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserOverview {
    /// The user.
    pub user: User,
    /// The balance, in minor units.
    pub balance: i64,
    /// The deployment's currency, ISO 4217.
    pub currency: String,
    /// Whether the user has set a PIN.
    pub pin_set: bool,
    /// Until when every PIN check of the user is refused (`PIN_LOCKED`), while it is.
    pub pin_locked_until: Option<Timestamp>,
    /// The user's devices, revoked ones included, oldest first.
    pub devices: Vec<crate::Device>,
}

/// Query of `GET /v1/admin/merchants`: merchants in id order, a page at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MerchantsQuery {
    /// Only merchants with an id above this one (the `next_after` of the previous page).
    pub after: Option<i64>,
    /// Page size, 1 to 100; 20 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A page of merchants (never with their keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MerchantPage {
    /// In id order.
    pub items: Vec<Merchant>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

/// One of a merchant's API keys, without the key itself (stored only as a hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MerchantKeyInfo {
    /// The key's id, for revoking it.
    pub id: i64,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

/// A merchant's API keys, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MerchantKeyList {
    /// The keys, revoked ones included.
    pub items: Vec<MerchantKeyInfo>,
}
