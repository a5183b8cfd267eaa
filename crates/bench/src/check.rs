//! After the load: is every payment the server acknowledged stored, as `SUCCESS` with the
//! `trade_no` it answered? And do the ledger's invariants hold?
//!
//! Against a server in this process the trades are read through its domain
//! ([`Paycode::trade`]) on a few threads; against a server given by URL, with
//! `GET /v1/payments/{out_trade_no}` and each merchant's own key, one connection per worker.

use paycode_api::{ErrorCode, LedgerCheck, TradeStatus};
use paycode_client::{Client, ClientError};
use paycode_core::ids::MerchantId;
use paycode_core::Paycode;
use serde::Serialize;

use crate::acknowledged::{Acknowledged, Recorded};
use crate::error::Error;
use crate::limits::{REQUEST_TIMEOUT, STORED_CHECK_THREADS};
use crate::population::BenchMerchant;

/// What reading the acknowledged payments back found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StoredCheck {
    /// Acknowledged payments looked up.
    pub checked: u64,
    /// Found as `SUCCESS` with the acknowledged `trade_no`.
    pub stored: u64,
    /// Not found.
    pub missing: u64,
    /// Found, but with another status or `trade_no`.
    pub mismatched: u64,
    /// Could not be read (the server failed or could not be reached).
    pub unreadable: u64,
}

impl StoredCheck {
    /// True when every acknowledged payment is stored as acknowledged.
    pub fn ok(&self) -> bool {
        self.stored == self.checked
    }

    fn merge(&mut self, other: &StoredCheck) {
        self.checked += other.checked;
        self.stored += other.stored;
        self.missing += other.missing;
        self.mismatched += other.mismatched;
        self.unreadable += other.unreadable;
    }

    fn count(&mut self, found: Found) {
        self.checked += 1;
        match found {
            Found::Stored => self.stored += 1,
            Found::Missing => self.missing += 1,
            Found::Mismatched => self.mismatched += 1,
            Found::Unreadable => self.unreadable += 1,
        }
    }
}

/// What looking one payment up found.
enum Found {
    Stored,
    Missing,
    Mismatched,
    Unreadable,
}

fn compare(acknowledged: &Acknowledged, status: &str, trade_no: &str) -> Found {
    if status == TradeStatus::Success.as_str() && trade_no == acknowledged.trade_no {
        Found::Stored
    } else {
        Found::Mismatched
    }
}

/// Reads every acknowledged payment back through the domain of a server in this process, on
/// [`STORED_CHECK_THREADS`] threads. Blocking.
pub fn check_stored_in_process(
    paycode: &Paycode,
    merchants: &[BenchMerchant],
    acknowledged: &[Recorded],
    tag: &str,
) -> Result<StoredCheck, Error> {
    let threads = STORED_CHECK_THREADS.min(acknowledged.len()).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|thread| {
                scope.spawn(move || {
                    let mut check = StoredCheck::default();
                    for recorded in acknowledged.iter().skip(thread).step_by(threads) {
                        for payment in recorded.read()? {
                            let payment = payment?;
                            let merchant = MerchantId(merchants[usize::from(payment.merchant)].id);
                            let found = match paycode.trade(merchant, &payment.out_trade_no(tag)) {
                                Ok(trade) => {
                                    compare(&payment, trade.status.as_str(), &trade.trade_no)
                                }
                                Err(paycode_core::Error::NotFound(_)) => Found::Missing,
                                Err(_) => Found::Unreadable,
                            };
                            check.count(found);
                        }
                    }
                    Ok::<_, Error>(check)
                })
            })
            .collect();
        let mut total = StoredCheck::default();
        for handle in handles {
            let check = handle
                .join()
                .map_err(|_| Error::Panicked("a checking thread".to_owned()))??;
            total.merge(&check);
        }
        Ok(total)
    })
}

/// Reads every acknowledged payment back over HTTP, one connection per worker's file.
pub async fn check_stored_over_http(
    url: &str,
    merchants: &[BenchMerchant],
    acknowledged: &[Recorded],
    tag: &str,
) -> Result<StoredCheck, Error> {
    let mut handles = Vec::new();
    for recorded in acknowledged {
        let client = Client::new(url)?.with_timeout(REQUEST_TIMEOUT);
        let tills: Vec<Client> = merchants
            .iter()
            .map(|merchant| client.with_bearer(merchant.api_key.clone()))
            .collect();
        let (recorded, tag) = (recorded.clone(), tag.to_owned());
        handles.push(tokio::spawn(async move {
            let mut check = StoredCheck::default();
            // Reading the file blocks only for copies from the page cache, a few kilobytes
            // at a time, between requests that each take far longer.
            for payment in recorded.read()? {
                let payment = payment?;
                let till = &tills[usize::from(payment.merchant)];
                let found = match till.payment(&payment.out_trade_no(&tag)).await {
                    Ok(trade) => compare(&payment, trade.status.as_str(), &trade.trade_no),
                    Err(error) if error.code() == Some(ErrorCode::NotFound.as_str()) => {
                        Found::Missing
                    }
                    Err(_) => Found::Unreadable,
                };
                check.count(found);
            }
            Ok::<_, Error>(check)
        }));
    }
    let mut total = StoredCheck::default();
    for handle in handles {
        total.merge(&handle.await??);
    }
    Ok(total)
}

/// `GET /v1/admin/ledger/check` on the server at `url`.
pub async fn check_ledger(url: &str, admin_key: &str) -> Result<LedgerCheck, ClientError> {
    Client::new(url)?
        .with_bearer(admin_key)
        .with_timeout(REQUEST_TIMEOUT)
        .ledger_check()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acknowledged(trade_no: &str) -> Acknowledged {
        Acknowledged {
            worker: 0,
            number: 0,
            merchant: 0,
            trade_no: trade_no.into(),
        }
    }

    #[test]
    fn a_payment_is_stored_only_as_success_with_the_acknowledged_trade_number() {
        let payment = acknowledged("12345");
        assert!(matches!(
            compare(&payment, "SUCCESS", "12345"),
            Found::Stored
        ));
        assert!(matches!(
            compare(&payment, "SUCCESS", "12346"),
            Found::Mismatched
        ));
        assert!(matches!(
            compare(&payment, "REVERSED", "12345"),
            Found::Mismatched
        ));
    }

    #[test]
    fn the_check_is_ok_only_when_every_payment_is_stored() {
        let mut check = StoredCheck::default();
        check.count(Found::Stored);
        assert!(check.ok());
        check.count(Found::Unreadable);
        assert!(!check.ok());
        let empty = StoredCheck::default();
        assert!(empty.ok());
    }
}
