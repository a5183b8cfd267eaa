//! One enrolled device: what it needs to make offline codes, and which code it showed last.

use std::fmt;

use paycode_codec::{
    make_offline_code, CodeIndex, CodeKey, DeviceSlot, OfflineCodec, PaymentCode, Prefix,
    MAX_OFFLINE_STEP, OTP_DIGITS,
};
use paycode_otp::uri::KeyUri;
use paycode_otp::{totp, Algorithm, Digits, HotpKey, Secret, TotpParams};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::limits::MAX_TEXT_FIELD_BYTES;
use crate::Error;

/// The number of code indexes in one step (`N` is one digit).
const CODES_PER_STEP: u8 = 10;

/// A device enrolled in the wallet: its secret, OTP parameters, device slot, offline prefix
/// and code key, and the state that keeps each shown code fresh.
///
/// `Debug` shows the id, slot, prefix and parameters, never the secret, code key or key URI.
#[derive(Clone)]
pub struct DeviceEntry {
    id: i64,
    name: Option<String>,
    slot: DeviceSlot,
    secret: Secret,
    params: TotpParams,
    prefix: Prefix,
    code_key: CodeKey,
    /// The provisioning key URI, secret included, kept so the device can be shown to an
    /// authenticator app or moved to another wallet.
    uri: Zeroizing<String>,
    state: CodeState,
}

/// Which codes a device has shown: every index below `next_index` in `last_step` is used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct CodeState {
    last_step: Option<u64>,
    /// `0..=10`; 10 means every index of `last_step` is used.
    next_index: u8,
}

/// A code made for showing, with what the user needs to know about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShownCode {
    /// The 18-digit payment code.
    pub code: PaymentCode,
    /// Seconds until its time step ends. The server accepts it a little longer (its skew
    /// window), but a fresh code is better after this.
    pub seconds_left: u32,
    /// The time step `T` of the code.
    pub step: u64,
    /// The code index `N` inside the step, `0..=9`.
    pub index: u8,
    /// The device that made it.
    pub device_id: i64,
}

impl DeviceEntry {
    /// Reads a device from its provisioning key URI (SPEC 2.4), such as
    /// `otpauth://totp/Paycode:alice?secret=...&issuer=Paycode&algorithm=SHA1&digits=6&period=30&slot=123456789&prefix=81&codekey=BASE32`.
    ///
    /// The URI must be `totp` with 6 digits (the size of the OTP inside offline codes) and carry
    /// `slot`, `prefix` and `codekey`. Whitespace around it, as left by copying from a
    /// terminal, is ignored. The device id is set to the slot, as the server assigns them;
    /// use [`DeviceEntry::with_id`] if it differs.
    pub fn from_uri(uri: &str) -> Result<DeviceEntry, Error> {
        let uri = uri.trim();
        let key = KeyUri::parse(uri).map_err(Error::KeyUri)?;
        let params = key.totp_params().ok_or_else(|| {
            Error::invalid_device(
                "type",
                "paycode devices use time-based codes (otpauth://totp/...)",
            )
        })?;
        check_digits(params.digits)?;
        let slot = required_parameter(&key, "slot")?;
        let slot = slot
            .parse::<u32>()
            .ok()
            .and_then(|slot| DeviceSlot::new(slot).ok())
            .ok_or_else(|| {
                Error::invalid_device(
                    "slot",
                    format!("{slot:?} is not a number from 1 to 999999999"),
                )
            })?;
        let prefix = parse_prefix(required_parameter(&key, "prefix")?)?;
        let code_key = parse_code_key(required_parameter(&key, "codekey")?)?;
        Ok(DeviceEntry {
            id: i64::from(slot.get()),
            name: None,
            slot,
            secret: key.secret,
            params,
            prefix,
            code_key,
            uri: Zeroizing::new(uri.to_owned()),
            state: CodeState::default(),
        })
    }

    /// The same device under the id the server gave it.
    #[must_use]
    pub fn with_id(mut self, id: i64) -> DeviceEntry {
        self.id = id;
        self
    }

    /// The same device with a name to tell it apart from the wallet's other devices.
    pub fn with_name(mut self, name: impl Into<String>) -> Result<DeviceEntry, Error> {
        let name = name.into();
        check_text_length("name", &name)?;
        self.name = Some(name);
        Ok(self)
    }

    /// The device id the server knows it by.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The device's name, if it was given one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The device slot `D` its offline codes carry.
    pub fn slot(&self) -> DeviceSlot {
        self.slot
    }

    /// The algorithm, digits and period of its one-time passwords.
    pub fn params(&self) -> TotpParams {
        self.params
    }

    /// The prefix of its offline codes.
    pub fn prefix(&self) -> Prefix {
        self.prefix
    }

    /// Whether its secret is under 128 bits, which the user should be warned about.
    pub fn has_weak_secret(&self) -> bool {
        self.secret.is_weak()
    }

    /// The provisioning key URI, **secret included**: for showing to an authenticator app or
    /// moving to another wallet. Never log it.
    pub fn key_uri(&self) -> &str {
        &self.uri
    }

    /// The time step of the last code shown, if any.
    pub fn last_step(&self) -> Option<u64> {
        self.state.last_step
    }

    /// The code index the next code of [`DeviceEntry::last_step`] will have; 10 when all are
    /// used.
    pub fn next_index(&self) -> u8 {
        self.state.next_index
    }

    /// Makes the next fresh offline code at `unix_time` and records it as shown.
    ///
    /// Within one time step the codes get indexes 0, 1, ..., 9; an eleventh is refused until
    /// the next step, and a clock that went back behind the last code shown is refused until it
    /// catches up, so that no (slot, step, index) is ever shown twice.
    pub(crate) fn next_code(&mut self, unix_time: u64) -> Result<ShownCode, Error> {
        let period_seconds = self.params.period_seconds;
        let step = totp::step(unix_time, period_seconds);
        if step > MAX_OFFLINE_STEP {
            return Err(Error::TimeOutOfRange { unix_time });
        }
        let seconds_left = totp::seconds_left(unix_time, period_seconds);
        let index = match self.state.last_step {
            Some(last_step) if step < last_step => {
                // A stored step times the period can only overflow if the file was edited.
                let last_step_start = last_step.saturating_mul(u64::from(period_seconds));
                return Err(Error::ClockBehind {
                    id: self.id,
                    seconds: last_step_start - unix_time,
                });
            }
            Some(last_step) if step == last_step => self.state.next_index,
            _ => 0,
        };
        if index >= CODES_PER_STEP {
            return Err(Error::CodesOfStepUsed { seconds_left });
        }
        let code_index = CodeIndex::new(index).expect("the index is checked to be below 10");
        let codec = OfflineCodec::new(self.prefix, &self.code_key);
        let key = HotpKey::new(&self.secret, self.params.algorithm);
        let code = make_offline_code(&codec, self.slot, code_index, &key, step);
        self.state = CodeState {
            last_step: Some(step),
            next_index: index + 1,
        };
        Ok(ShownCode {
            code,
            seconds_left,
            step,
            index,
            device_id: self.id,
        })
    }

    /// Takes over the code state of `previous`, the entry this one replaces (after the secret
    /// was rotated, say), so that no code index is shown twice across the replacement.
    pub(crate) fn continue_from(&mut self, previous: &DeviceEntry) {
        if previous.slot == self.slot {
            self.state = previous.state;
        }
    }

    pub(crate) fn to_record(&self) -> DeviceRecord {
        DeviceRecord {
            id: self.id,
            name: self.name.clone(),
            slot: self.slot.get(),
            secret: self.secret.to_base32(),
            algorithm: self.params.algorithm.name().to_owned(),
            digits: self.params.digits.get(),
            period: self.params.period_seconds,
            prefix: self.prefix.to_string(),
            code_key: self.code_key.to_base32(),
            uri: self.uri.to_string(),
            last_step: self.state.last_step,
            next_index: self.state.next_index,
        }
    }

    /// Rebuilds a device from its stored record.
    ///
    /// The key URI is the source of truth; the separate fields are a readable copy of it and
    /// must agree with it, so that an edit to one of them is noticed rather than half applied.
    pub(crate) fn from_record(record: &DeviceRecord) -> Result<DeviceEntry, Error> {
        let mut entry = DeviceEntry::from_uri(&record.uri)?.with_id(record.id);
        if let Some(name) = &record.name {
            entry = entry.with_name(name.clone())?;
        }
        let disagree = |field| Error::invalid_device(field, "it differs from the key URI");
        if record.slot != entry.slot.get() {
            return Err(disagree("slot"));
        }
        let secret = Secret::from_base32(&record.secret)
            .map_err(|error| Error::invalid_device("secret", error))?;
        if secret != entry.secret {
            return Err(disagree("secret"));
        }
        let algorithm = record
            .algorithm
            .parse::<Algorithm>()
            .map_err(|error| Error::invalid_device("algorithm", error))?;
        if algorithm != entry.params.algorithm {
            return Err(disagree("algorithm"));
        }
        if record.digits != entry.params.digits.get() {
            return Err(disagree("digits"));
        }
        if record.period != entry.params.period_seconds {
            return Err(disagree("period"));
        }
        if parse_prefix(&record.prefix)? != entry.prefix {
            return Err(disagree("prefix"));
        }
        if parse_code_key(&record.code_key)?.expose_bytes() != entry.code_key.expose_bytes() {
            return Err(disagree("code_key"));
        }
        entry.state = CodeState::from_record(record)?;
        Ok(entry)
    }
}

impl CodeState {
    fn from_record(record: &DeviceRecord) -> Result<CodeState, Error> {
        let next_index = record.next_index;
        if next_index > CODES_PER_STEP || (record.last_step.is_none() && next_index != 0) {
            return Err(Error::invalid_device(
                "next_index",
                format!("{next_index} is not a code index state (0 to 10, and 0 before any code)"),
            ));
        }
        Ok(CodeState {
            last_step: record.last_step,
            next_index,
        })
    }
}

impl fmt::Debug for DeviceEntry {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("DeviceEntry")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("slot", &self.slot)
            .field("params", &self.params)
            .field("prefix", &self.prefix)
            .field("secret", &self.secret)
            .field("code_key", &self.code_key)
            .field("uri", &"[REDACTED]")
            .field("last_step", &self.state.last_step)
            .field("next_index", &self.state.next_index)
            .finish()
    }
}

/// A device as stored in the wallet file. Its strings hold key material, so they are wiped
/// when the record is dropped.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub(crate) struct DeviceRecord {
    id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    slot: u32,
    secret: String,
    algorithm: String,
    digits: u8,
    period: u32,
    prefix: String,
    code_key: String,
    uri: String,
    #[serde(default)]
    last_step: Option<u64>,
    #[serde(default)]
    next_index: u8,
}

impl DeviceRecord {
    pub(crate) fn id(&self) -> i64 {
        self.id
    }
}

fn required_parameter<'a>(key: &'a KeyUri, name: &'static str) -> Result<&'a str, Error> {
    key.extra_param(name)
        .ok_or(Error::MissingUriParameter { name })
}

fn check_digits(digits: Digits) -> Result<(), Error> {
    if digits != OTP_DIGITS {
        return Err(Error::invalid_device(
            "digits",
            format!("offline codes carry {OTP_DIGITS}-digit passwords, not {digits}"),
        ));
    }
    Ok(())
}

fn parse_prefix(text: &str) -> Result<Prefix, Error> {
    text.parse::<Prefix>()
        .map_err(|error| Error::invalid_device("prefix", error))
}

fn parse_code_key(text: &str) -> Result<CodeKey, Error> {
    CodeKey::from_base32(text).map_err(|error| Error::invalid_device("codekey", error))
}

pub(crate) fn check_text_length(field: &'static str, text: &str) -> Result<(), Error> {
    if text.len() > MAX_TEXT_FIELD_BYTES {
        return Err(Error::invalid_device(
            field,
            format!("it has more than {MAX_TEXT_FIELD_BYTES} bytes"),
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use paycode_codec::verify_offline_otp;

    pub(crate) const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    pub(crate) const CODE_KEY: &str = "LJNFUWS2LJNFUWS2LJNFUWS2LI";

    pub(crate) fn uri_with(extra: &str) -> String {
        format!(
            "otpauth://totp/Paycode:alice?secret={SECRET}&issuer=Paycode&algorithm=SHA1&digits=6\
             &period=30{extra}"
        )
    }

    pub(crate) fn test_uri() -> String {
        uri_with(&format!("&slot=123456789&prefix=81&codekey={CODE_KEY}"))
    }

    fn decode(entry: &DeviceEntry, code: &PaymentCode) -> paycode_codec::OfflinePayload {
        OfflineCodec::new(entry.prefix, &entry.code_key)
            .decode(code)
            .unwrap()
    }

    #[test]
    fn a_device_is_read_from_its_provisioning_uri() {
        let entry = DeviceEntry::from_uri(&format!("  {}\n", test_uri())).unwrap();
        assert_eq!(entry.id(), 123_456_789);
        assert_eq!(entry.slot().get(), 123_456_789);
        assert_eq!(entry.prefix().get(), 81);
        assert_eq!(entry.params(), TotpParams::default());
        assert_eq!(entry.secret.expose_bytes(), b"12345678901234567890");
        assert_eq!(entry.code_key.expose_bytes(), &[0x5A; 16]);
        assert_eq!(entry.key_uri(), test_uri());
        assert!(!entry.has_weak_secret());
        assert_eq!((entry.last_step(), entry.next_index()), (None, 0));
        assert_eq!(entry.with_id(7).id(), 7);
    }

    #[test]
    fn a_uri_without_paycode_parameters_is_refused_by_name() {
        let slot = "&slot=5";
        let prefix = "&prefix=81";
        let code_key = format!("&codekey={CODE_KEY}");
        for (extra, missing) in [
            (format!("{prefix}{code_key}"), "slot"),
            (format!("{slot}{code_key}"), "prefix"),
            (format!("{slot}{prefix}"), "codekey"),
        ] {
            let error = DeviceEntry::from_uri(&uri_with(&extra)).unwrap_err();
            assert!(
                matches!(error, Error::MissingUriParameter { name } if name == missing),
                "{error}"
            );
            assert!(error.to_string().contains(missing), "{error}");
        }
    }

    #[test]
    fn a_uri_with_unusable_values_is_refused_without_echoing_key_material() {
        let good_key = format!("&codekey={CODE_KEY}");
        let cases = [
            (format!("&slot=0&prefix=81{good_key}"), "slot"),
            (format!("&slot=1000000000&prefix=81{good_key}"), "slot"),
            (format!("&slot=abc&prefix=81{good_key}"), "slot"),
            (format!("&slot=5&prefix=8{good_key}"), "prefix"),
            (
                "&slot=5&prefix=81&codekey=SECRETKEYMATERIAL1".to_owned(),
                "codekey",
            ),
        ];
        for (extra, field) in cases {
            let error = DeviceEntry::from_uri(&uri_with(&extra)).unwrap_err();
            assert!(
                matches!(&error, Error::InvalidDevice { field: found, .. } if *found == field),
                "{extra}: {error}"
            );
            assert!(!error.to_string().contains("SECRETKEYMATERIAL"), "{error}");
        }
        let eight_digits = test_uri().replace("digits=6", "digits=8");
        assert!(matches!(
            DeviceEntry::from_uri(&eight_digits),
            Err(Error::InvalidDevice {
                field: "digits",
                ..
            })
        ));
        let hotp = test_uri()
            .replace("totp", "hotp")
            .replace("period=30", "counter=0");
        assert!(matches!(
            DeviceEntry::from_uri(&hotp),
            Err(Error::InvalidDevice { field: "type", .. })
        ));
        assert!(matches!(
            DeviceEntry::from_uri("https://example.com"),
            Err(Error::KeyUri(_))
        ));
    }

    #[test]
    fn successive_codes_in_one_step_use_fresh_indexes() {
        let mut entry = DeviceEntry::from_uri(&test_uri()).unwrap();
        // 20 s into its step.
        let time = 1_700_000_000;
        let first = entry.next_code(time).unwrap();
        let second = entry.next_code(time + 1).unwrap();
        assert_eq!((first.index, second.index), (0, 1));
        assert_eq!(first.step, second.step);
        assert_ne!(first.code, second.code);
        assert_eq!(first.seconds_left, 10);
        assert_eq!(second.seconds_left, 9);
        assert_eq!(first.device_id, 123_456_789);
        assert_eq!(
            (entry.last_step(), entry.next_index()),
            (Some(time / 30), 2)
        );
    }

    #[test]
    fn the_eleventh_code_of_a_step_is_refused_and_the_next_step_starts_at_zero() {
        let mut entry = DeviceEntry::from_uri(&test_uri()).unwrap();
        // 20 s into its step.
        let time = 1_700_000_000;
        let indexes: Vec<u8> = (0..10)
            .map(|_| entry.next_code(time).unwrap().index)
            .collect();
        assert_eq!(indexes, (0..10).collect::<Vec<u8>>());
        let error = entry.next_code(time + 5).unwrap_err();
        assert!(matches!(error, Error::CodesOfStepUsed { seconds_left: 5 }));
        assert_eq!(
            error.to_string(),
            "all 10 codes of this step were shown; wait 5 s"
        );
        let next_step = entry.next_code(time + 10).unwrap();
        assert_eq!((next_step.index, next_step.step), (0, time / 30 + 1));
    }

    #[test]
    fn a_clock_that_went_back_is_refused_until_it_catches_up() {
        let mut entry = DeviceEntry::from_uri(&test_uri()).unwrap();
        let shown = entry.next_code(1_700_000_000).unwrap();
        let error = entry.next_code(1_700_000_000 - 60).unwrap_err();
        let step_start = shown.step * 30;
        assert!(
            matches!(error, Error::ClockBehind { seconds: 40, .. }),
            "{error}"
        );
        assert_eq!(entry.next_code(step_start).unwrap().index, 1);
    }

    #[test]
    fn each_code_decodes_to_the_slot_and_an_otp_the_server_accepts_at_its_step() {
        let mut entry = DeviceEntry::from_uri(&test_uri()).unwrap();
        let key = HotpKey::new(&entry.secret, entry.params.algorithm);
        // One time in each of several steps, from the first to one past 2038 and t = 2e10.
        for time in [0, 59, 1_111_111_109, 20_000_000_000] {
            for expected_index in 0..3 {
                let shown = entry.next_code(time).unwrap();
                let payload = decode(&entry, &shown.code);
                assert_eq!(payload.slot, entry.slot);
                assert_eq!(payload.index.get(), expected_index);
                assert_eq!(shown.index, expected_index);
                assert_eq!(
                    verify_offline_otp(&key, &payload, shown.step, 1, 1),
                    Some(shown.step),
                    "time {time}"
                );
            }
        }
    }

    #[test]
    fn the_first_code_of_a_step_carries_plain_totp() {
        let mut entry = DeviceEntry::from_uri(&test_uri()).unwrap();
        let shown = entry.next_code(59).unwrap();
        let payload = decode(&entry, &shown.code);
        // RFC 6238 Appendix B: 94287082 at t = 59 with 8 digits, so 287082 with 6.
        assert_eq!(payload.otp, 287_082);
    }

    #[test]
    fn a_time_beyond_the_last_offline_step_is_refused() {
        let mut entry =
            DeviceEntry::from_uri(&test_uri().replace("period=30", "period=1")).unwrap();
        assert!(matches!(
            entry.next_code(u64::MAX),
            Err(Error::TimeOutOfRange { .. })
        ));
        assert!(entry.next_code(MAX_OFFLINE_STEP).is_ok());
    }

    #[test]
    fn debug_output_shows_no_key_material() {
        let entry = DeviceEntry::from_uri(&test_uri()).unwrap();
        let debug = format!("{entry:?}{entry:#?}");
        for secret in [
            SECRET, CODE_KEY, "GEZDGNBV", "LJNFUWS2", "otpauth", "49, 50",
        ] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(debug.contains("123456789"), "{debug}");
    }

    #[test]
    fn a_record_round_trips_and_must_agree_with_its_uri() {
        let mut entry = DeviceEntry::from_uri(&test_uri())
            .unwrap()
            .with_name("phone")
            .unwrap();
        entry.next_code(1_000).unwrap();
        let record = entry.to_record();
        let back = DeviceEntry::from_record(&record).unwrap();
        assert_eq!(format!("{back:?}"), format!("{entry:?}"));
        assert_eq!(back.secret, entry.secret);

        let mut json: serde_json::Value = serde_json::to_value(&record).unwrap();
        json["period"] = 60.into();
        let edited: DeviceRecord = serde_json::from_value(json).unwrap();
        assert!(matches!(
            DeviceEntry::from_record(&edited),
            Err(Error::InvalidDevice {
                field: "period",
                ..
            })
        ));

        let mut json: serde_json::Value = serde_json::to_value(&record).unwrap();
        json["next_index"] = 11.into();
        let edited: DeviceRecord = serde_json::from_value(json).unwrap();
        assert!(matches!(
            DeviceEntry::from_record(&edited),
            Err(Error::InvalidDevice {
                field: "next_index",
                ..
            })
        ));
    }
}
