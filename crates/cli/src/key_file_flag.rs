//! Secrets given as a file instead of a flag: a flag's value shows in `ps` and in the shell's
//! history, a file's does not.

use std::path::Path;

use anyhow::{bail, Context as _, Result};

/// Longest secret file read, in bytes: a key is a line, not a document.
const MAX_SECRET_FILE_BYTES: u64 = 4_096;

/// The secret in `path`: its first line, without the line break and surrounding spaces.
pub fn read_secret_file(path: &Path) -> Result<String> {
    let length = std::fs::metadata(path)
        .with_context(|| format!("could not read {}", path.display()))?
        .len();
    if length > MAX_SECRET_FILE_BYTES {
        bail!("{} is too large to hold a key", path.display());
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read {}", path.display()))?;
    let secret = text.lines().next().unwrap_or_default().trim();
    if secret.is_empty() {
        bail!("{} holds no key on its first line", path.display());
    }
    Ok(secret.to_owned())
}

/// The secret of a flag that may come as a value or as a file (clap keeps the two apart).
pub fn value_or_file(value: Option<String>, file: Option<&Path>) -> Result<Option<String>> {
    match (value, file) {
        (Some(value), _) => Ok(Some(value)),
        (None, Some(path)) => read_secret_file(path).map(Some),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_of_a_key_file_is_the_key() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("admin.key");
        std::fs::write(&path, "  pa_0123456789abcdef \nignored\n").unwrap();
        assert_eq!(read_secret_file(&path).unwrap(), "pa_0123456789abcdef");
        assert_eq!(
            value_or_file(Some("flag".to_owned()), Some(&path)).unwrap(),
            Some("flag".to_owned())
        );
        std::fs::write(&path, "\n").unwrap();
        assert!(read_secret_file(&path).is_err());
        std::fs::write(&path, "x".repeat(5_000)).unwrap();
        assert!(read_secret_file(&path).is_err());
        assert!(read_secret_file(&directory.path().join("missing")).is_err());
    }
}
