//! The accept loop (SPEC section 4): a global cap on open connections, a deadline for a
//! request's headers and one for the whole request, and HTTPS with rustls when a certificate
//! is given. Slow or idle clients are closed, so that a flood of half-sent requests cannot
//! hold the server's sockets or memory while payments wait.
//!
//! Connections speak HTTP/1.1. Each takes one permit of the cap before it is accepted; when
//! every permit is taken the loop stops accepting and new connections wait in the kernel's
//! backlog, where they cost the server nothing.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use paycode_api::ErrorCode;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

use crate::error::ApiError;
use crate::limits::{
    ACCEPT_ERROR_PAUSE, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_REQUEST_TIMEOUT, MAX_CONNECTIONS, MAX_TIMEOUT,
};
use crate::metrics::Metrics;

/// How the server treats connections: how long a client may take, and how many may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time a client has to send a request's headers, from the moment the server waits for
    /// them: after the connection opens, and again after each response on a kept-alive
    /// connection. Also the deadline of a TLS handshake. An idle connection is closed after it.
    pub header_read_timeout: Duration,
    /// Time from a request's headers to its response, body included. A request over it is
    /// answered `408 REQUEST_TIMEOUT` and its connection closed.
    pub request_timeout: Duration,
    /// Connections open at once, in total over all clients (tills behind one NAT share an
    /// address, so there is no per-address cap).
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl ConnectionLimits {
    /// Checks each limit against its bounds, naming the first one out of range.
    pub fn validate(&self) -> anyhow::Result<()> {
        for (name, timeout) in [
            ("the header read timeout", self.header_read_timeout),
            ("the request timeout", self.request_timeout),
        ] {
            anyhow::ensure!(
                !timeout.is_zero() && timeout <= MAX_TIMEOUT,
                "{name} must be more than 0 and at most {} seconds",
                MAX_TIMEOUT.as_secs()
            );
        }
        anyhow::ensure!(
            (1..=MAX_CONNECTIONS).contains(&self.max_connections),
            "the connection cap must be 1..={MAX_CONNECTIONS}"
        );
        Ok(())
    }
}

/// The PEM files of a server's TLS certificate chain and private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub certificate: PathBuf,
    /// The private key (PKCS #8, PKCS #1 or SEC1).
    pub private_key: PathBuf,
}

/// Reads the certificate chain and key of `files` into a TLS acceptor that offers HTTP/1.1.
pub fn tls_acceptor(files: &TlsFiles) -> anyhow::Result<TlsAcceptor> {
    let certificates = read_certificates(&files.certificate)?;
    // The key's bytes are not repeated in any error: only the file's name is.
    let private_key = PrivateKeyDer::from_pem_file(&files.private_key).with_context(|| {
        format!(
            "could not read a private key from {}",
            files.private_key.display()
        )
    })?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("the TLS library offers no protocol version")?
        .with_no_client_auth()
        .with_single_cert(certificates, private_key)
        .context("the TLS certificate and private key do not belong together")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn read_certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("could not read certificates from {}", path.display()))?;
    anyhow::ensure!(
        !certificates.is_empty(),
        "there is no certificate in {}",
        path.display()
    );
    Ok(certificates)
}

/// Serves `app` on `listener` under `limits`, over TLS when `tls` is given, until `shutdown`
/// completes; then stops accepting, lets requests in flight finish and closes idle connections.
pub(crate) async fn serve_connections(
    listener: TcpListener,
    app: Router,
    metrics: Arc<Metrics>,
    limits: ConnectionLimits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let request_timeout = limits.request_timeout;
    let app = app.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| within(request_timeout, request, next),
    ));
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&open).acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // pause rather than spin, then accept again.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
        };
        let connection = Connection {
            app: app.clone(),
            header_read_timeout: limits.header_read_timeout,
            watcher: graceful.watcher(),
        };
        let tls = tls.clone();
        let metrics = Arc::clone(&metrics);
        metrics.connection_opened();
        tokio::spawn(async move {
            connection.serve(stream, tls).await;
            metrics.connection_closed();
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// One accepted connection and what it needs to be served.
struct Connection {
    app: Router,
    header_read_timeout: Duration,
    watcher: Watcher,
}

impl Connection {
    async fn serve(self, stream: TcpStream, tls: Option<TlsAcceptor>) {
        // Answers are small and latency matters more than packet count.
        let _ = stream.set_nodelay(true);
        match tls {
            None => self.serve_http(stream).await,
            Some(acceptor) => {
                // A handshake is part of what a client sends before its headers, so it gets
                // the same deadline.
                match tokio::time::timeout(self.header_read_timeout, acceptor.accept(stream)).await
                {
                    Ok(Ok(stream)) => self.serve_http(stream).await,
                    Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
                    Err(_) => tracing::debug!("TLS handshake timed out"),
                }
            }
        }
    }

    async fn serve_http(self, io: impl AsyncRead + AsyncWrite + Unpin + Send + 'static) {
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout)
            .keep_alive(true);
        let connection =
            builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(self.app.clone()));
        // Slow, idle and vanished clients end here; they are the client's business.
        if let Err(error) = self.watcher.watch(connection).await {
            tracing::debug!(%error, "connection ended with an error");
        }
    }
}

/// Runs the rest of the stack under `timeout`. A request over it is answered
/// `408 REQUEST_TIMEOUT` with `Connection: close`, so its unread body is never waited for.
/// Work it started in the domain goes on: a payment's outcome is kept and can be asked for.
async fn within(timeout: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let mut response = ApiError::http(
                ErrorCode::RequestTimeout,
                format!(
                    "the request was not complete within {} seconds",
                    timeout.as_secs_f64()
                ),
            )
            .into_response();
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_those_of_the_spec_and_valid() {
        let limits = ConnectionLimits::default();
        assert_eq!(limits.header_read_timeout, Duration::from_secs(10));
        assert_eq!(limits.request_timeout, Duration::from_secs(30));
        assert_eq!(limits.max_connections, 10_000);
        limits.validate().unwrap();
    }

    #[test]
    fn zero_timeouts_and_a_zero_cap_are_refused() {
        let zero_timeout = ConnectionLimits {
            header_read_timeout: Duration::ZERO,
            ..ConnectionLimits::default()
        };
        assert!(zero_timeout.validate().is_err());
        let zero_cap = ConnectionLimits {
            max_connections: 0,
            ..ConnectionLimits::default()
        };
        assert!(zero_cap.validate().is_err());
    }

    #[test]
    fn missing_or_empty_tls_files_are_named_in_the_error() {
        let directory = tempfile::tempdir().unwrap();
        let empty = directory.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let files = TlsFiles {
            certificate: empty.clone(),
            private_key: directory.path().join("missing.key"),
        };
        let error = format!("{:#}", tls_acceptor(&files).err().unwrap());
        assert!(error.contains("no certificate in"), "{error}");
        assert!(error.contains("empty.pem"), "{error}");
    }
}
