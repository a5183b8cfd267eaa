//! Asking a person at a terminal for a password, PIN or passphrase that was not given as a
//! flag. Scripts never see a prompt: when stdin is not a terminal, the missing flag is an error.

use std::io::{BufRead, IsTerminal, Read};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

/// Longest line read from a prompt; passwords are at most 256 bytes on the server.
const MAX_PROMPT_LINE_BYTES: u64 = 1024;

/// The value of `flag` if it was given, or what the person types after `label` when stdin is
/// a terminal. Typing is not echoed where `stty` can turn echo off.
pub fn flag_or_prompt(value: Option<String>, flag: &str, label: &str) -> Result<String> {
    if let Some(value) = value {
        return Ok(value);
    }
    if !std::io::stdin().is_terminal() {
        bail!("{flag} is required (stdin is not a terminal, so there is no prompt)");
    }
    eprint!("{label}: ");
    let line = {
        let _hidden = HiddenInput::start();
        read_line()?
    };
    eprintln!();
    if line.is_empty() {
        bail!("nothing was typed for the {label}");
    }
    Ok(line)
}

/// Whether a prompt could be shown, for callers that only ask when it helps.
pub fn can_prompt() -> bool {
    std::io::stdin().is_terminal()
}

fn read_line() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(MAX_PROMPT_LINE_BYTES)
        .read_line(&mut line)
        .context("could not read from the terminal")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Terminal echo turned off for as long as it lives, so that a PIN typed at a shop counter is
/// not shown on screen. Best effort: without `stty` the input is echoed.
struct HiddenInput {
    active: bool,
}

impl HiddenInput {
    fn start() -> HiddenInput {
        HiddenInput {
            active: stty("-echo"),
        }
    }
}

impl Drop for HiddenInput {
    fn drop(&mut self) {
        if self.active {
            stty("echo");
        }
    }
}

fn stty(setting: &str) -> bool {
    Command::new("stty")
        .arg(setting)
        .stdin(Stdio::inherit())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
