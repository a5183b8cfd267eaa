//! Accounts, ledger transactions and their postings, top-ups, and the ledger check.

use std::collections::HashMap;

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{AccountId, LedgerTransactionId};
use paycode_core::model::{AccountKind, LedgerEntry, LedgerKind, LedgerTotals, TopupRecord};
use rusqlite::{params, Connection, OptionalExtension};

use super::error::{Error, Result};
use crate::rows::{ledger_entry_from_row, topup_from_row, TOPUP_COLUMNS};
use crate::schema::balanced_in_account_order;

pub(super) fn insert_account(
    connection: &Connection,
    kind: AccountKind,
    created_at: UnixMillis,
) -> Result<AccountId> {
    let id = connection
        .prepare_cached(
            "INSERT INTO accounts (kind, balance, created_at) VALUES (?1, 0, ?2) RETURNING id",
        )?
        .query_row(params![kind.as_str(), created_at], |row| row.get(0))?;
    Ok(AccountId(id))
}

pub(super) fn issuance_account(connection: &Connection) -> Result<AccountId> {
    connection
        .prepare_cached("SELECT id FROM accounts WHERE kind = 'issuance'")?
        .query_row([], |row| row.get(0))
        .optional()?
        .map(AccountId)
        .ok_or(Error::Missing("issuance account"))
}

pub(super) fn balance(connection: &Connection, account: AccountId) -> Result<i64> {
    connection
        .prepare_cached("SELECT balance FROM accounts WHERE id = ?1")?
        .query_row([account.0], |row| row.get(0))
        .optional()?
        .ok_or(Error::Missing("account"))
}

/// Records the transaction and applies its postings in ascending account order, the order
/// the contract asks of every store (it keeps row-locking stores free of deadlocks).
pub(super) fn post_transaction(
    connection: &Connection,
    kind: LedgerKind,
    reference: &str,
    postings: &[(AccountId, i64)],
    created_at: UnixMillis,
) -> Result<LedgerTransactionId> {
    let ordered = balanced_in_account_order(postings);

    let id: i64 = connection
        .prepare_cached(
            "INSERT INTO ledger_transactions (kind, reference, created_at) VALUES (?1, ?2, ?3)
             RETURNING id",
        )?
        .query_row(params![kind.as_str(), reference, created_at], |row| {
            row.get(0)
        })?;
    for (account, amount) in ordered {
        apply_posting(connection, id, account, amount)?;
    }
    Ok(LedgerTransactionId(id))
}

/// Reads, adds in Rust and writes back, so that an overflow is a clear error rather than
/// SQLite's integer overflow halfway through a statement.
fn apply_posting(
    connection: &Connection,
    transaction: i64,
    account: AccountId,
    amount: i64,
) -> Result<()> {
    let new_balance = balance(connection, account)?
        .checked_add(amount)
        .ok_or(Error::OutOfRange("account balance"))?;
    connection
        .prepare_cached("UPDATE accounts SET balance = ?1 WHERE id = ?2")?
        .execute(params![new_balance, account.0])?;
    connection
        .prepare_cached(
            "INSERT INTO postings (transaction_id, account_id, amount) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![transaction, account.0, amount])?;
    Ok(())
}

pub(super) fn account_history(
    connection: &Connection,
    account: AccountId,
    before: Option<LedgerTransactionId>,
    limit: u32,
) -> Result<Vec<LedgerEntry>> {
    let mut statement = connection.prepare_cached(
        "SELECT p.transaction_id, t.kind, t.reference, p.amount, t.created_at
         FROM postings p JOIN ledger_transactions t ON t.id = p.transaction_id
         WHERE p.account_id = ?1 AND p.transaction_id < ?2
         ORDER BY p.transaction_id DESC, p.id DESC
         LIMIT ?3",
    )?;
    let before = before.map_or(i64::MAX, |id| id.0);
    let entries = statement
        .query_map(params![account.0, before, limit], |row| {
            ledger_entry_from_row(row)
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(entries)
}

pub(super) fn topup(connection: &Connection, reference: &str) -> Result<Option<TopupRecord>> {
    let sql = format!("SELECT {TOPUP_COLUMNS} FROM topups WHERE reference = ?1");
    let topup = connection
        .prepare_cached(&sql)?
        .query_row([reference], |row| topup_from_row(row))
        .optional()?;
    Ok(topup)
}

pub(super) fn insert_topup(connection: &Connection, topup: &TopupRecord) -> Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO topups (reference, user_id, amount, transaction_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            topup.reference,
            topup.user_id.0,
            topup.amount.minor(),
            topup.transaction_id.0,
            topup.created_at,
        ])?;
    Ok(())
}

/// Computes every invariant of SPEC section 3 over the whole database. Sums are taken in Rust
/// as `i128`, because SQLite's `SUM` fails on `i64` overflow, and a check must still report a
/// ledger that is broken that badly.
pub(super) fn totals(connection: &Connection) -> Result<LedgerTotals> {
    let postings = posting_sums(connection)?;
    let balances = balance_sums(connection, &postings.per_account)?;
    Ok(LedgerTotals {
        sum_of_balances: balances.sum,
        sum_of_postings: postings.sum,
        negative_user_accounts: count(
            connection,
            "SELECT count(*) FROM accounts WHERE kind = 'user' AND balance < 0",
        )?,
        accounts_not_matching_postings: balances.not_matching_postings,
        unbalanced_transactions: postings.unbalanced_transactions,
        trades_with_bad_refunds: count(
            connection,
            "SELECT count(*) FROM trades t
             WHERE t.refunded_amount > t.amount
                OR t.refunded_amount <>
                   coalesce((SELECT sum(r.amount) FROM refunds r WHERE r.trade_id = t.id), 0)",
        )?,
        accounts: balances.accounts,
        transactions: count(connection, "SELECT count(*) FROM ledger_transactions")?,
    })
}

fn count(connection: &Connection, sql: &str) -> Result<u64> {
    let count: i64 = connection
        .prepare_cached(sql)?
        .query_row([], |row| row.get(0))?;
    u64::try_from(count).map_err(|_| Error::Corrupt("negative count"))
}

/// What one walk over every posting, in transaction order, adds up to.
struct PostingSums {
    sum: i128,
    per_account: HashMap<i64, i128>,
    unbalanced_transactions: u64,
}

fn posting_sums(connection: &Connection) -> Result<PostingSums> {
    let mut statement = connection.prepare_cached(
        "SELECT transaction_id, account_id, amount FROM postings ORDER BY transaction_id",
    )?;
    let mut rows = statement.query([])?;
    let mut sums = PostingSums {
        sum: 0,
        per_account: HashMap::new(),
        unbalanced_transactions: 0,
    };
    // The running sum of the transaction being walked, as (transaction id, sum).
    let mut current: Option<(i64, i128)> = None;
    while let Some(row) = rows.next()? {
        let (transaction, account, amount): (i64, i64, i64) =
            (row.get(0)?, row.get(1)?, row.get(2)?);
        let amount = i128::from(amount);
        sums.sum += amount;
        *sums.per_account.entry(account).or_default() += amount;
        current = match current {
            Some((id, sum)) if id == transaction => Some((id, sum + amount)),
            finished => {
                sums.count_if_unbalanced(finished);
                Some((transaction, amount))
            }
        };
    }
    sums.count_if_unbalanced(current);
    Ok(sums)
}

impl PostingSums {
    fn count_if_unbalanced(&mut self, transaction: Option<(i64, i128)>) {
        if matches!(transaction, Some((_, sum)) if sum != 0) {
            self.unbalanced_transactions += 1;
        }
    }
}

/// What one walk over every account adds up to.
struct BalanceSums {
    sum: i128,
    accounts: u64,
    not_matching_postings: u64,
}

fn balance_sums(
    connection: &Connection,
    postings_per_account: &HashMap<i64, i128>,
) -> Result<BalanceSums> {
    let mut statement = connection.prepare_cached("SELECT id, balance FROM accounts")?;
    let mut rows = statement.query([])?;
    let mut sums = BalanceSums {
        sum: 0,
        accounts: 0,
        not_matching_postings: 0,
    };
    while let Some(row) = rows.next()? {
        let (account, balance): (i64, i64) = (row.get(0)?, row.get(1)?);
        let posted = postings_per_account.get(&account).copied().unwrap_or(0);
        sums.sum += i128::from(balance);
        sums.accounts += 1;
        if i128::from(balance) != posted {
            sums.not_matching_postings += 1;
        }
    }
    Ok(sums)
}
