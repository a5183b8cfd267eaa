//! The rules a webhook URL must pass before it is stored.

use crate::error::Error;
use crate::limits::MAX_WEBHOOK_URL_BYTES;

/// A webhook URL that passed every rule: at most [`MAX_WEBHOOK_URL_BYTES`], parsed by a real
/// URL parser, `http` or `https`, with a host and without user name or password, and on a host
/// the configuration allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// Parses a URL; `allowed_hosts` empty allows every host.
    pub fn parse(text: &str, allowed_hosts: &[String]) -> Result<Self, Error> {
        let refuse = |why: &str| Err(Error::MalformedRequest(format!("url {why}")));
        if text.len() > MAX_WEBHOOK_URL_BYTES {
            return refuse(&format!("must be at most {MAX_WEBHOOK_URL_BYTES} bytes"));
        }
        let Ok(url) = url::Url::parse(text) else {
            return refuse("is not a valid absolute URL");
        };
        if !matches!(url.scheme(), "http" | "https") {
            return refuse("must be http or https");
        }
        let Some(host) = url.host_str() else {
            return refuse("must name a host");
        };
        if !url.username().is_empty() || url.password().is_some() {
            return refuse("must not hold a user name or password");
        }
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if !allowed_hosts.is_empty()
            && !allowed_hosts
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(host))
        {
            return refuse("names a host this deployment does not deliver to");
        }
        Ok(Self(url.to_string()))
    }

    /// The URL, normalised by the parser.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_are_http_or_https_with_a_host_and_within_the_limits() {
        let any: Vec<String> = Vec::new();
        for good in [
            "https://shop.example/paycode",
            "http://127.0.0.1:8080/hook?x=1",
            "http://[::1]:9000/",
            "HTTPS://SHOP.EXAMPLE/",
        ] {
            assert!(WebhookUrl::parse(good, &any).is_ok(), "{good}");
        }
        let too_long = format!("https://shop.example/{}", "a".repeat(MAX_WEBHOOK_URL_BYTES));
        for bad in [
            "",
            "shop.example/hook",
            "ftp://shop.example/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://user:pass@shop.example/",
            "http://",
            too_long.as_str(),
        ] {
            assert!(
                matches!(
                    WebhookUrl::parse(bad, &any),
                    Err(Error::MalformedRequest(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_host_list_allows_only_its_hosts() {
        let allowed = vec!["hooks.example".to_owned(), "::1".to_owned()];
        assert!(WebhookUrl::parse("https://HOOKS.example/x", &allowed).is_ok());
        assert!(WebhookUrl::parse("http://[::1]:8080/x", &allowed).is_ok());
        assert!(WebhookUrl::parse("http://127.0.0.1/x", &allowed).is_err());
        assert!(WebhookUrl::parse("https://hooks.example.evil/x", &allowed).is_err());
    }
}
