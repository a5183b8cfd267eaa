//! Merchants' statements and the operator's settlements (SPEC section 7), read from the
//! ledger: a statement line is a ledger transaction that moved money to or from the
//! merchant's account, so the totals reconcile with the balances by construction.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::MerchantId;
use paycode_core::model::{SettlementLine, StatementLine};

use super::error::Result;
use super::pool::Connection;
use crate::rows::{settlement_line_from_row, statement_line_from_row};

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
    rows.iter().map(statement_line_from_row).collect()
}

pub(super) fn settlement_lines(
    connection: &mut Connection,
    from: UnixMillis,
    to: UnixMillis,
) -> Result<Vec<SettlementLine>> {
    let rows = connection.query(
        "WITH day AS (SELECT min(id) AS first, max(id) AS last FROM ledger_transactions
                      WHERE created_at >= $1 AND created_at < $2)
         SELECT m.id AS merchant_id, m.name AS merchant_name,
             coalesce(sum(CASE WHEN t.kind = 'payment' THEN p.amount ELSE 0 END), 0)::bigint
                 AS gross,
             coalesce(sum(CASE WHEN t.kind = 'refund' THEN -p.amount ELSE 0 END), 0)::bigint
                 AS refunds,
             coalesce(sum(p.amount), 0)::bigint AS net,
             count(*) AS count
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
    rows.iter().map(settlement_line_from_row).collect()
}
