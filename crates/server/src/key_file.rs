//! The master key file, `master.key` in the data directory: the keys that encrypt device
//! secrets at rest (SPEC section 5). It is TOML:
//!
//! ```toml
//! current = 1
//!
//! [keys]
//! 1 = "<Base32 of 32 random bytes>"
//! ```
//!
//! It is created with mode 0600 on first start. An existing file that group or others may
//! read is refused, as ssh refuses such a private key: the file is as secret as the secrets
//! it protects. To rotate, add a key with a higher id, make it `current`, and re-encrypt.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use anyhow::{bail, Context as _};
use paycode_core::crypto::{MasterKey, MasterKeys, MASTER_KEY_BYTES};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The id of the key made on first start.
const FIRST_KEY_ID: u32 = 1;
/// Permission bits of group and others, none of which the key file may have.
#[cfg(unix)]
const GROUP_AND_OTHER_BITS: u32 = 0o077;

/// The file's layout.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    /// The id of the key that encrypts.
    current: u32,
    /// Every key by id, in Base32.
    keys: BTreeMap<String, String>,
}

/// Loads the master keys from `path`, or creates the file with one fresh key.
pub fn load_or_create(path: &Path) -> anyhow::Result<MasterKeys> {
    if !path.exists() {
        match create(path) {
            Ok(keys) => return Ok(keys),
            // Another process created it first; read theirs.
            Err(error) if path.exists() => {
                tracing::debug!(%error, "the master key file appeared while creating it");
            }
            Err(error) => return Err(error),
        }
    }
    load(path)
}

fn create(path: &Path) -> anyhow::Result<MasterKeys> {
    let keys = MasterKeys::new(FIRST_KEY_ID, vec![MasterKey::generate(FIRST_KEY_ID)])?;
    write_new(path, &keys)?;
    sync_directory_of(path)?;
    tracing::info!(path = %path.display(), "created the master key file");
    Ok(keys)
}

/// Writes `keys` to a file that must not exist yet, with mode 0600 from the start.
fn write_new(path: &Path, keys: &MasterKeys) -> anyhow::Result<()> {
    let file = KeyFile {
        current: keys.current_id(),
        keys: keys
            .keys()
            .iter()
            .map(|key| {
                (
                    key.id().to_string(),
                    paycode_otp::base32::encode(key.expose_bytes()),
                )
            })
            .collect(),
    };
    let text = Zeroizing::new(toml::to_string(&file).context("could not write the key file")?);
    drop(file);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut handle = options
        .open(path)
        .with_context(|| format!("could not create {}", path.display()))?;
    handle.write_all(
        b"# paycode master keys. Keep this file secret and backed up: device secrets cannot\n\
          # be decrypted without it.\n",
    )?;
    handle.write_all(text.as_bytes())?;
    handle.sync_all()?;
    Ok(())
}

/// Adds a fresh key to the file at `path` and makes it current; the older keys stay so that
/// what they sealed still opens until it is re-encrypted. The file is replaced atomically
/// (a new file, then a rename), so a crash leaves either the old file or the new one.
pub fn add_current_key(path: &Path) -> anyhow::Result<MasterKeys> {
    let old = load(path)?;
    let new_id = old.keys().iter().map(MasterKey::id).max().unwrap_or(0) + 1;
    let mut keys: Vec<MasterKey> = old
        .keys()
        .iter()
        .map(|key| MasterKey::new(key.id(), *key.expose_bytes()))
        .collect();
    keys.push(MasterKey::generate(new_id));
    let rotated = MasterKeys::new(new_id, keys)?;
    let temporary = path.with_extension("key.new");
    // A leftover from an interrupted rotation holds no key in use; start afresh.
    let _ = std::fs::remove_file(&temporary);
    write_new(&temporary, &rotated)?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("could not replace {}", path.display()))?;
    // The rename is durable only once the directory is: without this, a power loss right
    // after the rotation could bring back the old file while the database already holds
    // secrets sealed under the new key, which would then be lost.
    sync_directory_of(path)?;
    tracing::info!(path = %path.display(), current = new_id, "added a master key and made it current");
    Ok(rotated)
}

/// Flushes the directory entry of `path` to disk (on Unix; elsewhere the rename is trusted).
fn sync_directory_of(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let directory = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        std::fs::File::open(directory)
            .and_then(|handle| handle.sync_all())
            .with_context(|| format!("could not flush the directory {}", directory.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn load(path: &Path) -> anyhow::Result<MasterKeys> {
    refuse_loose_permissions(path)?;
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("could not read {}", path.display()))?,
    );
    let file: KeyFile =
        toml::from_str(&text).with_context(|| format!("{} is not a key file", path.display()))?;
    let mut keys = Vec::with_capacity(file.keys.len());
    for (id, encoded) in &file.keys {
        let id: u32 = id
            .parse()
            .with_context(|| format!("key id {id:?} in {} is not a number", path.display()))?;
        let bytes = Zeroizing::new(
            paycode_otp::base32::decode(encoded)
                .with_context(|| format!("key {id} in {} is not Base32", path.display()))?,
        );
        let bytes: [u8; MASTER_KEY_BYTES] = bytes.as_slice().try_into().map_err(|_| {
            anyhow::anyhow!(
                "key {id} in {} is not {MASTER_KEY_BYTES} bytes",
                path.display()
            )
        })?;
        keys.push(MasterKey::new(id, bytes));
    }
    Ok(MasterKeys::new(file.current, keys)?)
}

#[cfg(unix)]
fn refuse_loose_permissions(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & GROUP_AND_OTHER_BITS != 0 {
        bail!(
            "{} may be read by group or others (mode {:o}); run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_loose_permissions(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotation_adds_a_current_key_and_keeps_the_old_one() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("master.key");
        let first = load_or_create(&path).unwrap();
        let sealed = first.seal(b"aad", b"device secret").unwrap();
        let rotated = add_current_key(&path).unwrap();
        assert_eq!(rotated.current_id(), 2);
        let reloaded = load(&path).unwrap();
        assert_eq!(reloaded.current_id(), 2);
        assert_eq!(
            reloaded.open(b"aad", &sealed).unwrap().as_slice(),
            b"device secret"
        );
        assert_eq!(reloaded.seal(b"aad", b"x").unwrap().key_id, 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn a_created_key_file_is_private_and_loads_the_same_key() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("master.key");
        let created = load_or_create(&path).unwrap();
        let loaded = load_or_create(&path).unwrap();
        assert_eq!(created.current_id(), loaded.current_id());
        assert_eq!(
            created.keys()[0].expose_bytes(),
            loaded.keys()[0].expose_bytes()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("master.key");
        load_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = load_or_create(&path).unwrap_err().to_string();
        assert!(error.contains("chmod 600"), "{error}");
    }

    #[test]
    fn a_key_file_naming_a_missing_current_key_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("master.key");
        let key = paycode_otp::base32::encode(&[7u8; MASTER_KEY_BYTES]);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).unwrap();
        writeln!(file, "current = 2\n[keys]\n1 = \"{key}\"").unwrap();
        assert!(load_or_create(&path).is_err());
    }
}
