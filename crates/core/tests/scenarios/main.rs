//! The domain's use cases driven directly (no HTTP) over a real SQLite store, with the clock
//! in the test's hands. After every scenario, and after every step of the property test, the
//! ledger invariants are checked.

mod concurrency;
mod credentials;
mod ledger;
mod payments;

use std::sync::Arc;

use paycode_codec::{make_offline_code, CodeIndex, DeviceSlot, OfflineCodec};
use paycode_core::clock::ManualClock;
use paycode_core::crypto::{MasterKey, MasterKeys};
use paycode_core::ids::{MerchantId, UserId};
use paycode_core::model::TradeStatus;
use paycode_core::service::{PayRequest, Provisioning};
use paycode_core::store::Store;
use paycode_core::Clock as _;
use paycode_core::{Config, Error, Paycode};
use paycode_otp::HotpKey;
use paycode_store::SqliteStore;

/// 2026-11-26T00:00:00Z, a multiple of 30 s.
const START_MILLIS: i64 = 1_795_651_200_000;

const PASSWORD: &str = "correct horse battery";

struct World {
    paycode: Paycode,
    clock: ManualClock,
}

impl World {
    fn new(config: Config) -> Self {
        let store = Arc::new(SqliteStore::open_in_memory().expect("in-memory store"));
        Self::over(store, config)
    }

    /// A world over `store`, which wraps a fresh store.
    fn over(store: Arc<dyn Store>, config: Config) -> Self {
        let clock = ManualClock::new(START_MILLIS);
        let keys = MasterKeys::new(1, vec![MasterKey::generate(1)]).expect("key ring");
        let paycode =
            Paycode::open(store, Arc::new(clock.clone()), config, keys).expect("paycode opens");
        Self { paycode, clock }
    }

    fn user_with_money(&self, name: &str, amount: i64) -> (UserId, Provisioning) {
        let user = self.paycode.create_user(name, PASSWORD).expect("user");
        if amount > 0 {
            self.paycode
                .topup(user.id.0, amount, &format!("topup-{name}"))
                .expect("top-up");
        }
        let device = self
            .paycode
            .enroll_device(user.id, Some("phone"), None, Some(PASSWORD))
            .expect("device");
        (user.id, device)
    }

    fn merchant(&self, name: &str) -> MerchantId {
        self.paycode
            .create_merchant(name)
            .expect("merchant")
            .merchant
            .id
    }

    /// The code a wallet would show, made only from the provisioning data and the wallet's clock.
    fn wallet_code(&self, device: &Provisioning, index: u8, clock_offset_seconds: i64) -> String {
        let codec = OfflineCodec::new(device.prefix, &device.code_key);
        let key = HotpKey::new(&device.secret, device.device.algorithm);
        let wallet_time = self.clock.now_seconds() as i64 + clock_offset_seconds;
        let step = wallet_time as u64 / u64::from(device.device.period_seconds);
        let slot = DeviceSlot::new(device.device.id.0 as u32).expect("slot");
        make_offline_code(
            &codec,
            slot,
            CodeIndex::new(index).expect("index"),
            &key,
            step,
        )
        .to_string()
    }

    fn pay(
        &self,
        merchant: MerchantId,
        out_trade_no: &str,
        code: &str,
        amount: i64,
    ) -> Result<TradeStatus, Error> {
        let request = PayRequest {
            out_trade_no: out_trade_no.to_owned(),
            auth_code: code.to_owned(),
            amount,
            subject: None,
            terminal_id: None,
        };
        self.paycode
            .pay(merchant, &request)
            .map(|trade| trade.status)
    }

    fn assert_ledger_ok(&self) {
        let totals = self.paycode.check_ledger().expect("ledger check runs");
        assert!(totals.ok(), "ledger invariants broken: {totals:?}");
    }
}
