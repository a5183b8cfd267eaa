//! A database that fails: the health check says so with 503, and clients never see the
//! database's own words. (A real PostgreSQL server stopped under a running server is in
//! `postgres_outage`.)

use std::sync::{Arc, Mutex};

use paycode_core::store::{Store, StoreError, StoreResult, Transaction};

use crate::helpers::{spawn_app_over, status_and_code, test_config, Backend};

/// How the wrapped store behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Working,
    Unreachable,
    Corrupt,
}

/// A store that can be made to fail on demand.
struct SwitchableStore {
    inner: Arc<dyn Store>,
    mode: Mutex<Mode>,
}

impl SwitchableStore {
    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }
}

impl Store for SwitchableStore {
    fn begin(&self) -> StoreResult<Box<dyn Transaction + '_>> {
        let mode = *self.mode.lock().unwrap();
        match mode {
            Mode::Working => self.inner.begin(),
            Mode::Unreachable => Err(StoreError::Unavailable(
                "connection refused by db-7.internal".to_owned(),
            )),
            Mode::Corrupt => Err(StoreError::Other(
                "database disk image is malformed at page 7".to_owned(),
            )),
        }
    }

    fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }
}

async fn a_failing_database_is_reported_without_its_details(backend: Backend) {
    let switch = Arc::new(Mutex::new(None::<Arc<SwitchableStore>>));
    let keep = Arc::clone(&switch);
    let app = spawn_app_over(backend, test_config(), move |inner| {
        let store = Arc::new(SwitchableStore {
            inner,
            mode: Mutex::new(Mode::Working),
        });
        *keep.lock().unwrap() = Some(Arc::clone(&store));
        store
    })
    .await;
    let store = switch.lock().unwrap().clone().unwrap();
    let wallet = app.wallet("alice", 1_000).await;

    store.set(Mode::Unreachable);
    let health = app.anonymous.healthz().await;
    assert_eq!(status_and_code(health), (503, "UNAVAILABLE".to_owned()));
    match wallet.client.balance().await {
        Err(paycode_client::ClientError::Api {
            status,
            code,
            message,
        }) => {
            assert_eq!((status, code.as_str()), (503, "UNAVAILABLE"));
            assert!(!message.contains("db-7"), "{message}");
        }
        other => panic!("expected 503, got {other:?}"),
    }

    store.set(Mode::Corrupt);
    match wallet.client.balance().await {
        Err(paycode_client::ClientError::Api {
            status,
            code,
            message,
        }) => {
            assert_eq!((status, code.as_str()), (500, "INTERNAL"));
            assert!(!message.contains("page 7"), "{message}");
        }
        other => panic!("expected 500, got {other:?}"),
    }

    store.set(Mode::Working);
    assert_eq!(app.anonymous.healthz().await.unwrap().status, "ok");
    assert_eq!(wallet.client.balance().await.unwrap().balance, 1_000);
    app.assert_ledger_ok().await;
}

on_both_backends!(a_failing_database_is_reported_without_its_details,);
