//! Human-readable output shared by the wallet, POS and admin commands: amounts, trades and
//! refunds. (`--json` output prints the wire types instead.)

use anyhow::{Context, Result};
use paycode_api::{Device, DeviceStatus, Refund, Trade};
use paycode_wallet::{format_amount, parse_amount};

/// Digits after the decimal point of typed and printed amounts. The API carries amounts in
/// minor units without saying how many make a major unit; paycode's default currency (CNY)
/// and most others have two.
pub const MINOR_DIGITS: u32 = 2;

/// Reads an amount typed as a decimal (`12.50`) into minor units, exactly, or explains what a
/// valid amount looks like.
pub fn parse_typed_amount(text: &str) -> Result<i64> {
    parse_amount(text, MINOR_DIGITS).with_context(|| format!("invalid --amount {text:?}"))
}

/// `1250` and `CNY` as `12.50 CNY`.
pub fn money(minor: i64, currency: &str) -> String {
    format!("{} {currency}", format_amount(minor, MINOR_DIGITS))
}

/// A trade as a short block of lines: the status and amount first, then the references.
pub fn trade_lines(trade: &Trade) -> String {
    let mut lines = format!(
        "{}  {}\n  trade_no      {}\n  out_trade_no  {}\n  created_at    {}",
        trade.status,
        money(trade.amount, &trade.currency),
        trade.trade_no,
        trade.out_trade_no,
        trade.created_at,
    );
    let optional = [
        ("paid_at", trade.paid_at.as_deref()),
        ("confirm until", trade.confirm_deadline.as_deref()),
        ("subject", trade.subject.as_deref()),
        ("terminal_id", trade.terminal_id.as_deref()),
    ];
    for (label, value) in optional {
        if let Some(value) = value {
            lines.push_str(&format!("\n  {label:<13} {value}"));
        }
    }
    if trade.refunded_amount > 0 {
        lines.push_str(&format!(
            "\n  refunded      {}",
            money(trade.refunded_amount, &trade.currency)
        ));
    }
    lines
}

/// Whether a device may pay: `active`, `locked until ...` or `revoked`.
pub fn device_status(device: &Device) -> String {
    match (device.status, &device.locked_until) {
        (DeviceStatus::Revoked, _) => "revoked".to_owned(),
        (DeviceStatus::Active, Some(until)) => format!("locked until {until}"),
        (DeviceStatus::Active, None) => "active".to_owned(),
    }
}

/// A refund on one line. Refunds carry no currency, so the amount is shown bare.
pub fn refund_line(refund: &Refund) -> String {
    format!(
        "refund {} (out_refund_no {}): {} at {}{}",
        refund.refund_no,
        refund.out_refund_no,
        format_amount(refund.amount, MINOR_DIGITS),
        refund.created_at,
        refund
            .reason
            .as_deref()
            .map(|reason| format!(", reason: {reason}"))
            .unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_amounts_become_minor_units_and_bad_ones_are_explained() {
        assert_eq!(parse_typed_amount("12.50").unwrap(), 1250);
        assert_eq!(parse_typed_amount("3").unwrap(), 300);
        for (text, reason) in [
            ("12.505", "at most 2 digits after the decimal point"),
            ("-1", "cannot be negative"),
            ("abc", "digits with at most one decimal point"),
            ("0", "more than zero"),
        ] {
            let message = format!("{:#}", parse_typed_amount(text).unwrap_err());
            assert!(message.contains(reason), "{text}: {message}");
            assert!(message.contains(&format!("{text:?}")), "{message}");
        }
    }

    #[test]
    fn money_has_two_decimals_and_the_currency() {
        assert_eq!(money(1250, "CNY"), "12.50 CNY");
        assert_eq!(money(-5, "CNY"), "-0.05 CNY");
    }
}
