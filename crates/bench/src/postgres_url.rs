//! PostgreSQL URLs: the database the run was given, the scratch database pgbench runs in, and
//! the scratch schema an in-process server keeps its tables in. A URL may hold a password, so
//! none is ever shown whole: `Debug` redacts it and pgbench gets the password in its
//! environment, not on its command line.

use reqwest::Url;

use crate::error::Error;

/// A `postgres://` or `postgresql://` URL.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl {
    url: Url,
}

impl std::fmt::Debug for PostgresUrl {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PostgresUrl")
            .field("host", &self.url.host_str())
            .field("database", &self.url.path())
            .finish_non_exhaustive()
    }
}

/// Whether `database` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres(database: &str) -> bool {
    database.starts_with("postgres://") || database.starts_with("postgresql://")
}

impl PostgresUrl {
    /// Parses a URL with a host, such as `postgres://postgres@127.0.0.1:5432/postgres`. The
    /// error does not repeat the URL, which may hold a password.
    pub fn parse(text: &str) -> Result<PostgresUrl, Error> {
        let invalid = || {
            Error::Options(
                "the database URL must be postgres://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE"
                    .to_owned(),
            )
        };
        let url = Url::parse(text).map_err(|_| invalid())?;
        if !is_postgres(text) || url.host_str().is_none_or(str::is_empty) {
            return Err(invalid());
        }
        Ok(PostgresUrl { url })
    }

    /// The URL as given, password included: only for connecting.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The same server and credentials, another database.
    pub fn with_database(&self, database: &str) -> PostgresUrl {
        let mut url = self.url.clone();
        url.set_path(&format!("/{database}"));
        PostgresUrl { url }
    }

    /// The URL whose sessions use `schema` as their search path, which is where the server's
    /// store creates its tables.
    pub fn with_search_path(&self, schema: &str) -> String {
        let mut url = self.url.clone();
        url.query_pairs_mut()
            .append_pair("options", &format!("-csearch_path={schema}"));
        url.into()
    }

    /// The URL without its password.
    pub fn without_password(&self) -> String {
        let mut url = self.url.clone();
        // A URL with a host always accepts a password change.
        let _ = url.set_password(None);
        url.into()
    }

    /// The password, decoded, when the URL has one.
    pub fn password(&self) -> Option<String> {
        let encoded = self.url.password()?;
        Some(percent_decode(encoded).unwrap_or_else(|| encoded.to_owned()))
    }
}

/// Decodes `%XX` escapes; `None` when the result is not UTF-8 or an escape is malformed.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut position = 0;
    while position < bytes.len() {
        if bytes[position] == b'%' {
            let hex = text.get(position + 1..position + 3)?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            position += 3;
        } else {
            decoded.push(bytes[position]);
            position += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

/// A schema of its own in the run's PostgreSQL database for an in-process server, dropped with
/// everything in it by [`ScratchSchema::drop_schema`]. Each run gets a fresh one because the
/// in-process server's master key lives in a temporary directory: the secrets sealed in one
/// run could not be opened by the next.
#[derive(Debug)]
pub struct ScratchSchema {
    database: PostgresUrl,
    name: String,
}

impl ScratchSchema {
    /// Creates `paycode_bench_<random>` in the database of `database`. Blocking.
    pub fn create(database: &PostgresUrl) -> Result<ScratchSchema, Error> {
        let name = format!("paycode_bench_{:016x}", rand::random::<u64>());
        let mut client = postgres::Client::connect(database.as_str(), postgres::NoTls)?;
        client.batch_execute(&format!("CREATE SCHEMA \"{name}\""))?;
        Ok(ScratchSchema {
            database: database.clone(),
            name,
        })
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL the server opens: the database, with this schema as its search path.
    pub fn server_url(&self) -> String {
        self.database.with_search_path(&self.name)
    }

    /// Drops the schema and everything in it. Blocking.
    pub fn drop_schema(self) -> Result<(), Error> {
        let mut client = postgres::Client::connect(self.database.as_str(), postgres::NoTls)?;
        client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_replaced_and_the_password_kept_out_of_sight() {
        let url = PostgresUrl::parse("postgres://bench:p%40ss@127.0.0.1:5432/postgres").unwrap();
        assert_eq!(url.password().as_deref(), Some("p@ss"));
        let scratch = url.with_database("paycode_pgbench");
        assert_eq!(
            scratch.without_password(),
            "postgres://bench@127.0.0.1:5432/paycode_pgbench"
        );
        assert!(!format!("{scratch:?}").contains("p%40ss"));
    }

    #[test]
    fn the_search_path_rides_in_the_options_parameter() {
        let url = PostgresUrl::parse("postgres://postgres@127.0.0.1/postgres").unwrap();
        assert_eq!(
            url.with_search_path("paycode_bench_1"),
            "postgres://postgres@127.0.0.1/postgres?options=-csearch_path%3Dpaycode_bench_1"
        );
        let with_query =
            PostgresUrl::parse("postgres://postgres@127.0.0.1/postgres?sslmode=disable").unwrap();
        assert!(with_query
            .with_search_path("s")
            .ends_with("?sslmode=disable&options=-csearch_path%3Ds"));
    }

    #[test]
    fn only_postgres_urls_with_a_host_are_accepted_and_errors_do_not_repeat_them() {
        for bad in [
            "mysql://root:hunter2@db/x",
            "postgres:///socket-only",
            "/var/lib/paycode.sqlite",
        ] {
            let error = PostgresUrl::parse(bad).unwrap_err().to_string();
            assert!(!error.contains("hunter2"), "{error}");
        }
        assert!(is_postgres("postgresql://h/d"));
        assert!(!is_postgres("sqlite:///tmp/p.db"));
    }
}
