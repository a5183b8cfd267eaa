//! Merchants and their API keys.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, ApiKeyId, MerchantId};
use paycode_core::model::{ApiKeyRecord, MerchantRecord, MerchantWebhook};

use super::error::Result;
use super::pool::Connection;
use super::rows::column;
use crate::rows::{api_key_from_row, merchant_from_row, API_KEY_COLUMNS, MERCHANT_COLUMNS};

pub(super) fn insert_merchant(
    connection: &mut Connection,
    name: &str,
    account: AccountId,
    created_at: UnixMillis,
) -> Result<MerchantId> {
    let row = connection.query_one(
        "INSERT INTO merchants (name, account_id, created_at) VALUES ($1, $2, $3)
         RETURNING id",
        &[&name, &account.0, &created_at],
    )?;
    Ok(MerchantId(row.try_get(0)?))
}

pub(super) fn merchant(
    connection: &mut Connection,
    id: MerchantId,
) -> Result<Option<MerchantRecord>> {
    let sql = format!("SELECT {MERCHANT_COLUMNS} FROM merchants WHERE id = $1");
    let row = connection.query_opt(&sql, &[&id.0])?;
    row.as_ref().map(merchant_from_row).transpose()
}

pub(super) fn lock_merchant(
    connection: &mut Connection,
    id: MerchantId,
) -> Result<Option<MerchantRecord>> {
    let sql = format!("SELECT {MERCHANT_COLUMNS} FROM merchants WHERE id = $1 FOR UPDATE");
    let row = connection.query_opt(&sql, &[&id.0])?;
    row.as_ref().map(merchant_from_row).transpose()
}

pub(super) fn merchants_page(
    connection: &mut Connection,
    after: Option<MerchantId>,
    limit: u32,
) -> Result<Vec<MerchantRecord>> {
    let sql =
        format!("SELECT {MERCHANT_COLUMNS} FROM merchants WHERE id > $1 ORDER BY id LIMIT $2");
    let rows = connection.query(&sql, &[&after.map_or(0, |id| id.0), &i64::from(limit)])?;
    rows.iter().map(merchant_from_row).collect()
}

pub(super) fn merchants(
    connection: &mut Connection,
    ids: &[MerchantId],
) -> Result<Vec<MerchantRecord>> {
    let ids = column(ids, |id| id.0);
    let sql = format!("SELECT {MERCHANT_COLUMNS} FROM merchants WHERE id = ANY($1)");
    let rows = connection.query(&sql, &[&ids])?;
    rows.iter().map(merchant_from_row).collect()
}

pub(super) fn set_merchant_webhook(
    connection: &mut Connection,
    merchant: MerchantId,
    webhook: Option<&MerchantWebhook>,
) -> Result<bool> {
    let changed = connection.execute(
        "UPDATE merchants SET webhook_url = $2, webhook_secret_key_id = $3,
             webhook_secret_nonce = $4, webhook_secret_ciphertext = $5
         WHERE id = $1",
        &[
            &merchant.0,
            &webhook.map(|webhook| webhook.url.as_str()),
            &webhook.map(|webhook| i64::from(webhook.secret.key_id)),
            &webhook.map(|webhook| webhook.secret.nonce.as_slice()),
            &webhook.map(|webhook| webhook.secret.ciphertext.as_slice()),
        ],
    )?;
    Ok(changed == 1)
}

pub(super) fn insert_api_key(
    connection: &mut Connection,
    merchant: MerchantId,
    key_hash: &[u8],
    created_at: UnixMillis,
) -> Result<ApiKeyId> {
    let row = connection.query_one(
        "INSERT INTO api_keys (merchant_id, key_hash, created_at) VALUES ($1, $2, $3)
         RETURNING id",
        &[&merchant.0, &key_hash, &created_at],
    )?;
    Ok(ApiKeyId(row.try_get(0)?))
}

pub(super) fn api_key_by_hash(
    connection: &mut Connection,
    key_hash: &[u8],
) -> Result<Option<ApiKeyRecord>> {
    let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE key_hash = $1");
    let row = connection.query_opt(&sql, &[&key_hash])?;
    row.as_ref().map(api_key_from_row).transpose()
}

pub(super) fn api_keys_of_merchant(
    connection: &mut Connection,
    merchant: MerchantId,
) -> Result<Vec<ApiKeyRecord>> {
    let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE merchant_id = $1 ORDER BY id");
    let rows = connection.query(&sql, &[&merchant.0])?;
    rows.iter().map(api_key_from_row).collect()
}

pub(super) fn revoke_api_key(
    connection: &mut Connection,
    merchant: MerchantId,
    key: ApiKeyId,
    revoked_at: UnixMillis,
) -> Result<bool> {
    let changed = connection.execute(
        "UPDATE api_keys SET revoked_at = $1
         WHERE id = $2 AND merchant_id = $3 AND revoked_at IS NULL",
        &[&revoked_at, &key.0, &merchant.0],
    )?;
    Ok(changed == 1)
}
