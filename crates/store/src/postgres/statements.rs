//! Merchants' statements and the operator's settlements (SPEC section 7), read from the
//! ledger: a statement line is a ledger transaction that moved money to or from the
//! merchant's account, so the totals reconcile with the balances by construction.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::{LedgerTransactionId, MerchantId};
use paycode_core::model::{
    SettlementLine, StatementKind, StatementLine, StatementTotals, CANCEL_REFUND_REFERENCE,
};

use super::error::{Error, Result};
use super::pool::Connection;
use super::rows::count;

pub(super) fn statement_lines(
    connection: &mut Connection,
    merchant: MerchantId,
    from: UnixMillis,
    to: UnixMillis,
    limit: u32,
) -> Result<Vec<StatementLine>> {
    let rows = connection.query(
        "WITH day AS (SELECT min(id) AS first, max(id) AS last FROM ledger_transactions
                      WHERE created_at >= $2 AND created_at < $3)
         SELECT t.id, t.kind, t.created_at, p.amount,
             coalesce(paid.trade_no, refunded.trade_no) AS trade_no,
             coalesce(paid.out_trade_no, refunded.out_trade_no) AS out_trade_no,
             r.refund_no, r.out_refund_no
         FROM day
         JOIN merchants m ON m.id = $1
         JOIN postings p ON p.account_id = m.account_id
             AND p.transaction_id BETWEEN day.first AND day.last
         JOIN ledger_transactions t ON t.id = p.transaction_id
         LEFT JOIN trades paid ON t.kind = 'payment' AND paid.trade_no = t.reference
         LEFT JOIN refunds r ON t.kind = 'refund' AND r.refund_no = t.reference
         LEFT JOIN trades refunded ON refunded.id = r.trade_id
         WHERE t.created_at >= $2 AND t.created_at < $3
         ORDER BY t.id
         LIMIT $4",
        &[&merchant.0, &from, &to, &i64::from(limit)],
    )?;
    rows.iter()
        .map(|row| {
            let kind: &str = row.try_get("kind")?;
            let out_refund_no: Option<String> = row.try_get("out_refund_no")?;
            let kind = match (kind, out_refund_no.as_deref()) {
                ("payment", _) => StatementKind::Payment,
                ("refund", Some(CANCEL_REFUND_REFERENCE)) => StatementKind::Reversal,
                ("refund", _) => StatementKind::Refund,
                _ => {
                    return Err(Error::Corrupt(
                        "a merchant's posting that is no payment or refund",
                    ))
                }
            };
            let posted: i64 = row.try_get("amount")?;
            let trade_no: Option<String> = row.try_get("trade_no")?;
            let out_trade_no: Option<String> = row.try_get("out_trade_no")?;
            Ok(StatementLine {
                kind,
                transaction_id: LedgerTransactionId(row.try_get("id")?),
                at: row.try_get("created_at")?,
                amount: posted
                    .checked_abs()
                    .ok_or(Error::Corrupt("posting amount"))?,
                trade_no: trade_no
                    .ok_or(Error::Corrupt("a merchant's posting without its trade"))?,
                out_trade_no: out_trade_no
                    .ok_or(Error::Corrupt("a merchant's posting without its trade"))?,
                refund_no: row.try_get("refund_no")?,
                out_refund_no,
            })
        })
        .collect()
}

pub(super) fn settlement_lines(
    connection: &mut Connection,
    from: UnixMillis,
    to: UnixMillis,
) -> Result<Vec<SettlementLine>> {
    let rows = connection.query(
        "WITH day AS (SELECT min(id) AS first, max(id) AS last FROM ledger_transactions
                      WHERE created_at >= $1 AND created_at < $2)
         SELECT m.id, m.name,
             coalesce(sum(CASE WHEN t.kind = 'payment' THEN p.amount ELSE 0 END), 0)::bigint,
             coalesce(sum(CASE WHEN t.kind = 'refund' THEN -p.amount ELSE 0 END), 0)::bigint,
             coalesce(sum(p.amount), 0)::bigint,
             count(*)
         FROM day
         CROSS JOIN merchants m
         JOIN postings p ON p.account_id = m.account_id
             AND p.transaction_id BETWEEN day.first AND day.last
         JOIN ledger_transactions t ON t.id = p.transaction_id
         WHERE t.created_at >= $1 AND t.created_at < $2
         GROUP BY m.id, m.name
         ORDER BY m.id",
        &[&from, &to],
    )?;
    rows.iter()
        .map(|row| {
            Ok(SettlementLine {
                merchant_id: MerchantId(row.try_get(0)?),
                merchant_name: row.try_get(1)?,
                totals: StatementTotals {
                    gross: row.try_get(2)?,
                    refunds: row.try_get(3)?,
                    net: row.try_get(4)?,
                    count: count(row, 5)?,
                },
            })
        })
        .collect()
}
