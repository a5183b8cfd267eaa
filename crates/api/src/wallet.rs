//! The wallet's calls: sessions, PIN, balance and history, devices, online codes, and the
//! payments waiting for the PIN.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{Timestamp, REDACTED};

/// `POST /v1/wallet/sessions`: logs in.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The login name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &REDACTED)
            .finish()
    }
}

/// A wallet session: the bearer token of the wallet calls, shown once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Session {
    /// The bearer token.
    pub token: String,
    /// When the token stops working.
    pub expires_at: Timestamp,
}

impl fmt::Debug for Session {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Session")
            .field("token", &REDACTED)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// `PUT /v1/wallet/pin`: sets the PIN. Changing an existing PIN needs `current_pin`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPinRequest {
    /// The new PIN: 6 to 12 digits.
    #[schema(pattern = r"^[0-9]{6,12}$")]
    pub pin: String,
    /// The PIN in force, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[0-9]{6,12}$")]
    pub current_pin: Option<String>,
}

impl fmt::Debug for SetPinRequest {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SetPinRequest")
            .field("pin", &REDACTED)
            .field("current_pin", &self.current_pin.as_ref().map(|_| REDACTED))
            .finish()
    }
}

/// A balance (`GET /v1/wallet/balance`, `GET /v1/merchant/balance`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Balance {
    /// Minor units.
    pub balance: i64,
    /// The deployment's currency, ISO 4217.
    pub currency: String,
}

/// Query of `GET /v1/wallet/transactions`: a page of history, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TransactionsQuery {
    /// Only transactions with an id below this one (the `next_before` of the previous page).
    pub before: Option<i64>,
    /// Page size, 1 to 100; 20 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// One movement of the wallet's balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Transaction {
    /// The ledger transaction; pages are cut by it.
    pub transaction_id: i64,
    /// `topup`, `payment` or `refund`.
    pub kind: String,
    /// The trade number, refund number or top-up reference.
    pub reference: String,
    /// Signed change of the balance, in minor units.
    pub amount: i64,
    /// When.
    pub created_at: Timestamp,
}

/// A page of history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TransactionsPage {
    /// Newest first.
    pub items: Vec<Transaction>,
    /// Pass as `before` to get the next page; absent on the last page.
    pub next_before: Option<i64>,
}

/// `POST /v1/wallet/devices`: enrolls a device. It needs the user's PIN, or the password while
/// the user has no PIN, so that a stolen session alone cannot mint a device secret.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollDeviceRequest {
    /// A name the owner recognises the device by, up to 128 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 128)]
    pub name: Option<String>,
    /// The user's PIN; required once a PIN is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// The user's password; accepted only while no PIN is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl fmt::Debug for EnrollDeviceRequest {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("EnrollDeviceRequest")
            .field("name", &self.name)
            .field("pin", &self.pin.as_ref().map(|_| REDACTED))
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .finish()
    }
}

/// `POST /v1/wallet/devices/{id}/rotate`: gives a device a new secret. Like enrolling, it
/// needs the PIN, or the password while the user has no PIN.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateDeviceRequest {
    /// The user's PIN; required once a PIN is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// The user's password; accepted only while no PIN is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl fmt::Debug for RotateDeviceRequest {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("RotateDeviceRequest")
            .field("pin", &self.pin.as_ref().map(|_| REDACTED))
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .finish()
    }
}

/// One of the user's live sessions, as `GET /v1/wallet/sessions` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionInfo {
    /// The session's id, for `DELETE /v1/wallet/sessions/{id}`.
    pub id: i64,
    /// When it was created (the login).
    pub created_at: Timestamp,
    /// When it last authenticated a request (to the minute).
    pub last_used_at: Timestamp,
    /// The `User-Agent` of the login, if it sent one.
    pub user_agent: Option<String>,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// The user's live sessions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionList {
    /// The sessions.
    pub items: Vec<SessionInfo>,
}

/// How many sessions `DELETE /v1/wallet/sessions` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionsEnded {
    /// Sessions ended (every one but the current).
    pub ended: u64,
}

/// What a wallet needs to make offline codes (SPEC 2.4), returned when a device is enrolled
/// or its secret rotated. Shown once: the server keeps the secret only encrypted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeviceProvisioning {
    /// The device's id.
    pub id: i64,
    /// The device slot `D` inside offline codes (equal to the id).
    pub slot: i64,
    /// The device's name.
    pub name: Option<String>,
    /// The device secret, Base32 without padding.
    pub secret: String,
    /// `SHA1`, `SHA256` or `SHA512`.
    pub algorithm: String,
    /// Digits of the OTP inside offline codes (6).
    pub digits: u8,
    /// Time step in seconds.
    pub period: u32,
    /// The two-digit offline prefix, such as `81`.
    pub prefix: String,
    /// The prefix's code key, Base32 without padding.
    pub code_key: String,
    /// All of the above as one `otpauth://` key URI, for a QR code.
    pub uri: String,
}

impl fmt::Debug for DeviceProvisioning {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("DeviceProvisioning")
            .field("id", &self.id)
            .field("slot", &self.slot)
            .field("name", &self.name)
            .field("secret", &REDACTED)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("period", &self.period)
            .field("prefix", &self.prefix)
            .field("code_key", &REDACTED)
            .field("uri", &REDACTED)
            .finish()
    }
}

/// Whether a device may still pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeviceStatus {
    /// Enrolled and usable (unless `locked_until` is in the future, or it is locked at the
    /// merchant asking).
    Active,
    /// Revoked by its owner; its codes never work again.
    Revoked,
}

/// A device as listed by `GET /v1/wallet/devices` (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Device {
    /// The device's id.
    pub id: i64,
    /// The device slot (equal to the id), drawn at random from 1 to 999,999,999.
    pub slot: i64,
    /// The device's name.
    pub name: Option<String>,
    /// Active or revoked.
    pub status: DeviceStatus,
    /// `SHA1`, `SHA256` or `SHA512`.
    pub algorithm: String,
    /// Time step in seconds.
    pub period: u32,
    /// Failed verifications at every merchant together within the lockout period, as of
    /// the device's last verification. (A merchant that sent `max_failed_attempts` of them in
    /// a row is refused the device for a while; that is not shown here.)
    pub failed_attempts: u32,
    /// Refused at every merchant until then, after `global_failed_attempts` failures within
    /// the lockout period, if locked.
    pub locked_until: Option<Timestamp>,
    /// When it was enrolled.
    pub created_at: Timestamp,
    /// When one of its codes last paid.
    pub last_used_at: Option<Timestamp>,
}

/// A list of devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeviceList {
    /// Oldest first, revoked ones included.
    pub items: Vec<Device>,
}

/// `POST /v1/wallet/codes`: asks for an online code. The body may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnlineCodeRequest {
    /// The device asking, if the code should be tied to one (a revoked device gets none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<i64>,
}

/// An online code, valid once until it expires.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OnlineCode {
    /// The 18 digits to show as a barcode and QR code.
    pub code: String,
    /// When the code stops working.
    pub expires_at: Timestamp,
}

impl fmt::Debug for OnlineCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("OnlineCode")
            .field("code", &REDACTED)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Query of `GET /v1/wallet/payments`. The only status that can be listed is `USER_PAYING`,
/// which is also the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PendingPaymentsQuery {
    /// `USER_PAYING`.
    #[param(pattern = "^USER_PAYING$")]
    pub status: Option<String>,
}

/// `POST /v1/wallet/payments/{trade_no}/confirm`: pays a `USER_PAYING` trade with the PIN.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmPaymentRequest {
    /// The user's PIN.
    #[schema(pattern = r"^[0-9]{6,12}$")]
    pub pin: String,
}

impl fmt::Debug for ConfirmPaymentRequest {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("ConfirmPaymentRequest")
            .field("pin", &REDACTED)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_codes_tokens_and_pins_do_not_appear_in_debug_output() {
        let shown = format!(
            "{:?} {:?} {:?} {:?}",
            Session {
                token: "ps_tokentoken".to_owned(),
                expires_at: String::new(),
            },
            OnlineCode {
                code: "801234567890123456".to_owned(),
                expires_at: String::new(),
            },
            ConfirmPaymentRequest {
                pin: "135790".to_owned(),
            },
            SetPinRequest {
                pin: "135790".to_owned(),
                current_pin: Some("246802".to_owned()),
            },
        );
        for secret in ["ps_token", "8012345678", "135790", "246802"] {
            assert!(!shown.contains(secret), "{secret} leaked into {shown}");
        }
    }

    #[test]
    fn an_empty_object_enrolls_a_device_without_a_name() {
        let request: EnrollDeviceRequest = serde_json::from_str("{}").unwrap();
        assert_eq!(request, EnrollDeviceRequest::default());
    }

    #[test]
    fn device_statuses_are_lower_case_on_the_wire() {
        assert_eq!(
            serde_json::to_string(&DeviceStatus::Revoked).unwrap(),
            "\"revoked\""
        );
    }
}
