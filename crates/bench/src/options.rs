//! What a run does: where the server is, which database, the scenario, the connections, the
//! duration and the population, each checked against its limit.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;
use serde::Serialize;

use crate::error::Error;
use crate::limits::{
    DEFAULT_BASELINE_SECONDS, DEFAULT_CONNECTIONS, DEFAULT_DEVICES, DEFAULT_DURATION_SECONDS,
    DEFAULT_MERCHANTS, MAX_BASELINE_SECONDS, MAX_CONNECTIONS, MAX_DEVICES, MAX_DURATION_SECONDS,
    MAX_MERCHANTS,
};
use crate::postgres_url::{is_postgres, PostgresUrl};

/// Where the payments go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// Each merchant in turn: many merchants' accounts share the load.
    Spread,
    /// Every payment to one merchant: its account is the contended row.
    Hot,
}

impl std::str::FromStr for Scenario {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "spread" => Ok(Scenario::Spread),
            "hot" => Ok(Scenario::Hot),
            other => Err(format!("unknown scenario {other:?}: spread or hot")),
        }
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Scenario::Spread => "spread",
            Scenario::Hot => "hot",
        })
    }
}

/// A server started separately, which the run reaches over HTTP.
#[derive(Clone)]
pub struct RemoteServer {
    /// Its base URL, on this machine (a loopback address).
    pub url: String,
    /// Its admin key, to create the population and check the ledger.
    pub admin_key: String,
    /// Its process id, to read its memory; without it the memory reported is the load
    /// generator's own.
    pub pid: Option<u32>,
}

impl std::fmt::Debug for RemoteServer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RemoteServer")
            .field("url", &self.url)
            .field("admin_key", &"[REDACTED]")
            .field("pid", &self.pid)
            .finish()
    }
}

/// What a run does.
#[derive(Debug, Clone)]
pub struct Options {
    /// A server started separately; `None` starts one in this process on a temporary data
    /// directory.
    pub server: Option<RemoteServer>,
    /// The database: `None` for a temporary SQLite file, a SQLite path, or a `postgres://` URL.
    /// With an in-process server it is the server's database (a PostgreSQL database gets a
    /// scratch schema, dropped at the end); with a remote server it only says which baseline
    /// to run.
    pub database: Option<String>,
    /// Where the payments go.
    pub scenario: Scenario,
    /// Concurrent connections, each driven by one worker.
    pub connections: u32,
    /// How long the load runs.
    pub duration: Duration,
    /// Devices enrolled.
    pub devices: u32,
    /// Merchants created.
    pub merchants: u32,
    /// How long the baseline runs.
    pub baseline: Duration,
    /// Whether to print progress on standard error.
    pub progress: bool,
    /// Whether every merchant gets a webhook, pointing at a receiver in this process that
    /// answers at once, so that the run includes writing and delivering the events.
    pub webhooks: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            server: None,
            database: None,
            scenario: Scenario::Spread,
            connections: DEFAULT_CONNECTIONS,
            duration: Duration::from_secs(DEFAULT_DURATION_SECONDS),
            devices: DEFAULT_DEVICES,
            merchants: DEFAULT_MERCHANTS,
            baseline: Duration::from_secs(DEFAULT_BASELINE_SECONDS),
            progress: true,
            webhooks: false,
        }
    }
}

/// The kind of database a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseKind {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Options {
    /// The kind of database the run measures.
    pub fn database_kind(&self) -> DatabaseKind {
        match &self.database {
            Some(database) if is_postgres(database) => DatabaseKind::Postgres,
            _ => DatabaseKind::Sqlite,
        }
    }

    /// Checks every option against its limit and the options against each other.
    pub fn validate(&self) -> Result<(), Error> {
        let check = |ok: bool, message: String| {
            if ok {
                Ok(())
            } else {
                Err(Error::Options(message))
            }
        };
        check(
            (1..=MAX_CONNECTIONS).contains(&self.connections),
            format!("--connections must be 1..={MAX_CONNECTIONS}"),
        )?;
        check(
            (1..=MAX_DURATION_SECONDS).contains(&self.duration.as_secs()),
            format!("--duration must be 1..={MAX_DURATION_SECONDS} seconds"),
        )?;
        check(
            (1..=MAX_BASELINE_SECONDS).contains(&self.baseline.as_secs()),
            format!("--baseline-seconds must be 1..={MAX_BASELINE_SECONDS}"),
        )?;
        check(
            (1..=MAX_DEVICES).contains(&self.devices),
            format!("--devices must be 1..={MAX_DEVICES}"),
        )?;
        check(
            self.devices >= self.connections,
            "--devices must be at least --connections: each connection pays with devices of its own"
                .to_owned(),
        )?;
        check(
            (1..=MAX_MERCHANTS).contains(&self.merchants),
            format!("--merchants must be 1..={MAX_MERCHANTS}"),
        )?;
        if let Some(database) = &self.database {
            if is_postgres(database) {
                PostgresUrl::parse(database)?;
            }
        }
        if let Some(server) = &self.server {
            check_loopback(&server.url)?;
            check(
                server.admin_key.len() >= 16,
                "--admin-key (or PAYCODE_ADMIN_KEY) must be the server's admin key".to_owned(),
            )?;
        }
        Ok(())
    }
}

/// Refuses a server that is not on this machine: the load generator sends thousands of
/// requests a second and is meant for the loopback interface only.
fn check_loopback(url: &str) -> Result<(), Error> {
    let parsed = Url::parse(url)
        .ok()
        .filter(|parsed| parsed.scheme() == "http")
        .ok_or_else(|| Error::Options(format!("--server must be an http:// URL, got {url:?}")))?;
    let host = parsed.host_str().unwrap_or_default();
    // An IPv6 host comes in brackets.
    let address = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost"
        || address
            .parse::<IpAddr>()
            .is_ok_and(|address| address.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(Error::Options(format!(
            "--server must be on this machine (127.0.0.0/8, ::1 or localhost), got {url:?}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(url: &str) -> Options {
        Options {
            server: Some(RemoteServer {
                url: url.to_owned(),
                admin_key: "admin-key-of-sixteen".to_owned(),
                pid: None,
            }),
            ..Options::default()
        }
    }

    #[test]
    fn the_defaults_are_valid_and_measure_sqlite() {
        let options = Options::default();
        assert!(options.validate().is_ok());
        assert_eq!(options.database_kind(), DatabaseKind::Sqlite);
        assert_eq!(options.devices, 10_000);
        assert_eq!(options.connections, 32);
    }

    #[test]
    fn only_servers_on_this_machine_are_loaded() {
        for url in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:80",
        ] {
            assert!(remote(url).validate().is_ok(), "{url}");
        }
        for url in [
            "http://10.0.0.1:8080",
            "http://example.org",
            "https://127.0.0.1",
            "x",
        ] {
            assert!(remote(url).validate().is_err(), "{url}");
        }
    }

    #[test]
    fn options_out_of_their_limits_are_refused() {
        let refused = |change: fn(&mut Options)| {
            let mut options = Options::default();
            change(&mut options);
            options.validate().is_err()
        };
        assert!(refused(|options| options.connections = 0));
        assert!(refused(|options| options.devices = 3_000_000));
        assert!(refused(|options| options.devices = 8)); // fewer than the 32 connections
        assert!(refused(|options| options.duration = Duration::ZERO));
        assert!(refused(|options| options.merchants = 0));
        assert!(refused(
            |options| options.database = Some("postgres://".to_owned())
        ));
    }

    #[test]
    fn scenarios_parse_and_print_by_name() {
        assert_eq!("hot".parse::<Scenario>(), Ok(Scenario::Hot));
        assert_eq!(Scenario::Spread.to_string(), "spread");
        assert!("warm".parse::<Scenario>().is_err());
        let options = Options {
            database: Some("postgresql://u@127.0.0.1/d".to_owned()),
            ..Options::default()
        };
        assert_eq!(options.database_kind(), DatabaseKind::Postgres);
    }
}
