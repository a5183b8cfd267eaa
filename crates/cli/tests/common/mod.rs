//! What the tests that drive a real `paycode serve` with many payers share: wallet phones that
//! make fresh offline codes from their provisioning data alone, and users enrolled to hold them.

use std::sync::Mutex;

use paycode_api::DeviceProvisioning;
use paycode_client::{Client, Proof};
use paycode_codec::{make_offline_code, CodeIndex, CodeKey, DeviceSlot, OfflineCodec, Prefix};
use paycode_otp::{Algorithm, HotpKey, Secret};

/// The password of every user these tests enroll.
pub const PASSWORD: &str = "correct horse battery";
/// Minor units each enrolled user is topped up with: enough never to run out.
const TOPUP_MINOR: i64 = 100_000_000;

/// What a wallet needs to make codes, and which code indexes it already showed this step.
pub struct Phone {
    codec: OfflineCodec,
    key: HotpKey,
    slot: DeviceSlot,
    shown: Mutex<(u64, u8)>,
}

impl Phone {
    /// A phone made from what enrolling it returned.
    pub fn new(provisioning: &DeviceProvisioning) -> Phone {
        let prefix: Prefix = provisioning.prefix.parse().unwrap();
        Phone {
            codec: OfflineCodec::new(
                prefix,
                &CodeKey::from_base32(&provisioning.code_key).unwrap(),
            ),
            key: HotpKey::new(
                &Secret::from_base32(&provisioning.secret).unwrap(),
                Algorithm::Sha1,
            ),
            slot: DeviceSlot::new(u32::try_from(provisioning.slot).unwrap()).unwrap(),
            shown: Mutex::new((0, 0)),
        }
    }

    /// The next code never shown before, or `None` when this step's ten are used.
    pub fn next_code(&self) -> Option<String> {
        let step = unix_now() / 30;
        let mut shown = self.shown.lock().unwrap();
        if shown.0 != step {
            *shown = (step, 0);
        }
        if shown.1 > 9 {
            return None;
        }
        let index = CodeIndex::new(shown.1).unwrap();
        shown.1 += 1;
        Some(make_offline_code(&self.codec, self.slot, index, &self.key, step).to_string())
    }
}

/// Seconds since the epoch, as the wallet's clock reads them.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Creates `users` users named `{prefix}{number}`, tops each up, and enrolls `devices_per_user`
/// phones for each, through the API as an operator and the users would.
pub async fn enroll_phones(
    anonymous: &Client,
    admin: &Client,
    prefix: &str,
    users: usize,
    devices_per_user: usize,
) -> Vec<Phone> {
    let mut phones = Vec::with_capacity(users * devices_per_user);
    for user_number in 0..users {
        let username = format!("{prefix}{user_number}");
        let user = admin.create_user(&username, PASSWORD).await.unwrap();
        admin
            .topup(user.id, TOPUP_MINOR, &format!("topup-{username}"))
            .await
            .unwrap();
        let session = anonymous.login(&username, PASSWORD).await.unwrap();
        let wallet = anonymous.with_bearer(session.token);
        for _ in 0..devices_per_user {
            let provisioning = wallet
                .enroll_device(None, Proof::Password(PASSWORD))
                .await
                .unwrap();
            phones.push(Phone::new(&provisioning));
        }
    }
    phones
}
