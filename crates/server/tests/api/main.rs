//! The server's integration tests, in one binary so that it is built and linked once. Each
//! scenario starts its own server on a fresh database with a manual clock, talks to it over
//! real HTTP through `paycode-client` (or in-process through the router), and ends with the
//! ledger check, both over HTTP and in the domain.
//!
//! Every scenario runs on both backends, as two tests: `<module>::on_sqlite::<scenario>` on a
//! fresh SQLite file, and `<module>::on_postgres::<scenario>` in a fresh schema of the
//! database named by `PAYCODE_TEST_DATABASE_URL`. Without that variable the PostgreSQL tests
//! print one line saying they are skipped and pass; under CI (`CI` set) they fail instead.
//! A few tests belong to one backend: the SQLite file and its restart, the PostgreSQL restart,
//! two instances on one PostgreSQL database, and PostgreSQL stopped under a server.

/// Turns each listed scenario, an `async fn(Backend)` of the invoking module, into one test per
/// backend, named after it in the modules `on_sqlite` and `on_postgres`, so that a failure
/// names both the scenario and the backend.
macro_rules! on_both_backends {
    ($($scenario:ident),+ $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    super::$scenario($crate::helpers::Backend::Sqlite).await;
                }
            )+
        }

        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    if $crate::helpers::Backend::Postgres.is_available() {
                        super::$scenario($crate::helpers::Backend::Postgres).await;
                    }
                }
            )+
        }
    };
}

mod concurrency;
mod connections;
mod console;
mod credentials;
mod databases;
mod end_to_end;
mod failures;
mod helpers;
mod lockout;
mod logins;
mod postgres_outage;
mod public;
mod refusals;
mod restart;
mod schema;
mod statements;
mod step_up;
mod trades_and_summary;
mod two_instances;
mod webhooks;
