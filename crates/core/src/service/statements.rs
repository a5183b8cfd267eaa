//! Merchants' statements and the operator's settlements (SPEC section 7): the movements of
//! merchants' accounts over a period (a day in the configured time zone, cut by the caller),
//! read from the ledger, so that their totals reconcile with the balances exactly.

use super::Paycode;
use crate::clock::UnixMillis;
use crate::error::Error;
use crate::ids::MerchantId;
use crate::limits::MAX_STATEMENT_LINES;
use crate::model::{SettlementLine, StatementKind, StatementLine, StatementTotals};

/// A merchant's statement of a period: every payment, refund and reversal, and their totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The lines, in ledger order.
    pub lines: Vec<StatementLine>,
    /// What they add up to.
    pub totals: StatementTotals,
}

/// The totals of `lines`: payments are gross, refunds and reversals refunds (positive), net
/// is their difference. An amount out of range is an error, never a wrapped sum.
pub fn totals_of(lines: &[StatementLine]) -> Result<StatementTotals, Error> {
    let overflow = || Error::Internal("a statement's totals are out of range".to_owned());
    let mut totals = StatementTotals::default();
    for line in lines {
        match line.kind {
            StatementKind::Payment => {
                totals.gross = totals.gross.checked_add(line.amount).ok_or_else(overflow)?;
            }
            StatementKind::Refund | StatementKind::Reversal => {
                totals.refunds = totals
                    .refunds
                    .checked_add(line.amount)
                    .ok_or_else(overflow)?;
            }
        }
    }
    totals.net = totals
        .gross
        .checked_sub(totals.refunds)
        .ok_or_else(overflow)?;
    totals.count = lines.len() as u64;
    Ok(totals)
}

impl Paycode {
    /// The merchant's statement of the ledger transactions at a time in `[from, to)`.
    /// A period with more than [`MAX_STATEMENT_LINES`] lines is refused with
    /// `LIMIT_EXCEEDED` rather than answered in part.
    pub fn statement(
        &self,
        merchant: MerchantId,
        from: UnixMillis,
        to: UnixMillis,
    ) -> Result<Statement, Error> {
        debug_assert!(from <= to, "a period ends after it starts");
        let lines = self.reading(|transaction| {
            transaction
                .merchant(merchant)?
                .ok_or(Error::NotFound("merchant"))?;
            Ok(transaction.statement_lines(merchant, from, to, MAX_STATEMENT_LINES + 1)?)
        })?;
        if lines.len() > MAX_STATEMENT_LINES as usize {
            return Err(Error::LimitExceeded(format!(
                "a statement has at most {MAX_STATEMENT_LINES} lines"
            )));
        }
        let totals = totals_of(&lines)?;
        Ok(Statement { lines, totals })
    }

    /// Every merchant's totals of the ledger transactions at a time in `[from, to)`, for the
    /// merchants whose accounts moved, in merchant order.
    pub fn settlement(
        &self,
        from: UnixMillis,
        to: UnixMillis,
    ) -> Result<Vec<SettlementLine>, Error> {
        debug_assert!(from <= to, "a period ends after it starts");
        self.reading(|transaction| Ok(transaction.settlement_lines(from, to)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::LedgerTransactionId;

    fn line(kind: StatementKind, amount: i64) -> StatementLine {
        StatementLine {
            kind,
            transaction_id: LedgerTransactionId(1),
            at: 0,
            amount,
            trade_no: "1".to_owned(),
            out_trade_no: "o".to_owned(),
            refund_no: None,
            out_refund_no: None,
        }
    }

    #[test]
    fn totals_count_payments_as_gross_and_refunds_and_reversals_as_refunds() {
        let totals = totals_of(&[
            line(StatementKind::Payment, 1_000),
            line(StatementKind::Payment, 250),
            line(StatementKind::Refund, 100),
            line(StatementKind::Reversal, 250),
        ])
        .unwrap();
        assert_eq!(
            totals,
            StatementTotals {
                gross: 1_250,
                refunds: 350,
                net: 900,
                count: 4
            }
        );
        assert_eq!(totals_of(&[]).unwrap(), StatementTotals::default());
    }

    #[test]
    fn totals_out_of_range_are_an_error() {
        let lines = [
            line(StatementKind::Payment, i64::MAX),
            line(StatementKind::Payment, 1),
        ];
        assert!(totals_of(&lines).is_err());
    }
}
