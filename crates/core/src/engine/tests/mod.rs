//! Tests of `decide` with no database: a view filled by hand, one payment or a batch of them
//! decided against it, and the outcome and the writes compared with what the rules say.

mod batches;
mod limits;
mod payments;
mod refusals;

use paycode_codec::{offline_counter, CodeIndex, DeviceSlot, OfflinePayload, OTP_DIGITS};
use paycode_otp::{Algorithm, HotpKey, Secret};

use super::check_invariants;
use super::decide::{decide, Alert, Decided, Rules};
use super::plan::{Instant, Payment, ScannedCode};
use super::view::{BatchTrade, View, ViewBuilder};
use super::write::Write;
use crate::config::Config;
use crate::crypto::{MasterKey, MasterKeys};
use crate::error::Error;
use crate::ids::{AccountId, DeviceId, MerchantId, TradeId, UserId};
use crate::model::{
    DeviceFailures, DeviceRecord, DeviceStatus, MerchantRecord, NewTrade, OnlineCodeRecord,
    TradeRecord, TradeStatus, UserRecord,
};
use crate::money::{Amount, Refunded};
use crate::service::device_associated_data;
use crate::store::{NewLedgerTransaction, SpentOfflineCode};
use crate::text::Reference;

const NOW: i64 = 1_796_000_000_000;
const PERIOD: u32 = 30;
const DEVICE: DeviceId = DeviceId(7);
const USER: UserId = UserId(1);
const USER_ACCOUNT: AccountId = AccountId(10);
const MERCHANT: MerchantId = MerchantId(3);
const MERCHANT_ACCOUNT: AccountId = AccountId(30);
const OTHER_MERCHANT: MerchantId = MerchantId(4);
const ONLINE_HASH: &[u8] = b"online code hash";

/// The stored state a test starts from, and the rules it runs under.
struct World {
    config: Config,
    keys: MasterKeys,
    secret: Secret,
    device: DeviceRecord,
    device_failures: Vec<DeviceFailures>,
    spent: Vec<SpentOfflineCode>,
    balance: i64,
    pin_free_today: i64,
    merchant_failures: u32,
    online_code: Option<OnlineCodeRecord>,
    trades: Vec<TradeRecord>,
}

fn server_step() -> u64 {
    (NOW / 1_000) as u64 / u64::from(PERIOD)
}

impl World {
    fn new() -> Self {
        let keys = MasterKeys::new(1, vec![MasterKey::new(1, [9; 32])]).unwrap();
        let secret = Secret::from_bytes(vec![42; 20]).unwrap();
        let sealed = keys
            .seal(&device_associated_data(DEVICE), secret.expose_bytes())
            .unwrap();
        let device = DeviceRecord {
            id: DEVICE,
            user_id: USER,
            name: None,
            algorithm: Algorithm::Sha1,
            period_seconds: PERIOD,
            secret: sealed,
            status: DeviceStatus::Active,
            failed_attempts: 0,
            locked_until: None,
            drift_steps: 0,
            created_at: NOW - 86_400_000,
            last_used_at: None,
        };
        Self {
            config: Config::default(),
            keys,
            secret,
            device,
            device_failures: Vec::new(),
            spent: Vec::new(),
            balance: 1_000_000,
            pin_free_today: 0,
            merchant_failures: 0,
            online_code: None,
            trades: Vec::new(),
        }
    }

    /// The payload of the device's code `index` made at `step`.
    fn payload(&self, step: u64, index: u8) -> OfflinePayload {
        let index = CodeIndex::new(index).unwrap();
        let key = HotpKey::new(&self.secret, Algorithm::Sha1);
        OfflinePayload {
            slot: DeviceSlot::new(DEVICE.0 as u32).unwrap(),
            index,
            otp: key.value(offline_counter(index, step), OTP_DIGITS),
        }
    }

    /// A payment of `amount` with the device's code `index` of `step`.
    fn offline(&self, out_trade_no: &str, amount: i64, step: u64, index: u8) -> Payment {
        payment(
            out_trade_no,
            amount,
            ScannedCode::Offline(self.payload(step, index)),
        )
    }

    /// What prefetch would load for `payments`.
    fn view(&self, payments: &[Payment]) -> View {
        let mut builder = ViewBuilder::new(Instant { millis: NOW });
        let keys: Vec<_> = payments.iter().map(Payment::trade_key).collect();
        builder.trades(&keys, self.trades.clone());
        builder.merchant_failures(&[MERCHANT], vec![(MERCHANT, self.merchant_failures)]);
        let from = server_step() - 30;
        let window = from..from + crate::limits::SPENT_CODE_WINDOW_STEPS;
        builder.devices(
            &[DEVICE],
            vec![self.device.clone()],
            self.device_failures.clone(),
            &[(DEVICE, window)],
            self.spent.clone(),
        );
        builder.online_codes(vec![(ONLINE_HASH.to_vec(), self.online_code.clone())]);
        builder.payers(
            &[USER],
            vec![UserRecord {
                id: USER,
                username: "alice".to_owned(),
                password_hash: String::new(),
                pin_hash: None,
                account_id: USER_ACCOUNT,
                created_at: 0,
            }],
            vec![(USER_ACCOUNT, self.balance)],
            vec![(USER, self.pin_free_today)],
        );
        builder.merchants(
            &[MERCHANT],
            vec![MerchantRecord {
                id: MERCHANT,
                name: "Canteen".to_owned(),
                account_id: MERCHANT_ACCOUNT,
                created_at: 0,
                webhook: None,
            }],
        );
        builder.build()
    }

    /// Decides `payments` as one batch, each seeing the writes of those before it.
    fn batch(&self, payments: &[Payment]) -> (Vec<Decided>, View) {
        let mut view = self.view(payments);
        let rules = Rules {
            config: &self.config,
            keys: &self.keys,
            event_data: None,
        };
        let decided = payments
            .iter()
            .enumerate()
            .map(|(number, payment)| {
                let decided = decide(&rules, &view, payment, &format!("T{number}"));
                view.absorb(&decided.writes).unwrap();
                decided
            })
            .collect();
        (decided, view)
    }

    fn one(&self, payment: Payment) -> Decided {
        self.batch(&[payment]).0.remove(0)
    }
}

fn payment(out_trade_no: &str, amount: i64, code: ScannedCode) -> Payment {
    Payment {
        merchant: MERCHANT,
        out_trade_no: Reference::parse("out_trade_no", out_trade_no).unwrap(),
        code,
        amount: Amount::new(amount).unwrap(),
        subject: None,
        terminal_id: None,
        auth_code_hash: out_trade_no.as_bytes().to_vec(),
    }
}

fn refusal(decided: &Decided) -> &'static str {
    match &decided.outcome {
        Ok(trade) => panic!("expected a refusal, got {trade:?}"),
        Err(error) => error.kind().as_str(),
    }
}

/// The trade a payment made (and did not find stored).
fn made(decided: &Decided) -> &NewTrade {
    match &decided.outcome {
        Ok(BatchTrade::New(trade)) => trade,
        other => panic!("expected a new trade, got {other:?}"),
    }
}

fn kinds(decided: &Decided) -> Vec<&'static str> {
    decided
        .writes
        .iter()
        .map(|write| match write {
            Write::SpendOfflineCode(_) => "spend",
            Write::SpendOnlineCode { .. } => "spend_online",
            Write::PutDevice(_) => "device",
            Write::PutDeviceFailures(_) => "device_failures",
            Write::AddMerchantFailure(_) => "merchant_failure",
            Write::Audit(_) => "audit",
            Write::Post(_) => "post",
            Write::InsertTrade(_) => "trade",
            Write::InsertEvent(_) => "event",
            Write::CountRefusal(_) => "refusal",
        })
        .collect()
}

fn online() -> ScannedCode {
    ScannedCode::Online {
        hash: ONLINE_HASH.to_vec(),
    }
}

fn online_record(expires_at: i64, used_at: Option<i64>) -> OnlineCodeRecord {
    OnlineCodeRecord {
        code_hash: ONLINE_HASH.to_vec(),
        user_id: USER,
        device_id: None,
        created_at: NOW - 10_000,
        expires_at,
        used_at,
    }
}

fn trade(out_trade_no: &str, amount: i64) -> TradeRecord {
    TradeRecord {
        id: TradeId(99),
        trade_no: "T99".to_owned(),
        merchant_id: MERCHANT,
        user_id: USER,
        out_trade_no: out_trade_no.to_owned(),
        auth_code_hash: out_trade_no.as_bytes().to_vec(),
        amount: Amount::new(amount).unwrap(),
        refunded_amount: Refunded::NOTHING,
        status: TradeStatus::Success,
        subject: None,
        terminal_id: None,
        pin_free: true,
        pin_attempts: 0,
        created_at: NOW - 5_000,
        paid_at: Some(NOW - 5_000),
        confirm_deadline: None,
        finished_at: None,
    }
}

fn wrong_code(world: &World, out_trade_no: &str) -> Payment {
    let mut payload = world.payload(server_step(), 0);
    payload.otp = (payload.otp + 1) % 1_000_000;
    payment(out_trade_no, 100, ScannedCode::Offline(payload))
}
