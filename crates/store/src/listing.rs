//! The statement behind the console's list of trades ([`TradeQuery`]), built once for both
//! backends. Only the filters given become conditions, so each combination gets a plan that
//! uses the index its filters allow. The backends differ only in how they write a parameter
//! (`?1` or `$1`) and bind it.

use paycode_core::clock::UnixMillis;
use paycode_core::ids::TradeId;
use paycode_core::reports::TradeQuery;

use crate::rows::TRADE_COLUMNS;

/// A parameter of the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Parameter {
    /// An id, a time or a limit.
    Integer(i64),
    /// A reference or a status.
    Text(String),
}

/// A statement and its parameters, in the order their placeholders number them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement {
    /// The SQL, whose columns are those of [`TRADE_COLUMNS`] and `merchant_name` and
    /// `username` (see [`crate::rows::trade_listing_from_row`]).
    pub(crate) sql: String,
    /// The parameters.
    pub(crate) parameters: Vec<Parameter>,
}

/// The page of trades `query` selects, newest first (by creation time, then id). `before` is
/// the trade of `query.before` with its creation time, which the caller reads first, so that
/// the condition on it is a plain row comparison that the index can start from, however deep
/// the page; a caller that finds no such trade has an empty page and no statement to run.
/// `placeholder` writes the n-th parameter, counting from 1.
pub(crate) fn trades_page(
    query: &TradeQuery,
    before: Option<(UnixMillis, TradeId)>,
    placeholder: fn(usize) -> String,
) -> Statement {
    debug_assert_eq!(query.before, before.map(|(_, id)| id));
    let mut conditions = Vec::new();
    let mut parameters = Vec::new();
    let mut condition = |sql: &str, parameter: Parameter| {
        parameters.push(parameter);
        conditions.push(sql.replace('?', &placeholder(parameters.len())));
    };
    if let Some(merchant) = query.merchant {
        condition("t.merchant_id = ?", Parameter::Integer(merchant.0));
    }
    if let Some(out_trade_no) = &query.out_trade_no {
        condition("t.out_trade_no = ?", Parameter::Text(out_trade_no.clone()));
    }
    if let Some(trade_no) = &query.trade_no {
        condition("t.trade_no = ?", Parameter::Text(trade_no.clone()));
    }
    if let Some(status) = query.status {
        condition("t.status = ?", Parameter::Text(status.as_str().to_owned()));
    }
    if let Some(created) = query.created {
        condition("t.created_at >= ?", Parameter::Integer(created.start));
        condition("t.created_at < ?", Parameter::Integer(created.end));
    }
    if let Some((created_at, id)) = before {
        parameters.push(Parameter::Integer(created_at));
        parameters.push(Parameter::Integer(id.0));
        let (first, second) = (parameters.len() - 1, parameters.len());
        conditions.push(format!(
            "(t.created_at, t.id) < ({}, {})",
            placeholder(first),
            placeholder(second)
        ));
    }
    parameters.push(Parameter::Integer(i64::from(query.limit)));
    let limit = placeholder(parameters.len());
    let columns: Vec<String> = TRADE_COLUMNS
        .split(", ")
        .map(|column| format!("t.{}", column.trim()))
        .collect();
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "SELECT {}, m.name AS merchant_name, u.username AS username
         FROM trades t
         JOIN merchants m ON m.id = t.merchant_id
         JOIN users u ON u.id = t.user_id
         {filter}
         ORDER BY t.created_at DESC, t.id DESC
         LIMIT {limit}",
        columns.join(", ")
    );
    Statement { sql, parameters }
}

#[cfg(test)]
mod tests {
    use paycode_core::ids::MerchantId;
    use paycode_core::model::TradeStatus;

    use super::*;

    fn dollar(position: usize) -> String {
        format!("${position}")
    }

    fn query() -> TradeQuery {
        TradeQuery {
            merchant: None,
            out_trade_no: None,
            trade_no: None,
            status: None,
            created: None,
            before: None,
            limit: 20,
        }
    }

    #[test]
    fn a_query_without_filters_has_no_conditions_and_only_the_limit() {
        let statement = trades_page(&query(), None, dollar);
        assert!(!statement.sql.contains("WHERE"), "{}", statement.sql);
        assert!(statement.sql.contains("LIMIT $1"), "{}", statement.sql);
        assert_eq!(statement.parameters, [Parameter::Integer(20)]);
    }

    #[test]
    fn each_filter_given_is_a_condition_numbered_in_order_and_the_cursor_comes_last() {
        let query = TradeQuery {
            merchant: Some(MerchantId(7)),
            status: Some(TradeStatus::Success),
            before: Some(TradeId(99)),
            ..query()
        };
        let statement = trades_page(&query, Some((1_000, TradeId(99))), |n| format!("?{n}"));
        assert!(
            statement.sql.contains(
                "WHERE t.merchant_id = ?1 AND t.status = ?2 AND (t.created_at, t.id) < (?3, ?4)"
            ),
            "{}",
            statement.sql
        );
        assert!(statement.sql.contains("LIMIT ?5"), "{}", statement.sql);
        assert_eq!(
            statement.parameters,
            [
                Parameter::Integer(7),
                Parameter::Text("SUCCESS".to_owned()),
                Parameter::Integer(1_000),
                Parameter::Integer(99),
                Parameter::Integer(20),
            ]
        );
    }
}
