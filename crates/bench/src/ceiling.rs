//! The HTTP ceiling of this machine (issue 16): the same number of keep-alive connections as the
//! load, each sending a payment-sized `POST` with a merchant's credential to
//! [`CEILING_PATH`], which no route has. The server answers `404` from its router's fallback
//! after every layer a payment passes through (connection limits, timeouts, metrics), but runs
//! no handler and opens no transaction, so the rate is what the server's HTTP stack and this
//! load generator can do together on this machine: a payment cannot go faster.
//!
//! `GET /healthz` is not used: it opens a read transaction, so it measures the database too.

use std::sync::Arc;
use std::time::{Duration, Instant};

use paycode_api::PayRequest;
use reqwest::StatusCode;
use serde::Serialize;

use crate::error::Error;
use crate::limits::{CEILING_PATH, REQUEST_TIMEOUT, TRANSPORT_FAILURE_PAUSE};

/// What the ceiling measured.
#[derive(Debug, Clone, Serialize)]
pub struct Ceiling {
    /// What was sent, for the report.
    pub kind: &'static str,
    /// Requests answered `404` in the time.
    pub requests: u64,
    /// Requests answered otherwise, or not at all.
    pub failures: u64,
    /// How long the requests ran, in seconds.
    pub seconds: f64,
    /// `requests / seconds`.
    pub per_second: f64,
}

/// What the ceiling's requests say of themselves.
pub const CEILING_KIND: &str =
    "POST of a payment body to a path without a route (404 from the server's fallback)";

/// Sends the ceiling's requests to the server at `url` on `connections` connections for
/// `duration`, with `api_key` as the bearer credential.
pub async fn measure_ceiling(
    url: &str,
    api_key: &str,
    connections: u32,
    duration: Duration,
) -> Result<Ceiling, Error> {
    let target = Arc::new(format!("{}{CEILING_PATH}", url.trim_end_matches('/')));
    let body = Arc::new(
        serde_json::to_vec(&PayRequest {
            out_trade_no: "bench-ceiling-0000-000000".to_owned(),
            auth_code: "000000000000000000".to_owned(),
            amount: 100,
            subject: None,
            terminal_id: None,
        })
        .expect("a payment request serialises"),
    );
    let started = Instant::now();
    let deadline = started + duration;
    let mut workers = Vec::new();
    for _ in 0..connections {
        // A client of its own, so a connection of its own, as each payment worker has.
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|error| Error::Options(format!("cannot make an HTTP client: {error}")))?;
        let (target, body, api_key) = (Arc::clone(&target), Arc::clone(&body), api_key.to_owned());
        workers.push(tokio::spawn(async move {
            let (mut answered, mut failed) = (0_u64, 0_u64);
            // Bounded by the deadline: every pass sends one request or pauses.
            while Instant::now() < deadline {
                let sent = client
                    .post(target.as_str())
                    .bearer_auth(&api_key)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.as_ref().clone())
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == StatusCode::NOT_FOUND => {
                        // Read the body, as the payment client does, so the connection is kept.
                        let read = response.bytes().await;
                        if read.is_ok() {
                            answered += 1;
                        } else {
                            failed += 1;
                        }
                    }
                    _ => {
                        failed += 1;
                        tokio::time::sleep(TRANSPORT_FAILURE_PAUSE).await;
                    }
                }
            }
            (answered, failed)
        }));
    }
    let (mut requests, mut failures) = (0, 0);
    for worker in workers {
        let (answered, failed) = worker.await?;
        requests += answered;
        failures += failed;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(Ceiling {
        kind: CEILING_KIND,
        requests,
        failures,
        seconds,
        per_second: requests as f64 / seconds,
    })
}
