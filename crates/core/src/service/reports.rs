//! The reads behind the till and the operator's console: a merchant's trades of a day with
//! their totals, the operator's search of trades, and the operator's counts of a day. Days are
//! cut in the configured time zone (`crate::days`); pages are newest first, with the id of
//! the last trade as the cursor to the next.

use super::admin::page_limit;
use super::Paycode;
use crate::clock::MILLIS_PER_SECOND;
use crate::days::{Day, DayRange};
use crate::error::Error;
use crate::ids::{MerchantId, TradeId};
use crate::limits::MAX_USER_PAYING_TIMEOUT_SECONDS;
use crate::model::{TradeRecord, TradeStatus};
use crate::reports::{ActivityCounts, TradeListing, TradeQuery, TradeTotals};
use crate::text::Reference;

/// A merchant's trades of one day, a page of them, and the totals of the whole day.
#[derive(Debug, Clone)]
pub struct MerchantDay {
    /// The day.
    pub day: Day,
    /// The page, newest first.
    pub trades: Vec<TradeRecord>,
    /// The cursor to the next page, when there is one.
    pub next_before: Option<TradeId>,
    /// The totals of every trade the merchant created that day.
    pub totals: TradeTotals,
}

/// What the operator searches trades by; every filter given must hold.
#[derive(Debug, Clone, Default)]
pub struct TradeSearch {
    /// The merchant's id.
    pub merchant_id: Option<i64>,
    /// The merchant's reference (needs `merchant_id`: it is unique per merchant only).
    pub out_trade_no: Option<String>,
    /// paycode's trade number.
    pub trade_no: Option<String>,
    /// The status, by its wire name (`SUCCESS`...).
    pub status: Option<String>,
    /// The day of creation, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// The previous page's cursor.
    pub before: Option<i64>,
    /// The page size.
    pub limit: Option<u32>,
}

/// A page of the operator's search.
#[derive(Debug, Clone)]
pub struct TradeSearchPage {
    /// The trades found, newest first.
    pub items: Vec<TradeListing>,
    /// The cursor to the next page, when there is one.
    pub next_before: Option<TradeId>,
}

/// The operator's counts of a day.
#[derive(Debug, Clone)]
pub struct DaySummary {
    /// The day.
    pub day: Day,
    /// The counts.
    pub counts: ActivityCounts,
}

/// One more row than the page asks for tells whether another page follows; the extra row is
/// dropped and the last kept row's id is the cursor.
fn split_page<T>(
    mut rows: Vec<T>,
    limit: u32,
    id: impl Fn(&T) -> TradeId,
) -> (Vec<T>, Option<TradeId>) {
    let limit = limit as usize;
    if rows.len() <= limit {
        return (rows, None);
    }
    rows.truncate(limit);
    let next = rows.last().map(id);
    (rows, next)
}

impl Paycode {
    /// The day `date` names, or today in the statement time zone when it is absent.
    fn day_or_today(&self, date: Option<&str>) -> Result<Day, Error> {
        match date {
            Some(text) => Day::parse("date", text),
            None => self.zone.day_of(self.now()),
        }
    }

    fn range_of(&self, day: Day) -> Result<DayRange, Error> {
        self.zone.day_range(day)
    }

    /// The merchant's trades created on `date` (today when absent), newest first, after the
    /// trade `before` when given, with the totals of the whole day.
    pub fn merchant_trades(
        &self,
        merchant: MerchantId,
        date: Option<&str>,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<MerchantDay, Error> {
        let day = self.day_or_today(date)?;
        let range = self.range_of(day)?;
        let limit = page_limit(limit)?;
        let query = TradeQuery {
            merchant: Some(merchant),
            out_trade_no: None,
            trade_no: None,
            status: None,
            created: Some(range),
            before: before.map(TradeId),
            limit: limit + 1,
        };
        let (rows, totals) = self.reading(|transaction| {
            Ok((
                transaction.trades_page(&query)?,
                transaction.trade_totals(merchant, range)?,
            ))
        })?;
        let trades = rows.into_iter().map(|listing| listing.trade).collect();
        let (trades, next_before) = split_page(trades, limit, |trade: &TradeRecord| trade.id);
        Ok(MerchantDay {
            day,
            trades,
            next_before,
            totals,
        })
    }

    /// The operator's search of trades, newest first.
    pub fn find_trades(&self, search: &TradeSearch) -> Result<TradeSearchPage, Error> {
        if search.out_trade_no.is_some() && search.merchant_id.is_none() {
            return Err(Error::MalformedRequest(
                "out_trade_no needs merchant_id: it is unique per merchant only".to_owned(),
            ));
        }
        let out_trade_no = search
            .out_trade_no
            .as_deref()
            .map(|text| Reference::parse("out_trade_no", text))
            .transpose()?;
        let trade_no = search
            .trade_no
            .as_deref()
            .map(|text| Reference::parse("trade_no", text))
            .transpose()?;
        let status = search
            .status
            .as_deref()
            .map(|text| {
                TradeStatus::parse(text).ok_or_else(|| {
                    Error::MalformedRequest(
                        "status must be USER_PAYING, SUCCESS, CLOSED or REVERSED".to_owned(),
                    )
                })
            })
            .transpose()?;
        let created = search
            .date
            .as_deref()
            .map(|text| self.range_of(Day::parse("date", text)?))
            .transpose()?;
        let limit = page_limit(search.limit)?;
        let query = TradeQuery {
            merchant: search.merchant_id.map(MerchantId),
            out_trade_no: out_trade_no.map(|reference| reference.as_str().to_owned()),
            trade_no: trade_no.map(|reference| reference.as_str().to_owned()),
            status,
            created,
            before: search.before.map(TradeId),
            limit: limit + 1,
        };
        let rows = self.reading(|transaction| Ok(transaction.trades_page(&query)?))?;
        let (items, next_before) = split_page(rows, limit, |row: &TradeListing| row.trade.id);
        Ok(TradeSearchPage { items, next_before })
    }

    /// The operator's counts of `date` (today when absent) and of the moment.
    pub fn day_summary(&self, date: Option<&str>) -> Result<DaySummary, Error> {
        let day = self.day_or_today(date)?;
        let range = self.range_of(day)?;
        let paid_within = i64::from(MAX_USER_PAYING_TIMEOUT_SECONDS) * MILLIS_PER_SECOND;
        let now = self.now();
        let counts = self
            .reading(|transaction| Ok(transaction.activity_counts(range, now, paid_within)?))?;
        Ok(DaySummary { day, counts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_with_a_row_beyond_the_limit_has_a_cursor_to_the_next() {
        let id = |row: &i64| TradeId(*row);
        assert_eq!(
            split_page(vec![9, 8, 7], 2, id),
            (vec![9, 8], Some(TradeId(8)))
        );
        assert_eq!(split_page(vec![9, 8], 2, id), (vec![9, 8], None));
        assert_eq!(split_page(Vec::<i64>::new(), 2, id), (vec![], None));
    }
}
