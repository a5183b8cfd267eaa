//! How `paycode pos trades`, `paycode pos statement`, `paycode admin trades`, `paycode admin
//! summary` and `paycode admin settlement` print their answers for people: one line per trade
//! or movement, amounts in major units, then the totals.

use paycode_api::{
    AdminTradesPage, MerchantTradesPage, Settlement, Statement, StatementTotals, Summary, Trade,
};

use crate::display::money;

/// One trade on one line: when, status, amount, refunded part, references.
fn trade_line(trade: &Trade) -> String {
    let refunded = if trade.refunded_amount > 0 {
        format!(
            " (refunded {})",
            money(trade.refunded_amount, &trade.currency)
        )
    } else {
        String::new()
    };
    format!(
        "{}  {:<11}  {}{refunded}  {}  trade_no {}",
        trade.created_at,
        trade.status.as_str(),
        money(trade.amount, &trade.currency),
        trade.out_trade_no,
        trade.trade_no,
    )
}

/// The merchant's trades of a day, then the day's totals.
pub fn show_merchant_day(page: &MerchantTradesPage) {
    println!("trades of {} ({})", page.date, page.time_zone);
    if page.items.is_empty() {
        println!("no trades");
    }
    for trade in &page.items {
        println!("{}", trade_line(trade));
    }
    if let Some(before) = page.next_before {
        println!("more: --before {before}");
    }
    let totals = &page.totals;
    let currency = &page.currency;
    println!(
        "day: {} trades, {} paid, {} waiting for the PIN, {} closed",
        totals.count, totals.paid_count, totals.user_paying, totals.closed
    );
    println!(
        "gross {}, refunded {}, net {}",
        money(totals.gross, currency),
        money(totals.refunded, currency),
        money(totals.net, currency)
    );
}

/// The operator's search of trades: each trade with its merchant and user.
pub fn show_admin_trades(page: &AdminTradesPage) {
    if page.items.is_empty() {
        println!("no trades");
    }
    for item in &page.items {
        println!(
            "{}  merchant {} {}  user {} {}",
            trade_line(&item.trade),
            item.merchant_id,
            item.trade.merchant_name.as_deref().unwrap_or(""),
            item.user_id,
            item.username
        );
    }
    if let Some(before) = page.next_before {
        println!("more: --before {before}");
    }
}

/// The operator's counts of a day and of the moment.
pub fn show_summary(summary: &Summary) {
    let currency = &summary.currency;
    println!("summary of {} ({})", summary.date, summary.time_zone);
    println!(
        "payments {}, volume {}",
        summary.payments,
        money(summary.volume, currency)
    );
    println!(
        "refunds {}, refunded {}",
        summary.refunds,
        money(summary.refunded, currency)
    );
    if summary.refusals.is_empty() {
        println!("refusals: none");
    } else {
        let refusals: Vec<String> = summary
            .refusals
            .iter()
            .map(|(code, count)| format!("{code} {count}"))
            .collect();
        println!("refusals: {}", refusals.join(", "));
    }
    println!(
        "now: {} waiting for the PIN, {} locked devices, {} users, {} merchants",
        summary.user_paying, summary.locked_devices, summary.users, summary.merchants
    );
}

/// A statement's or settlement's totals on one line.
fn totals_line(totals: &StatementTotals, currency: &str) -> String {
    format!(
        "gross {}, refunds {}, net {} ({} movements)",
        money(totals.gross, currency),
        money(totals.refunds, currency),
        money(totals.net, currency),
        totals.count
    )
}

/// The merchant's statement of a day: one line per movement, then the totals.
pub fn show_statement(statement: &Statement) {
    let currency = &statement.currency;
    println!("statement of {} ({})", statement.date, statement.time_zone);
    if statement.items.is_empty() {
        println!("no payments, refunds or reversals");
    }
    for line in &statement.items {
        let refund = line
            .out_refund_no
            .as_deref()
            .map(|out_refund_no| format!("  refund {out_refund_no}"))
            .unwrap_or_default();
        println!(
            "{}  {:<8}  {}  {}{refund}  trade_no {}",
            line.at,
            line.kind,
            money(line.amount, currency),
            line.out_trade_no,
            line.trade_no
        );
    }
    println!("{}", totals_line(&statement.totals, currency));
}

/// The operator's settlement of a day: one line per merchant.
pub fn show_settlement(settlement: &Settlement) {
    println!(
        "settlement of {} ({})",
        settlement.date, settlement.time_zone
    );
    if settlement.items.is_empty() {
        println!("no merchant's account moved");
    }
    for item in &settlement.items {
        println!(
            "merchant {} {}: {}",
            item.merchant_id,
            item.merchant_name,
            totals_line(&item.totals, &settlement.currency)
        );
    }
}
