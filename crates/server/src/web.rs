//! The web clients of SPEC section 6, served from files embedded in the binary.
//!
//! The sources live in the repository's top-level `web/` folder as plain ES modules with no
//! build step, so the files embedded here are the files in the repository: the three pages
//! `web/wallet/` (the wallet), `web/pos/` (the till) and `web/admin/` (the operator's console)
//! are served at `/wallet/`, `/pos/` and `/admin/`, the code they share (`web/shared/`) at
//! `/shared/`, and the
//! vendored third-party libraries (`web/vendor/`) at `/vendor/`. Nothing else of `web/` (tests,
//! scripts, `node_modules`) is embedded. Running paycode needs no Node.js and no network.
//!
//! Every answer carries a strict Content-Security-Policy (only this origin, no inline script or
//! style, no plugins, no framing) and caching headers: file names carry no content hash, so
//! browsers must revalidate every time (`no-cache` with an `ETag`, answered with 304 when
//! unchanged); the wallet's service worker keeps its own copy for when the phone is offline.

use axum::extract::Path;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION,
    REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::RustEmbed;

/// The Content-Security-Policy of every page and asset: everything from this origin only, and
/// no inline script or style (neither is listed, so `default-src` forbids them).
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The caching rule of every file: keep a copy, but ask the server before using it.
pub const CACHE_CONTROL_VALUE: &str = "no-cache";

/// The files of the web clients, embedded at compile time (also in debug builds, so that tests
/// serve exactly what a release serves).
#[derive(RustEmbed)]
#[folder = "../../web/"]
#[include = "wallet/**"]
#[include = "pos/**"]
#[include = "admin/**"]
#[include = "shared/**"]
#[include = "vendor/**"]
#[exclude = "**/.*"]
struct WebFiles;

/// The folders served, each under the URL path of the same name.
const SERVED_FOLDERS: [&str; 5] = ["wallet", "pos", "admin", "shared", "vendor"];

/// The routes of the web clients, for any router state.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let mut router = Router::new();
    for (_, path) in PAGES {
        let folder = path.trim_matches('/');
        router = router
            .route(
                path.trim_end_matches('/'),
                get(move || async move { redirect(path) }),
            )
            .route(
                path,
                get(move |headers: HeaderMap| async move {
                    serve(&format!("{folder}/index.html"), &headers)
                }),
            );
    }
    for folder in SERVED_FOLDERS {
        router = router.route(
            &format!("/{folder}/{{*path}}"),
            get(
                move |Path(path): Path<String>, headers: HeaderMap| async move {
                    serve(&format!("{folder}/{path}"), &headers)
                },
            ),
        );
    }
    router
}

/// The pages `paycode serve` offers, by name, with their URL paths. Each page's files are in
/// the `web/` folder named like its path.
pub const PAGES: [(&str, &str); 3] = [
    ("wallet", "/wallet/"),
    ("till", "/pos/"),
    ("console", "/admin/"),
];

/// The full URLs of [`PAGES`] under `base` (such as `http://127.0.0.1:8080`), for printing at
/// start. A wildcard listen address is shown as loopback, which a browser on the same machine
/// can open.
pub fn page_urls(base: &str) -> Vec<(&'static str, String)> {
    let base = base
        .trim_end_matches('/')
        .replace("://0.0.0.0:", "://127.0.0.1:")
        .replace("://[::]:", "://[::1]:");
    PAGES
        .iter()
        .map(|(page, path)| (*page, format!("{base}{path}")))
        .collect()
}

fn redirect(location: &'static str) -> Response {
    (
        StatusCode::PERMANENT_REDIRECT,
        [(LOCATION, HeaderValue::from_static(location))],
    )
        .into_response()
}

/// Answers with the embedded file at `path` (relative to `web/`), or 404.
fn serve(path: &str, request_headers: &HeaderMap) -> Response {
    let Some(file) = WebFiles::get(path) else {
        return crate::error::ApiError::not_found("no such file").into_response();
    };
    let etag = entity_tag(&file.metadata.sha256_hash());
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL_VALUE));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        ETAG,
        HeaderValue::from_str(&etag).expect("a hex entity tag is a valid header value"),
    );
    let unchanged = request_headers
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
    (headers, file.data.into_owned()).into_response()
}

/// A strong entity tag from the file's SHA-256, computed at compile time.
fn entity_tag(sha256: &[u8; 32]) -> String {
    let hex: String = sha256[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("\"{hex}\"")
}

/// The media type of a served file, from its extension. Module scripts must be served as
/// JavaScript, or browsers refuse to run them.
fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, extension)| extension);
    match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "txt" | "LICENSE" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    use super::*;

    async fn get(path: &str, if_none_match: Option<&str>) -> Response {
        let mut request = Request::get(path);
        if let Some(tag) = if_none_match {
            request = request.header(IF_NONE_MATCH, tag);
        }
        routes::<()>()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    fn header<'a>(response: &'a Response, name: &str) -> &'a str {
        response.headers()[name].to_str().unwrap()
    }

    #[tokio::test]
    async fn the_wallet_page_is_served_with_a_strict_policy_and_revalidation() {
        let response = get("/wallet/", None).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header(&response, "content-type"),
            "text/html; charset=utf-8"
        );
        let policy = header(&response, "content-security-policy");
        assert!(policy.starts_with("default-src 'self';"), "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");
        assert_eq!(header(&response, "cache-control"), "no-cache");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
        assert!(header(&response, "etag").starts_with('"'));
    }

    #[tokio::test]
    async fn modules_manifest_and_vendored_libraries_have_their_media_types() {
        for (path, media_type) in [
            ("/wallet/app.js", "text/javascript; charset=utf-8"),
            ("/wallet/sw.js", "text/javascript; charset=utf-8"),
            ("/shared/crypto.js", "text/javascript; charset=utf-8"),
            ("/vendor/uqr.mjs", "text/javascript; charset=utf-8"),
            ("/wallet/manifest.webmanifest", "application/manifest+json"),
            ("/wallet/icons/icon-192.png", "image/png"),
        ] {
            let response = get(path, None).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(header(&response, "content-type"), media_type, "{path}");
        }
    }

    #[tokio::test]
    async fn an_unchanged_file_is_answered_with_not_modified() {
        let first = get("/shared/crypto.js", None).await;
        let etag = header(&first, "etag").to_owned();
        let again = get("/shared/crypto.js", Some(&etag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        let other = get("/shared/crypto.js", Some("\"something else\"")).await;
        assert_eq!(other.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn tests_scripts_and_unknown_files_are_not_served() {
        for path in [
            "/wallet/missing.js",
            "/test/vectors.json",
            "/scripts/vendor.mjs",
            "/wallet/../package.json",
            "/shared/../test/crypto.test.js",
            "/package.json",
        ] {
            let response = get(path, None).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        }
    }

    #[test]
    fn page_urls_name_a_browsable_address() {
        assert_eq!(
            page_urls("http://0.0.0.0:8080/"),
            vec![
                ("wallet", "http://127.0.0.1:8080/wallet/".to_owned()),
                ("till", "http://127.0.0.1:8080/pos/".to_owned()),
                ("console", "http://127.0.0.1:8080/admin/".to_owned()),
            ]
        );
        assert_eq!(
            page_urls("https://pay.example.com")[0],
            ("wallet", "https://pay.example.com/wallet/".to_owned())
        );
    }

    #[tokio::test]
    async fn the_bare_page_paths_redirect_to_their_folders() {
        for page in ["wallet", "pos", "admin"] {
            let response = get(&format!("/{page}"), None).await;
            assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
            assert_eq!(header(&response, "location"), format!("/{page}/"));
        }
    }
}
