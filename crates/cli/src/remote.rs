//! What the wallet, POS and admin commands share when they talk to a server: the runtime, the
//! client, and the one place that decides which failures are refusals (exit 1) and which are
//! errors (exit 2).

use anyhow::{Context, Result};
use paycode_client::{Client, ClientError};
use serde::Serialize;
use serde_json::json;

use crate::Outcome;

/// HTTP statuses whose API error means "the server understood and said no": a business
/// refusal (422), a wrong PIN (403), an unknown or foreign trade (404), a conflicting
/// reference (409) or a rate limit (429). Scripts branch on exit code 1 for these. Everything
/// else (400 malformed input, 401 bad credentials, 5xx, transport failures) means the command
/// could not do its job, which is exit code 2.
const REFUSAL_STATUSES: [u16; 5] = [403, 404, 409, 422, 429];

/// A single-threaded runtime: each command makes one call at a time, so a pool of worker
/// threads would only cost start-up time.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
}

/// A client of `server` presenting `credential` as its bearer token.
pub fn client(server: &str, credential: &str) -> Result<Client> {
    let client = Client::new(server).with_context(|| {
        format!("invalid server URL {server:?} (give one such as http://127.0.0.1:8080)")
    })?;
    Ok(client.with_bearer(credential))
}

/// The server's answer to a request it refused, as the commands report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The stable error code, such as `CODE_USED`.
    pub code: String,
    /// The server's sentence for people.
    pub message: String,
}

impl Refusal {
    /// Prints the refusal on stderr (and, for `--json`, as an error object on stdout, so that a
    /// script always gets one object) and returns [`Outcome::Refused`].
    pub fn report(&self, json_output: bool) -> Outcome {
        eprintln!("paycode: refused: {} ({})", self.code, self.message);
        if json_output {
            print_json(&json!({"error": {"code": self.code, "message": self.message}}));
        }
        Outcome::Refused
    }
}

/// Sorts a failed call into a refusal, or an error that ends the command with exit code 2.
/// `unauthenticated_hint` tells the user which credential to fix when the server says 401.
pub fn classify(error: ClientError, unauthenticated_hint: &str) -> Result<Refusal> {
    match error {
        ClientError::Api {
            status,
            code,
            message,
        } if REFUSAL_STATUSES.contains(&status) => Ok(Refusal { code, message }),
        ClientError::Api {
            status: 401,
            code,
            message,
        } => Err(anyhow::anyhow!("{code}: {message}; {unauthenticated_hint}")),
        ClientError::Api { code, message, .. } => Err(anyhow::anyhow!("{code}: {message}")),
        ClientError::Transport(error) => Err(anyhow::anyhow!(
            "could not reach the server: {}",
            describe_transport(&error)
        )),
        other => Err(other.into()),
    }
}

/// Finishes a command whose whole job was one call: shows the answer with `show` (or as JSON),
/// reports a refusal, or fails.
pub fn finish<T: Serialize>(
    result: Result<T, ClientError>,
    json_output: bool,
    unauthenticated_hint: &str,
    show: impl FnOnce(&T),
) -> Result<Outcome> {
    match result {
        Ok(value) => {
            if json_output {
                print_json(&value);
            } else {
                show(&value);
            }
            Ok(Outcome::Success)
        }
        Err(error) => Ok(classify(error, unauthenticated_hint)?.report(json_output)),
    }
}

/// Prints one JSON object on one line of stdout.
pub fn print_json<T: Serialize + ?Sized>(value: &T) {
    println!(
        "{}",
        serde_json::to_string(value).expect("wire types serialize")
    );
}

/// An error with its causes, which hold the useful part of a transport error ("connection
/// refused").
fn describe_transport(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
