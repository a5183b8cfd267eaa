//! The wallet file: the server, the user, the session and the enrolled devices, as JSON on
//! disk, optionally encrypted under a passphrase.

use std::fmt;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::device::{DeviceEntry, DeviceRecord, ShownCode};
use crate::encryption::{self, ENCRYPTED_FORMAT};
use crate::limits::{MAX_DEVICES, MAX_TEXT_FIELD_BYTES, MAX_WALLET_FILE_BYTES};
use crate::Error;

/// The `format` of an unencrypted wallet file.
const PLAIN_FORMAT: &str = "paycode-wallet-v1";

/// Everything a wallet keeps between runs: where its server is, who its user is, the session
/// token of the last login, and the enrolled devices with the state that keeps their codes
/// fresh.
///
/// `Debug` redacts the session token and all key material.
#[derive(Debug, Clone, Default)]
pub struct WalletFile {
    /// The base URL of the paycode server, such as `https://pay.example.com`, if the wallet
    /// was enrolled online.
    pub server_url: Option<String>,
    /// The user the devices belong to, if known.
    pub username: Option<String>,
    session: Option<Session>,
    devices: Vec<DeviceEntry>,
}

/// A wallet session: the bearer token `POST /v1/wallet/sessions` returned.
///
/// `Debug` redacts the token, and it is wiped from memory when dropped.
#[derive(Clone)]
pub struct Session {
    token: Zeroizing<String>,
    expires_at: Option<String>,
}

impl Session {
    /// A session with its token and, if the server said, its RFC 3339 expiry time.
    pub fn new(token: String, expires_at: Option<String>) -> Session {
        Session {
            token: Zeroizing::new(token),
            expires_at,
        }
    }

    /// The bearer token. Never log it.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// When the session expires (RFC 3339), if known.
    pub fn expires_at(&self) -> Option<&str> {
        self.expires_at.as_deref()
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Session")
            .field("token", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl WalletFile {
    /// An empty wallet for a user of a server, before any device is enrolled.
    pub fn new(server_url: Option<String>, username: Option<String>) -> WalletFile {
        WalletFile {
            server_url,
            username,
            session: None,
            devices: Vec::new(),
        }
    }

    /// The session of the last login, if any.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Stores or (with `None`) forgets the session.
    pub fn set_session(&mut self, session: Option<Session>) {
        self.session = session;
    }

    /// The enrolled devices, in the order they were added.
    pub fn devices(&self) -> &[DeviceEntry] {
        &self.devices
    }

    /// The device with id `id`.
    pub fn device(&self, id: i64) -> Option<&DeviceEntry> {
        self.devices.iter().find(|device| device.id() == id)
    }

    /// Adds a device, or replaces the device with the same id (after its secret was rotated,
    /// say). A replacement for the same slot keeps the record of the codes already shown, so
    /// that no code index is shown twice in one step.
    pub fn add_device(&mut self, mut device: DeviceEntry) -> Result<(), Error> {
        let count = self.devices.len();
        match self
            .devices
            .iter_mut()
            .find(|existing| existing.id() == device.id())
        {
            Some(existing) => {
                device.continue_from(existing);
                *existing = device;
            }
            None if count >= MAX_DEVICES => {
                return Err(Error::TooManyDevices { limit: MAX_DEVICES })
            }
            None => self.devices.push(device),
        }
        Ok(())
    }

    /// Removes the device with id `id` and returns it, if there was one.
    pub fn remove_device(&mut self, id: i64) -> Option<DeviceEntry> {
        let position = self.devices.iter().position(|device| device.id() == id)?;
        Some(self.devices.remove(position))
    }

    /// Makes a fresh offline code of the device `device` (or of the only device, when `None`)
    /// at `unix_time`, and records it as shown.
    ///
    /// Within one time step successive codes have indexes 0 to 9; an eleventh is refused
    /// ([`Error::CodesOfStepUsed`]). Save the wallet before showing the code, so that a crash
    /// cannot make the next run show the same index again.
    pub fn next_code(&mut self, device: Option<i64>, unix_time: u64) -> Result<ShownCode, Error> {
        let entry = match device {
            Some(id) => self
                .devices
                .iter_mut()
                .find(|entry| entry.id() == id)
                .ok_or(Error::NoSuchDevice { id })?,
            None => match self.devices.as_mut_slice() {
                [] => return Err(Error::NoDevice),
                [only] => only,
                several => {
                    let ids: Vec<String> =
                        several.iter().map(|entry| entry.id().to_string()).collect();
                    return Err(Error::SeveralDevices {
                        ids: ids.join(", "),
                    });
                }
            },
        };
        entry.next_code(unix_time)
    }

    /// `~/.config/paycode/wallet.json`, or the platform's equivalent user configuration
    /// directory. [`WalletFile::save`] creates the directory.
    pub fn default_path() -> Result<PathBuf, Error> {
        let config = dirs::config_dir().ok_or(Error::NoConfigDirectory)?;
        Ok(config.join("paycode").join("wallet.json"))
    }

    /// Whether the wallet file at `path` is encrypted, so that a caller knows to ask for the
    /// passphrase before [`WalletFile::load`].
    pub fn is_encrypted(path: &Path) -> Result<bool, Error> {
        let bytes = read_wallet_bytes(path)?;
        Ok(read_format(&bytes, path)? == ENCRYPTED_FORMAT)
    }

    /// Reads a wallet file, decrypting it with `passphrase` if it is encrypted.
    ///
    /// An encrypted file without a passphrase is [`Error::PassphraseRequired`]; a wrong
    /// passphrase is [`Error::WrongPassphrase`]. An unencrypted file loads whether or not a
    /// passphrase is given (use [`WalletFile::is_encrypted`] to tell).
    pub fn load(path: &Path, passphrase: Option<&str>) -> Result<WalletFile, Error> {
        let bytes = read_wallet_bytes(path)?;
        let plain = if read_format(&bytes, path)? == ENCRYPTED_FORMAT {
            let passphrase = passphrase.ok_or_else(|| Error::PassphraseRequired {
                path: path.to_owned(),
            })?;
            let plain = encryption::open(&bytes, passphrase, path)?;
            if read_format(&plain, path)? != PLAIN_FORMAT {
                return Err(invalid(path, "the decrypted content is not a wallet"));
            }
            plain
        } else {
            bytes
        };
        let record: WalletRecord = serde_json::from_slice(&plain)
            .map_err(|error| invalid(path, describe_json_error(&error)))?;
        WalletFile::from_record(&record).map_err(|reason| invalid(path, reason))
    }

    /// Writes the wallet to `path`, encrypted under `passphrase` if one is given.
    ///
    /// The file is written to a temporary file in the same directory, created with mode
    /// 0600, flushed to disk, and renamed over `path`, so that a crash leaves either the old
    /// wallet or the new one, never half of one. A missing directory is created with mode
    /// 0700.
    pub fn save(&self, path: &Path, passphrase: Option<&str>) -> Result<(), Error> {
        let plain = Zeroizing::new(
            serde_json::to_vec_pretty(&self.to_record()).expect("a wallet serializes"),
        );
        let bytes = match passphrase {
            Some("") => return Err(Error::EmptyPassphrase),
            Some(passphrase) => encryption::seal(&plain, passphrase),
            None => plain.to_vec(),
        };
        let bytes = Zeroizing::new(bytes);
        write_atomically(path, &bytes)
    }

    fn to_record(&self) -> WalletRecord {
        WalletRecord {
            format: PLAIN_FORMAT.to_owned(),
            server_url: self.server_url.clone(),
            username: self.username.clone(),
            session: self.session.as_ref().map(|session| SessionRecord {
                token: session.token.to_string(),
                expires_at: session.expires_at.clone(),
            }),
            devices: self.devices.iter().map(DeviceEntry::to_record).collect(),
        }
    }

    /// Rebuilds a wallet from its stored record, or says what is wrong with the record.
    fn from_record(record: &WalletRecord) -> Result<WalletFile, String> {
        for (field, text) in [
            ("server_url", record.server_url.as_deref()),
            ("username", record.username.as_deref()),
            (
                "session token",
                record
                    .session
                    .as_ref()
                    .map(|session| session.token.as_str()),
            ),
        ] {
            if text.unwrap_or("").len() > MAX_TEXT_FIELD_BYTES {
                return Err(format!(
                    "the {field} has more than {MAX_TEXT_FIELD_BYTES} bytes"
                ));
            }
        }
        if record.devices.len() > MAX_DEVICES {
            return Err(format!("it has more than {MAX_DEVICES} devices"));
        }
        let mut wallet = WalletFile::new(record.server_url.clone(), record.username.clone());
        wallet.session = record
            .session
            .as_ref()
            .map(|session| Session::new(session.token.clone(), session.expires_at.clone()));
        for device in &record.devices {
            let entry = DeviceEntry::from_record(device)
                .map_err(|error| format!("device {}: {error}", device.id()))?;
            if wallet.device(entry.id()).is_some() {
                return Err(format!("device {} appears twice", entry.id()));
            }
            wallet.devices.push(entry);
        }
        Ok(wallet)
    }
}

/// The wallet as stored, before encryption. Its strings hold key material and the session
/// token, so they are wiped when the record is dropped.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct WalletRecord {
    format: String,
    #[serde(default)]
    server_url: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    session: Option<SessionRecord>,
    #[serde(default)]
    devices: Vec<DeviceRecord>,
}

#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct SessionRecord {
    token: String,
    #[serde(default)]
    expires_at: Option<String>,
}

/// Only the `format` field, to tell the two kinds of wallet file apart before reading either.
#[derive(Deserialize)]
struct FormatProbe {
    format: Option<String>,
}

fn read_format(bytes: &[u8], path: &Path) -> Result<String, Error> {
    let probe: FormatProbe = serde_json::from_slice(bytes)
        .map_err(|error| invalid(path, describe_json_error(&error)))?;
    match probe.format.as_deref() {
        Some(format @ (PLAIN_FORMAT | ENCRYPTED_FORMAT)) => Ok(format.to_owned()),
        Some(other) => Err(invalid(
            path,
            format!(
                "its format {other:?} is not one this version reads \
                 ({PLAIN_FORMAT} or {ENCRYPTED_FORMAT})"
            ),
        )),
        None => Err(invalid(path, "it has no \"format\" field".to_owned())),
    }
}

fn invalid(path: &Path, reason: impl Into<String>) -> Error {
    Error::InvalidWalletFile {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// Describes a JSON error without quoting the file: serde's messages for wrong values quote
/// the value, which may be a secret, so only field names, lines and columns are kept.
pub(crate) fn describe_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let position = format!("line {}, column {}", error.line(), error.column());
    match error.classify() {
        Category::Io | Category::Syntax | Category::Eof => {
            format!("it is not valid JSON ({position})")
        }
        Category::Data => {
            let message = error.to_string();
            if ["missing field", "unknown field", "duplicate field"]
                .iter()
                .any(|start| message.starts_with(start))
            {
                message
            } else {
                format!("a value has the wrong type or range ({position})")
            }
        }
    }
}

fn read_wallet_bytes(path: &Path) -> Result<Zeroizing<Vec<u8>>, Error> {
    let file = File::open(path).map_err(Error::io("open the wallet file", path))?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_WALLET_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(Error::io("read the wallet file", path))?;
    if bytes.len() as u64 > MAX_WALLET_FILE_BYTES {
        return Err(Error::WalletFileTooLarge {
            path: path.to_owned(),
            limit: MAX_WALLET_FILE_BYTES,
        });
    }
    Ok(bytes)
}

/// Writes `bytes` to a fresh 0600 file beside `path` and renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let file_name = path
        .file_name()
        .ok_or_else(|| invalid(path, "the path names no file"))?;
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    if !directory.exists() {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&directory)
            .map_err(Error::io("create the wallet directory", &directory))?;
    }
    let mut suffix = [0u8; 8];
    OsRng.fill_bytes(&mut suffix);
    let temporary = directory.join(format!(
        ".{}.{}.tmp",
        file_name.to_string_lossy(),
        data_encoding::HEXLOWER.encode(&suffix)
    ));
    let result = write_new_file(&temporary, bytes).and_then(|()| {
        fs::rename(&temporary, path).map_err(Error::io("replace the wallet file", path))
    });
    if result.is_err() {
        // The temporary file may hold secrets; do not leave it behind.
        let _ = fs::remove_file(&temporary);
    }
    result?;
    // Make the rename itself durable; a directory that cannot be opened is not an error.
    if let Ok(directory) = File::open(&directory) {
        let _ = directory.sync_all();
    }
    Ok(())
}

fn write_new_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(Error::io("create a temporary wallet file", path))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(Error::io("write a temporary wallet file", path))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::device::tests::{test_uri, CODE_KEY, SECRET};

    fn wallet() -> WalletFile {
        let mut wallet = WalletFile::new(
            Some("https://pay.example.com".to_owned()),
            Some("alice".to_owned()),
        );
        wallet.set_session(Some(Session::new(
            "session-token-value".to_owned(),
            Some("2030-01-01T00:00:00Z".to_owned()),
        )));
        wallet
            .add_device(DeviceEntry::from_uri(&test_uri()).unwrap().with_id(42))
            .unwrap();
        wallet
    }

    fn debug(wallet: &WalletFile) -> String {
        format!("{wallet:#?}")
    }

    #[test]
    fn a_wallet_survives_saving_and_loading() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("wallet.json");
        let mut original = wallet();
        original.next_code(None, 1_700_000_000).unwrap();
        original.save(&path, None).unwrap();
        let loaded = WalletFile::load(&path, None).unwrap();
        assert_eq!(debug(&loaded), debug(&original));
        assert_eq!(loaded.session().unwrap().token(), "session-token-value");
        assert_eq!(loaded.devices()[0].key_uri(), test_uri());
        assert!(!WalletFile::is_encrypted(&path).unwrap());
        let json: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(json["format"], PLAIN_FORMAT);
        assert_eq!(json["devices"][0]["secret"], SECRET);
        assert_eq!(json["devices"][0]["next_index"], 1);
    }

    #[test]
    fn the_next_code_index_survives_saving_and_loading() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("wallet.json");
        let mut wallet = wallet();
        assert_eq!(wallet.next_code(None, 1_700_000_000).unwrap().index, 0);
        wallet.save(&path, None).unwrap();
        let mut wallet = WalletFile::load(&path, None).unwrap();
        assert_eq!(wallet.next_code(Some(42), 1_700_000_001).unwrap().index, 1);
    }

    #[test]
    fn the_wallet_file_is_created_with_mode_0600_in_a_0700_directory() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("paycode").join("wallet.json");
        wallet().save(&path, None).unwrap();
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        // Saving over an existing file with looser permissions leaves a 0600 file.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        wallet().save(&path, Some("passphrase")).unwrap();
        assert_eq!(mode(&path), 0o600);
        let leftovers = fs::read_dir(path.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[test]
    fn an_encrypted_wallet_file_holds_no_key_material_and_loads_back() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("wallet.json");
        let original = wallet();
        original.save(&path, Some("correct horse")).unwrap();
        let bytes = fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for needle in [SECRET, CODE_KEY, "session-token-value", "alice", "otpauth"] {
            assert!(!text.contains(needle), "the file contains {needle}");
        }
        for raw in [&b"12345678901234567890"[..], &[0x5A; 16][..]] {
            assert!(!bytes.windows(raw.len()).any(|window| window == raw));
        }
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(json["format"], ENCRYPTED_FORMAT);
        assert_eq!(json["kdf"]["algorithm"], "argon2id");
        assert!(WalletFile::is_encrypted(&path).unwrap());
        let loaded = WalletFile::load(&path, Some("correct horse")).unwrap();
        assert_eq!(debug(&loaded), debug(&original));
    }

    #[test]
    fn a_wrong_or_missing_passphrase_is_refused_clearly() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("wallet.json");
        wallet().save(&path, Some("correct horse")).unwrap();
        let wrong = WalletFile::load(&path, Some("wrong horse")).unwrap_err();
        assert!(matches!(wrong, Error::WrongPassphrase { .. }), "{wrong}");
        assert!(wrong.to_string().contains("passphrase is wrong"));
        let missing = WalletFile::load(&path, None).unwrap_err();
        assert!(
            matches!(missing, Error::PassphraseRequired { .. }),
            "{missing}"
        );
        assert!(missing.to_string().contains("give its passphrase"));
        assert!(matches!(
            wallet().save(&path, Some("")),
            Err(Error::EmptyPassphrase)
        ));
    }

    #[test]
    fn a_tampered_encrypted_file_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("wallet.json");
        wallet().save(&path, Some("correct horse")).unwrap();
        let mut json: serde_json::Value =
            serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        let ciphertext = json["ciphertext"].as_str().unwrap().to_owned();
        let flipped = if ciphertext.starts_with('A') {
            "B"
        } else {
            "A"
        };
        json["ciphertext"] = format!("{flipped}{}", &ciphertext[1..]).into();
        fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
        assert!(matches!(
            WalletFile::load(&path, Some("correct horse")),
            Err(Error::WrongPassphrase { .. })
        ));
        json["kdf"]["m_cost"] = (u32::MAX).into();
        fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
        let error = WalletFile::load(&path, Some("correct horse")).unwrap_err();
        assert!(matches!(error, Error::InvalidWalletFile { .. }), "{error}");
    }

    #[test]
    fn files_that_are_not_wallets_are_refused_without_quoting_them() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("wallet.json");
        let cases = [
            ("not json".to_owned(), "not valid JSON"),
            ("{}".to_owned(), "no \"format\""),
            (
                r#"{"format":"other"}"#.to_owned(),
                "not one this version reads",
            ),
            (
                format!(r#"{{"format":"{PLAIN_FORMAT}","devices":[{{"id":"{SECRET}"}}]}}"#),
                "wrong type",
            ),
        ];
        for (content, expected) in cases {
            fs::write(&path, &content).unwrap();
            let error = WalletFile::load(&path, None).unwrap_err();
            let message = error.to_string();
            assert!(message.contains(expected), "{content}: {message}");
            assert!(!message.contains(SECRET), "{message}");
        }
        let mut json: serde_json::Value = serde_json::from_slice(&Zeroizing::new(
            serde_json::to_vec(&wallet().to_record()).unwrap(),
        ))
        .unwrap();
        json["devices"][0]["secret"] = "JBSWY3DPEHPK3PXP".into();
        fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
        let message = WalletFile::load(&path, None).unwrap_err().to_string();
        assert!(
            message.contains("secret") && message.contains("differs"),
            "{message}"
        );
        assert!(!message.contains("JBSWY3DP"), "{message}");

        let missing = WalletFile::load(&directory.path().join("absent.json"), None).unwrap_err();
        assert!(matches!(missing, Error::Io { .. }), "{missing}");
    }

    #[test]
    fn an_oversized_wallet_file_is_refused_before_parsing() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("wallet.json");
        fs::write(&path, vec![b' '; MAX_WALLET_FILE_BYTES as usize + 1]).unwrap();
        assert!(matches!(
            WalletFile::load(&path, None),
            Err(Error::WalletFileTooLarge { .. })
        ));
    }

    #[test]
    fn the_device_is_chosen_by_id_or_as_the_only_one() {
        let mut wallet = WalletFile::new(None, None);
        assert!(matches!(wallet.next_code(None, 0), Err(Error::NoDevice)));
        wallet
            .add_device(DeviceEntry::from_uri(&test_uri()).unwrap().with_id(1))
            .unwrap();
        assert_eq!(wallet.next_code(None, 0).unwrap().device_id, 1);
        wallet
            .add_device(DeviceEntry::from_uri(&test_uri()).unwrap().with_id(2))
            .unwrap();
        let error = wallet.next_code(None, 0).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the wallet has several devices (1, 2); choose one"
        );
        assert_eq!(wallet.next_code(Some(2), 0).unwrap().device_id, 2);
        assert!(matches!(
            wallet.next_code(Some(3), 0),
            Err(Error::NoSuchDevice { id: 3 })
        ));
        assert_eq!(wallet.remove_device(1).unwrap().id(), 1);
        assert_eq!(wallet.next_code(None, 0).unwrap().device_id, 2);
    }

    #[test]
    fn replacing_a_device_keeps_its_used_code_indexes() {
        let mut wallet = wallet();
        wallet.next_code(None, 1_000).unwrap();
        wallet
            .add_device(DeviceEntry::from_uri(&test_uri()).unwrap().with_id(42))
            .unwrap();
        assert_eq!(wallet.devices().len(), 1);
        assert_eq!(wallet.next_code(None, 1_000).unwrap().index, 1);
    }

    #[test]
    fn debug_output_redacts_the_session_and_key_material() {
        let output = debug(&wallet());
        for needle in [SECRET, CODE_KEY, "session-token-value", "otpauth"] {
            assert!(!output.contains(needle), "{output}");
        }
        assert!(output.contains("alice") && output.contains("pay.example.com"));
    }

    #[test]
    fn the_default_path_is_in_the_user_configuration_directory() {
        if let Ok(path) = WalletFile::default_path() {
            assert!(path.ends_with("paycode/wallet.json"), "{}", path.display());
        }
    }
}
