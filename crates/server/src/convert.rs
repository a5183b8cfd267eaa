//! Conversions from the domain's records to the wire types, at the boundary, so that neither
//! side's types leak into the other.

use paycode_api as api;
use paycode_core::clock::UnixMillis;
use paycode_core::ids::SessionId;
use paycode_core::model::{
    DeviceRecord, DeviceStatus, EventRecord, LedgerEntry, LedgerTotals, MerchantRecord, NewTrade,
    RefundRecord, SessionRecord, TopupRecord, TradeRecord, TradeStatus, UserRecord,
};
use paycode_core::model::{SettlementLine, StatementLine, StatementTotals};
use paycode_core::service::{MerchantCreated, OnlineCode, Provisioning, Session, Statement};
use paycode_core::text::Label;

/// Milliseconds in a day.
const MILLIS_PER_DAY: i64 = 86_400_000;
/// The last millisecond of the year 9999, the latest time RFC 3339 can write.
const LATEST_MILLIS: i64 = 253_402_300_799_999;

/// Formats a time as RFC 3339 in UTC with milliseconds: `2026-11-26T01:02:03.456Z`.
///
/// Times before 1970 or after 9999 cannot come from the clock; they are clamped so that the
/// function cannot fail on a request path.
pub fn timestamp(at: UnixMillis) -> api::Timestamp {
    let at = at.clamp(0, LATEST_MILLIS);
    let (year, month, day) = civil_from_days(at.div_euclid(MILLIS_PER_DAY));
    let millis_of_day = at.rem_euclid(MILLIS_PER_DAY);
    let (hours, rest) = (millis_of_day / 3_600_000, millis_of_day % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    let (seconds, millis) = (rest / 1_000, rest % 1_000);
    format!("{year:04}-{month:02}-{day:02}T{hours:02}:{minutes:02}:{seconds:02}.{millis:03}Z")
}

/// The proleptic Gregorian date of a count of days since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, exact for every day of years 0 to 9999).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn optional_timestamp(at: Option<UnixMillis>) -> Option<api::Timestamp> {
    at.map(timestamp)
}

/// A user.
pub fn user(record: &UserRecord) -> api::User {
    api::User {
        id: record.id.0,
        username: record.username.clone(),
        account_id: record.account_id.0,
        created_at: timestamp(record.created_at),
    }
}

/// A merchant, without a key.
pub fn merchant(record: &MerchantRecord) -> api::Merchant {
    api::Merchant {
        id: record.id.0,
        name: record.name.clone(),
        account_id: record.account_id.0,
        created_at: timestamp(record.created_at),
        api_key: None,
        api_key_id: None,
    }
}

/// A new merchant with its first key, shown once.
pub fn merchant_created(created: MerchantCreated) -> api::Merchant {
    api::Merchant {
        api_key: Some(created.api_key.key),
        api_key_id: Some(created.api_key.id.0),
        ..merchant(&created.merchant)
    }
}

/// A top-up.
pub fn topup(record: &TopupRecord) -> api::Topup {
    api::Topup {
        reference: record.reference.clone(),
        user_id: record.user_id.0,
        amount: record.amount.minor(),
        transaction_id: record.transaction_id.0,
        created_at: timestamp(record.created_at),
    }
}

/// The ledger check.
pub fn ledger_check(totals: &LedgerTotals) -> api::LedgerCheck {
    api::LedgerCheck {
        ok: totals.ok(),
        sum_of_balances: totals.sum_of_balances,
        sum_of_postings: totals.sum_of_postings,
        negative_user_accounts: totals.negative_user_accounts,
        accounts_not_matching_postings: totals.accounts_not_matching_postings,
        unbalanced_transactions: totals.unbalanced_transactions,
        trades_with_bad_refunds: totals.trades_with_bad_refunds,
        accounts: totals.accounts,
        transactions: totals.transactions,
    }
}

/// A session.
pub fn session(session: Session) -> api::Session {
    api::Session {
        token: session.token,
        expires_at: timestamp(session.expires_at),
    }
}

/// One of the user's sessions; `current` is the session of the request.
pub fn session_info(record: &SessionRecord, current: SessionId) -> api::SessionInfo {
    api::SessionInfo {
        id: record.id.0,
        created_at: timestamp(record.created_at),
        last_used_at: timestamp(record.last_used_at),
        user_agent: record.user_agent.clone(),
        current: record.id == current,
    }
}

/// A page of history; `next_before` is set when the page is full, since more may follow.
pub fn transactions_page(entries: &[LedgerEntry], limit: u32) -> api::TransactionsPage {
    let items: Vec<api::Transaction> = entries
        .iter()
        .map(|entry| api::Transaction {
            transaction_id: entry.transaction_id.0,
            kind: entry.kind.clone(),
            reference: entry.reference.clone(),
            amount: entry.amount,
            created_at: timestamp(entry.created_at),
        })
        .collect();
    let full = usize::try_from(limit).is_ok_and(|limit| items.len() >= limit);
    let next_before = items
        .last()
        .filter(|_| full)
        .map(|last| last.transaction_id);
    api::TransactionsPage { items, next_before }
}

/// A device's provisioning, with its secret and code key in Base32.
pub fn provisioning(provisioning: &Provisioning) -> api::DeviceProvisioning {
    let device = &provisioning.device;
    api::DeviceProvisioning {
        id: device.id.0,
        slot: device.id.0,
        name: device.name.clone(),
        secret: provisioning.secret.to_base32(),
        algorithm: device.algorithm.name().to_owned(),
        digits: provisioning.digits.get(),
        period: device.period_seconds,
        prefix: provisioning.prefix.to_string(),
        code_key: provisioning.code_key.to_base32(),
        uri: provisioning.uri.clone(),
    }
}

/// A device as listed, without its secret.
pub fn device(record: &DeviceRecord) -> api::Device {
    api::Device {
        id: record.id.0,
        slot: record.id.0,
        name: record.name.clone(),
        status: match record.status {
            DeviceStatus::Active => api::DeviceStatus::Active,
            DeviceStatus::Revoked => api::DeviceStatus::Revoked,
        },
        algorithm: record.algorithm.name().to_owned(),
        period: record.period_seconds,
        failed_attempts: record.failed_attempts,
        locked_until: optional_timestamp(record.locked_until),
        created_at: timestamp(record.created_at),
        last_used_at: optional_timestamp(record.last_used_at),
    }
}

/// An online code.
pub fn online_code(code: OnlineCode) -> api::OnlineCode {
    api::OnlineCode {
        code: code.code,
        expires_at: timestamp(code.expires_at),
    }
}

/// A trade's status.
pub fn trade_status(status: TradeStatus) -> api::TradeStatus {
    match status {
        TradeStatus::UserPaying => api::TradeStatus::UserPaying,
        TradeStatus::Success => api::TradeStatus::Success,
        TradeStatus::Closed => api::TradeStatus::Closed,
        TradeStatus::Reversed => api::TradeStatus::Reversed,
    }
}

/// A trade, in the deployment's `currency`.
pub fn trade(record: &TradeRecord, currency: &str) -> api::Trade {
    let waiting = record.status == TradeStatus::UserPaying;
    api::Trade {
        trade_no: record.trade_no.clone(),
        out_trade_no: record.out_trade_no.clone(),
        status: trade_status(record.status),
        amount: record.amount.minor(),
        refunded_amount: record.refunded_amount.minor(),
        currency: currency.to_owned(),
        created_at: timestamp(record.created_at),
        paid_at: optional_timestamp(record.paid_at),
        confirm_deadline: optional_timestamp(record.confirm_deadline.filter(|_| waiting)),
        subject: record.subject.clone(),
        terminal_id: record.terminal_id.clone(),
        merchant_name: None,
    }
}

/// A trade a payment just made, before the store gave it an id: what [`trade`] renders of it
/// once it is stored.
pub fn new_trade(new: &NewTrade, currency: &str) -> api::Trade {
    let waiting = new.status == TradeStatus::UserPaying;
    let label = |label: &Option<Label>| label.as_ref().map(|label| label.as_str().to_owned());
    api::Trade {
        trade_no: new.trade_no.clone(),
        out_trade_no: new.out_trade_no.as_str().to_owned(),
        status: trade_status(new.status),
        amount: new.amount.minor(),
        refunded_amount: 0,
        currency: currency.to_owned(),
        created_at: timestamp(new.created_at),
        paid_at: optional_timestamp(new.paid_at),
        confirm_deadline: optional_timestamp(new.confirm_deadline.filter(|_| waiting)),
        subject: label(&new.subject),
        terminal_id: label(&new.terminal_id),
        merchant_name: None,
    }
}

/// A refund of the trade whose merchant's reference is `out_trade_no`.
pub fn refund(record: &RefundRecord, out_trade_no: &str) -> api::Refund {
    api::Refund {
        refund_no: record.refund_no.clone(),
        out_trade_no: out_trade_no.to_owned(),
        out_refund_no: record.out_refund_no.clone(),
        amount: record.amount.minor(),
        created_at: timestamp(record.created_at),
        reason: record.reason.clone(),
    }
}

/// An event's stored `data`, the JSON of a trade or refund. The domain stored what
/// [`crate::webhooks::WireEventData`] rendered, so it parses; if a row were damaged, the
/// event still goes out, with `null` data, rather than block the queue.
fn event_data(record: &EventRecord) -> serde_json::Value {
    serde_json::from_str(&record.data).unwrap_or_else(|error| {
        tracing::error!(event = record.id.0, %error, "an event's data is not JSON");
        serde_json::Value::Null
    })
}

/// The body of a notification, as posted to the webhook.
pub fn event(record: &EventRecord) -> api::Event {
    api::Event {
        id: record.id.0,
        kind: record.kind.as_str().to_owned(),
        created_at: timestamp(record.created_at),
        data: event_data(record),
    }
}

/// An event with its delivery state, for the merchant's list.
pub fn event_info(record: &EventRecord) -> api::EventInfo {
    api::EventInfo {
        id: record.id.0,
        kind: record.kind.as_str().to_owned(),
        created_at: timestamp(record.created_at),
        data: event_data(record),
        delivered: record.delivered_at.is_some(),
        delivered_at: optional_timestamp(record.delivered_at),
        attempts: record.attempts,
        last_error: record.last_error.clone(),
        next_attempt_at: optional_timestamp(record.next_attempt_at),
    }
}

/// A page of events; `next_before` is set when the page is full, since more may follow.
pub fn event_page(records: &[EventRecord], limit: u32) -> api::EventPage {
    let items: Vec<api::EventInfo> = records.iter().map(event_info).collect();
    let full = usize::try_from(limit).is_ok_and(|limit| items.len() >= limit);
    let next_before = items.last().filter(|_| full).map(|last| last.id);
    api::EventPage { items, next_before }
}

/// A statement's or settlement's totals.
pub fn statement_totals(totals: &StatementTotals) -> api::StatementTotals {
    api::StatementTotals {
        gross: totals.gross,
        refunds: totals.refunds,
        net: totals.net,
        count: totals.count,
    }
}

/// One line of a statement.
pub fn statement_line(line: &StatementLine) -> api::StatementLine {
    api::StatementLine {
        kind: line.kind.as_str().to_owned(),
        transaction_id: line.transaction_id.0,
        at: timestamp(line.at),
        amount: line.amount,
        trade_no: line.trade_no.clone(),
        out_trade_no: line.out_trade_no.clone(),
        refund_no: line.refund_no.clone(),
        out_refund_no: line.out_refund_no.clone(),
    }
}

/// A merchant's statement of the day `date` in `time_zone`, which covers `[from, to)`.
pub fn statement(
    statement: &Statement,
    date: &str,
    time_zone: &str,
    (from, to): (UnixMillis, UnixMillis),
    currency: &str,
) -> api::Statement {
    api::Statement {
        date: date.to_owned(),
        time_zone: time_zone.to_owned(),
        from: timestamp(from),
        to: timestamp(to),
        currency: currency.to_owned(),
        totals: statement_totals(&statement.totals),
        items: statement.lines.iter().map(statement_line).collect(),
    }
}

/// The columns of a CSV statement.
const STATEMENT_CSV_HEADER: &str =
    "type,transaction_id,at,trade_no,out_trade_no,refund_no,out_refund_no,amount";

/// A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180). A field
/// that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets a `'` before it,
/// since references are the merchant's text.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// A statement as CSV: a header, one line per movement, then one line each for the totals
/// `gross`, `refunds`, `net` and `count`, with the value in the `amount` column. Lines end
/// with CRLF (RFC 4180).
pub fn statement_csv(statement: &api::Statement) -> String {
    let mut out = String::with_capacity(64 * (statement.items.len() + 6));
    out.push_str(STATEMENT_CSV_HEADER);
    out.push_str("\r\n");
    for line in &statement.items {
        let fields = [
            line.kind.clone(),
            line.transaction_id.to_string(),
            line.at.clone(),
            line.trade_no.clone(),
            line.out_trade_no.clone(),
            line.refund_no.clone().unwrap_or_default(),
            line.out_refund_no.clone().unwrap_or_default(),
            line.amount.to_string(),
        ];
        let fields: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    let totals = &statement.totals;
    for (name, value) in [
        ("gross", totals.gross.to_string()),
        ("refunds", totals.refunds.to_string()),
        ("net", totals.net.to_string()),
        ("count", totals.count.to_string()),
    ] {
        out.push_str(&format!("{name},,,,,,,{value}\r\n"));
    }
    out
}

/// The settlement of the day `date` in `time_zone`, which covers `[from, to)`.
pub fn settlement(
    lines: &[SettlementLine],
    date: &str,
    time_zone: &str,
    (from, to): (UnixMillis, UnixMillis),
    currency: &str,
) -> api::Settlement {
    api::Settlement {
        date: date.to_owned(),
        time_zone: time_zone.to_owned(),
        from: timestamp(from),
        to: timestamp(to),
        currency: currency.to_owned(),
        items: lines
            .iter()
            .map(|line| api::SettlementItem {
                merchant_id: line.merchant_id.0,
                merchant_name: line.merchant_name.clone(),
                totals: statement_totals(&line.totals),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paycode_core::ids::{MerchantId, TradeId, UserId};
    use paycode_core::text::Reference;
    use paycode_core::Amount;

    #[test]
    fn a_new_trade_renders_as_it_will_once_stored() {
        let waiting = NewTrade {
            trade_no: "17960000000001234567".to_owned(),
            merchant_id: MerchantId(3),
            user_id: UserId(1),
            out_trade_no: Reference::parse("out_trade_no", "order-1").unwrap(),
            auth_code_hash: vec![7; 32],
            amount: Amount::new(2_500).unwrap(),
            status: TradeStatus::UserPaying,
            subject: Some(Label::parse("subject", "coffee").unwrap()),
            terminal_id: Some(Label::parse("terminal_id", "till-1").unwrap()),
            pin_free: false,
            created_at: 1_796_000_000_000,
            paid_at: None,
            confirm_deadline: Some(1_796_000_060_000),
        };
        let paid = NewTrade {
            status: TradeStatus::Success,
            subject: None,
            terminal_id: None,
            pin_free: true,
            paid_at: Some(1_796_000_000_000),
            confirm_deadline: None,
            ..waiting.clone()
        };
        for new in [waiting, paid] {
            let rendered = new_trade(&new, "CNY");
            assert_eq!(rendered, trade(&new.stored(TradeId(42)), "CNY"));
        }
    }

    #[test]
    fn timestamps_are_rfc_3339_utc_with_milliseconds() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(timestamp(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(timestamp(1_795_654_923_456), "2026-11-26T01:02:03.456Z");
        assert_eq!(timestamp(4_107_542_399_999), "2100-02-28T23:59:59.999Z");
        assert_eq!(timestamp(LATEST_MILLIS), "9999-12-31T23:59:59.999Z");
        assert_eq!(timestamp(-5), "1970-01-01T00:00:00.000Z");
        assert_eq!(timestamp(i64::MAX), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn timestamps_agree_with_the_time_crate_across_the_calendar() {
        let format = time::format_description::well_known::Rfc3339;
        let mut at: i64 = 0;
        while at < LATEST_MILLIS {
            let expected =
                time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000)
                    .unwrap()
                    .format(&format)
                    .unwrap();
            // The time crate drops trailing zeros of the fraction; compare up to the seconds.
            assert_eq!(timestamp(at)[..19], expected[..19], "{at}");
            at += 987_654_321_013;
        }
    }

    #[test]
    fn a_csv_statement_quotes_what_needs_it_and_ends_with_the_totals() {
        let statement = api::Statement {
            date: "2027-01-15".to_owned(),
            time_zone: "UTC".to_owned(),
            from: timestamp(0),
            to: timestamp(86_400_000),
            currency: "CNY".to_owned(),
            totals: api::StatementTotals {
                gross: 500,
                refunds: 100,
                net: 400,
                count: 2,
            },
            items: vec![
                api::StatementLine {
                    kind: "payment".to_owned(),
                    transaction_id: 7,
                    at: timestamp(1_000),
                    amount: 500,
                    trade_no: "123".to_owned(),
                    out_trade_no: "=HYPERLINK(1)".to_owned(),
                    refund_no: None,
                    out_refund_no: None,
                },
                api::StatementLine {
                    kind: "refund".to_owned(),
                    transaction_id: 8,
                    at: timestamp(2_000),
                    amount: 100,
                    trade_no: "123".to_owned(),
                    out_trade_no: "a,b".to_owned(),
                    refund_no: Some("9".to_owned()),
                    out_refund_no: Some("say \"hi\"".to_owned()),
                },
            ],
        };
        let csv = statement_csv(&statement);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], STATEMENT_CSV_HEADER);
        assert_eq!(
            lines[1],
            "payment,7,1970-01-01T00:00:01.000Z,123,'=HYPERLINK(1),,,500"
        );
        assert_eq!(
            lines[2],
            "refund,8,1970-01-01T00:00:02.000Z,123,\"a,b\",9,\"say \"\"hi\"\"\",100"
        );
        assert_eq!(
            &lines[3..],
            [
                "gross,,,,,,,500",
                "refunds,,,,,,,100",
                "net,,,,,,,400",
                "count,,,,,,,2",
                ""
            ]
        );
    }

    #[test]
    fn a_full_page_points_to_the_next_one() {
        let entry = |id: i64| LedgerEntry {
            transaction_id: paycode_core::ids::LedgerTransactionId(id),
            kind: "topup".to_owned(),
            reference: format!("r{id}"),
            amount: 5,
            created_at: 0,
        };
        let page = transactions_page(&[entry(9), entry(7)], 2);
        assert_eq!(page.next_before, Some(7));
        let last = transactions_page(&[entry(9)], 2);
        assert_eq!(last.next_before, None);
    }
}
