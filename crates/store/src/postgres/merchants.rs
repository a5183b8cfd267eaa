//! Merchants and their API keys.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, ApiKeyId, MerchantId};
use paycode_core::model::{ApiKeyRecord, MerchantRecord};
use postgres::Row;

use super::error::Result;
use super::pool::Connection;
use super::rows::column;

const API_KEY_COLUMNS: &str = "id, merchant_id, key_hash, created_at, revoked_at";

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
    let row = connection.query_opt(
        "SELECT id, name, account_id, created_at FROM merchants WHERE id = $1",
        &[&id.0],
    )?;
    row.as_ref().map(merchant_from_row).transpose()
}

pub(super) fn lock_merchant(
    connection: &mut Connection,
    id: MerchantId,
) -> Result<Option<MerchantRecord>> {
    let row = connection.query_opt(
        "SELECT id, name, account_id, created_at FROM merchants WHERE id = $1 FOR UPDATE",
        &[&id.0],
    )?;
    row.as_ref().map(merchant_from_row).transpose()
}

pub(super) fn merchants_page(
    connection: &mut Connection,
    after: Option<MerchantId>,
    limit: u32,
) -> Result<Vec<MerchantRecord>> {
    let rows = connection.query(
        "SELECT id, name, account_id, created_at FROM merchants WHERE id > $1 ORDER BY id LIMIT $2",
        &[&after.map_or(0, |id| id.0), &i64::from(limit)],
    )?;
    rows.iter().map(merchant_from_row).collect()
}

pub(super) fn merchants(
    connection: &mut Connection,
    ids: &[MerchantId],
) -> Result<Vec<MerchantRecord>> {
    let ids = column(ids, |id| id.0);
    let rows = connection.query(
        "SELECT id, name, account_id, created_at FROM merchants WHERE id = ANY($1)",
        &[&ids],
    )?;
    rows.iter().map(merchant_from_row).collect()
}

fn merchant_from_row(row: &Row) -> Result<MerchantRecord> {
    Ok(MerchantRecord {
        id: MerchantId(row.try_get(0)?),
        name: row.try_get(1)?,
        account_id: AccountId(row.try_get(2)?),
        created_at: row.try_get(3)?,
    })
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

fn api_key_from_row(row: &Row) -> Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: ApiKeyId(row.try_get("id")?),
        merchant_id: MerchantId(row.try_get("merchant_id")?),
        key_hash: row.try_get("key_hash")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
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
