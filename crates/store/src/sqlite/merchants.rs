//! Merchants and their API keys.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, ApiKeyId, MerchantId};
use paycode_core::model::{ApiKeyRecord, MerchantRecord, MerchantWebhook};
use rusqlite::{params, Connection, OptionalExtension};

use super::error::Result;
use crate::rows::{api_key_from_row, merchant_from_row, API_KEY_COLUMNS, MERCHANT_COLUMNS};

pub(super) fn insert_merchant(
    connection: &Connection,
    name: &str,
    account: AccountId,
    created_at: UnixMillis,
) -> Result<MerchantId> {
    let id = connection
        .prepare_cached(
            "INSERT INTO merchants (name, account_id, created_at) VALUES (?1, ?2, ?3)
             RETURNING id",
        )?
        .query_row(params![name, account.0, created_at], |row| row.get(0))?;
    Ok(MerchantId(id))
}

pub(super) fn merchant(connection: &Connection, id: MerchantId) -> Result<Option<MerchantRecord>> {
    let sql = format!("SELECT {MERCHANT_COLUMNS} FROM merchants WHERE id = ?1");
    let merchant = connection
        .prepare_cached(&sql)?
        .query_row([id.0], |row| merchant_from_row(row))
        .optional()?;
    Ok(merchant)
}

pub(super) fn set_merchant_webhook(
    connection: &Connection,
    merchant: MerchantId,
    webhook: Option<&MerchantWebhook>,
) -> Result<bool> {
    let changed = connection
        .prepare_cached(
            "UPDATE merchants SET webhook_url = ?2, webhook_secret_key_id = ?3,
                 webhook_secret_nonce = ?4, webhook_secret_ciphertext = ?5
             WHERE id = ?1",
        )?
        .execute(params![
            merchant.0,
            webhook.map(|webhook| webhook.url.as_str()),
            webhook.map(|webhook| webhook.secret.key_id),
            webhook.map(|webhook| webhook.secret.nonce.as_slice()),
            webhook.map(|webhook| webhook.secret.ciphertext.as_slice()),
        ])?;
    Ok(changed == 1)
}

pub(super) fn merchants_page(
    connection: &Connection,
    after: Option<MerchantId>,
    limit: u32,
) -> Result<Vec<MerchantRecord>> {
    let sql =
        format!("SELECT {MERCHANT_COLUMNS} FROM merchants WHERE id > ?1 ORDER BY id LIMIT ?2");
    let mut statement = connection.prepare_cached(&sql)?;
    let merchants = statement
        .query_map(params![after.map_or(0, |id| id.0), limit], |row| {
            merchant_from_row(row)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(merchants)
}

pub(super) fn insert_api_key(
    connection: &Connection,
    merchant: MerchantId,
    key_hash: &[u8],
    created_at: UnixMillis,
) -> Result<ApiKeyId> {
    let id = connection
        .prepare_cached(
            "INSERT INTO api_keys (merchant_id, key_hash, created_at) VALUES (?1, ?2, ?3)
             RETURNING id",
        )?
        .query_row(params![merchant.0, key_hash, created_at], |row| row.get(0))?;
    Ok(ApiKeyId(id))
}

pub(super) fn api_key_by_hash(
    connection: &Connection,
    key_hash: &[u8],
) -> Result<Option<ApiKeyRecord>> {
    let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE key_hash = ?1");
    let key = connection
        .prepare_cached(&sql)?
        .query_row([key_hash], |row| api_key_from_row(row))
        .optional()?;
    Ok(key)
}

pub(super) fn api_keys_of_merchant(
    connection: &Connection,
    merchant: MerchantId,
) -> Result<Vec<ApiKeyRecord>> {
    let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE merchant_id = ?1 ORDER BY id");
    let keys = connection
        .prepare_cached(&sql)?
        .query_map([merchant.0], |row| api_key_from_row(row))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(keys)
}

pub(super) fn revoke_api_key(
    connection: &Connection,
    merchant: MerchantId,
    key: ApiKeyId,
    revoked_at: UnixMillis,
) -> Result<bool> {
    let changed = connection
        .prepare_cached(
            "UPDATE api_keys SET revoked_at = ?1
             WHERE id = ?2 AND merchant_id = ?3 AND revoked_at IS NULL",
        )?
        .execute(params![revoked_at, key.0, merchant.0])?;
    Ok(changed == 1)
}
