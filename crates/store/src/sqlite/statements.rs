//! Merchants' statements and the operator's settlements (SPEC section 7), read from the
//! ledger: a statement line is a ledger transaction that moved money to or from the
//! merchant's account, so the totals reconcile with the balances by construction.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{LedgerTransactionId, MerchantId};
use paycode_core::model::{
    SettlementLine, StatementKind, StatementLine, StatementTotals, CANCEL_REFUND_REFERENCE,
};
use rusqlite::{params, Connection};

use super::error::{Error, Result};

pub(super) fn statement_lines(
    connection: &Connection,
    merchant: MerchantId,
    from: UnixMillis,
    to: UnixMillis,
    limit: u32,
) -> Result<Vec<StatementLine>> {
    let mut statement = connection.prepare_cached(
        "WITH day AS (SELECT min(id) AS first, max(id) AS last FROM ledger_transactions
                      WHERE created_at >= ?2 AND created_at < ?3)
         SELECT t.id, t.kind, t.created_at, p.amount,
             coalesce(paid.trade_no, refunded.trade_no), coalesce(paid.out_trade_no, refunded.out_trade_no),
             r.refund_no, r.out_refund_no
         FROM day
         JOIN merchants m ON m.id = ?1
         JOIN postings p ON p.account_id = m.account_id
             AND p.transaction_id BETWEEN day.first AND day.last
         JOIN ledger_transactions t ON t.id = p.transaction_id
         LEFT JOIN trades paid ON t.kind = 'payment' AND paid.trade_no = t.reference
         LEFT JOIN refunds r ON t.kind = 'refund' AND r.refund_no = t.reference
         LEFT JOIN trades refunded ON refunded.id = r.trade_id
         WHERE t.created_at >= ?2 AND t.created_at < ?3
         ORDER BY t.id
         LIMIT ?4",
    )?;
    let rows = statement.query_map(params![merchant.0, from, to, limit], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, i64>(3)?,
            row.get::<_, Option<String>>(4)?,
            row.get::<_, Option<String>>(5)?,
            row.get::<_, Option<String>>(6)?,
            row.get::<_, Option<String>>(7)?,
        ))
    })?;
    let mut lines = Vec::new();
    for row in rows {
        let (id, kind, at, posted, trade_no, out_trade_no, refund_no, out_refund_no) = row?;
        let kind = match (kind.as_str(), out_refund_no.as_deref()) {
            ("payment", _) => StatementKind::Payment,
            ("refund", Some(CANCEL_REFUND_REFERENCE)) => StatementKind::Reversal,
            ("refund", _) => StatementKind::Refund,
            _ => {
                return Err(Error::Corrupt(
                    "a merchant's posting that is no payment or refund",
                ))
            }
        };
        lines.push(StatementLine {
            kind,
            transaction_id: LedgerTransactionId(id),
            at,
            amount: posted
                .checked_abs()
                .ok_or(Error::Corrupt("posting amount"))?,
            trade_no: trade_no.ok_or(Error::Corrupt("a merchant's posting without its trade"))?,
            out_trade_no: out_trade_no
                .ok_or(Error::Corrupt("a merchant's posting without its trade"))?,
            refund_no,
            out_refund_no,
        });
    }
    Ok(lines)
}

pub(super) fn settlement_lines(
    connection: &Connection,
    from: UnixMillis,
    to: UnixMillis,
) -> Result<Vec<SettlementLine>> {
    let mut statement = connection.prepare_cached(
        "WITH day AS (SELECT min(id) AS first, max(id) AS last FROM ledger_transactions
                      WHERE created_at >= ?1 AND created_at < ?2)
         SELECT m.id, m.name,
             coalesce(sum(CASE WHEN t.kind = 'payment' THEN p.amount ELSE 0 END), 0),
             coalesce(sum(CASE WHEN t.kind = 'refund' THEN -p.amount ELSE 0 END), 0),
             coalesce(sum(p.amount), 0),
             count(*)
         FROM day
         CROSS JOIN merchants m
         JOIN postings p ON p.account_id = m.account_id
             AND p.transaction_id BETWEEN day.first AND day.last
         JOIN ledger_transactions t ON t.id = p.transaction_id
         WHERE t.created_at >= ?1 AND t.created_at < ?2
         GROUP BY m.id, m.name
         ORDER BY m.id",
    )?;
    let lines = statement
        .query_map(params![from, to], |row| {
            Ok(SettlementLine {
                merchant_id: MerchantId(row.get(0)?),
                merchant_name: row.get(1)?,
                totals: StatementTotals {
                    gross: row.get(2)?,
                    refunds: row.get(3)?,
                    net: row.get(4)?,
                    count: row.get(5)?,
                },
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(lines)
}
