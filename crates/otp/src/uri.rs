//! Key URIs in the Google Authenticator format, read and written both ways.
//!
//! ```text
//! otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30
//! otpauth://hotp/Issuer:account?secret=BASE32&issuer=Issuer&counter=0
//! ```
//!
//! Reading follows what authenticator apps accept:
//!
//! - the scheme and the type (`totp`, `hotp`) are case-insensitive;
//! - the label is percent-decoded, then split at its first colon, so the separator may be a
//!   literal `:` or `%3A`; spaces after the separator are dropped, as the format allows;
//! - parameter values are percent-decoded, and `+` in a value means a space, as HTML forms
//!   and most URL libraries write it (in the label `+` stays a plus, so that addresses such as
//!   `alice+otp@example.com` survive);
//! - missing `algorithm`, `digits` and `period` default to SHA1, 6 and 30;
//! - an issuer in both the label and the `issuer` parameter must be the same; an empty issuer
//!   counts as none;
//! - parameters this module does not know, including `period` in an `hotp` URI and `counter`
//!   in a `totp` URI, are kept in order in [`KeyUri::extra`] and written back, so paycode's
//!   own parameters (`slot`, `prefix`, `codekey`) ride in the same URI;
//! - a known parameter given twice, a fragment (`#`) and a URI longer than
//!   [`MAX_URI_BYTES`], as given or as it would be written, are errors.
//!
//! Writing puts a literal `:` between issuer and account, percent-encodes everything else
//! except unreserved characters, and always writes the algorithm, digits and period or
//! counter, even at their defaults, so that no reader has to guess. Whatever was read is
//! written so that it reads back the same: an issuer with a colon (possible in the `issuer`
//! parameter) or an account starting with a space is written with the issuer in the parameter
//! only, and an account with a colon but no issuer is written after an empty issuer (`:acc:ount`).

use std::fmt;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use zeroize::Zeroizing;

use crate::limits::{MAX_PERIOD_SECONDS, MAX_URI_BYTES, MIN_PERIOD_SECONDS};
use crate::{Algorithm, Digits, Error, Secret, TotpParams};

const SCHEME: &str = "otpauth://";

/// Everything except the unreserved characters of RFC 3986 section 2.3 is percent-encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The kind of one-time password, with the state only that kind has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OtpKind {
    /// A time-based password (RFC 6238).
    Totp {
        /// The length of one time step, 1..=3600 seconds.
        period_seconds: u32,
    },
    /// A counter-based password (RFC 4226).
    Hotp {
        /// The counter of the next code.
        counter: u64,
    },
}

/// A parsed key URI.
///
/// `Debug` redacts the secret. `Display` writes the whole URI, secret included, because that
/// is what a QR code must hold: never log it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUri {
    /// TOTP with its period or HOTP with its counter.
    pub kind: OtpKind,
    /// The provider or service the account belongs to, if named. Authenticator apps expect no
    /// colon in it; one read from the `issuer` parameter is kept and written there alone.
    pub issuer: Option<String>,
    /// The account name, such as a user name or an email address. Authenticator apps expect no
    /// colon in it; one that follows the issuer's colon in a label is kept.
    pub account: String,
    /// The shared secret.
    pub secret: Secret,
    /// The hash under HMAC.
    pub algorithm: Algorithm,
    /// The number of digits in a code.
    pub digits: Digits,
    /// Parameters not known to this module, percent-decoded, in the order they appeared.
    pub extra: Vec<(String, String)>,
}

impl KeyUri {
    /// Reads a key URI with the rules of the [module documentation](self).
    ///
    /// A weak secret is accepted; check [`Secret::is_weak`] to warn about it.
    pub fn parse(uri: &str) -> Result<KeyUri, Error> {
        let (kind_name, label, query) = split_uri(uri)?;
        let (label_issuer, account) = parse_label(label)?;
        let parameters = Parameters::parse(query, kind_name)?;
        let issuer = agree_on_issuer(label_issuer, parameters.issuer)?;
        let kind = match kind_name {
            KindName::Hotp => OtpKind::Hotp {
                counter: parameters.counter.ok_or(Error::MissingCounter)?,
            },
            KindName::Totp => OtpKind::Totp {
                period_seconds: parameters
                    .period_seconds
                    .unwrap_or(TotpParams::default().period_seconds),
            },
        };
        let key = KeyUri {
            kind,
            issuer,
            account,
            secret: parameters.secret.ok_or(Error::MissingSecret)?,
            algorithm: parameters.algorithm.unwrap_or_default(),
            digits: parameters.digits.unwrap_or_default(),
            extra: parameters.extra,
        };
        // Writing adds the default parameters and may percent-encode more than the reader did,
        // so a URI just under the limit can grow past it. Refusing it here keeps the promise
        // that whatever is read can be written and read back.
        let written_bytes = Zeroizing::new(key.to_uri()).len();
        if written_bytes > MAX_URI_BYTES {
            return Err(Error::InvalidUri(format!(
                "the key URI has {written_bytes} bytes once written in full, more than the \
                 limit of {MAX_URI_BYTES}"
            )));
        }
        Ok(key)
    }

    /// Writes the key URI, secret included, with the rules of the
    /// [module documentation](self).
    pub fn to_uri(&self) -> String {
        let issuer = self.issuer.as_deref().filter(|issuer| !issuer.is_empty());
        let (kind_name, kind_parameter) = match self.kind {
            OtpKind::Totp { period_seconds } => ("totp", format!("period={period_seconds}")),
            OtpKind::Hotp { counter } => ("hotp", format!("counter={counter}")),
        };
        let mut uri = format!("{SCHEME}{kind_name}/");
        uri.push_str(&self.label(issuer));
        uri.push_str("?secret=");
        uri.push_str(&self.secret.to_base32());
        if let Some(issuer) = issuer {
            uri.push_str("&issuer=");
            uri.push_str(&encode(issuer));
        }
        uri.push_str(&format!(
            "&algorithm={}&digits={}&{kind_parameter}",
            self.algorithm, self.digits
        ));
        for (name, value) in &self.extra {
            uri.push_str(&format!("&{}={}", encode(name), encode(value)));
        }
        uri
    }

    /// The label, `Issuer:account`, in a form that reads back as the same issuer and account.
    ///
    /// Reading splits the label at its first colon and drops the spaces after it, so the issuer
    /// stays out of the label when it contains a colon or the account starts with a space; the
    /// `issuer` parameter alone carries it then. An account with a colon but no issuer in front
    /// gets an empty one (a leading colon), so that its own colon is not read as the separator.
    fn label(&self, issuer: Option<&str>) -> String {
        let account = encode(&self.account);
        match issuer {
            Some(issuer) if !issuer.contains(':') && !self.account.starts_with(' ') => {
                format!("{}:{account}", encode(issuer))
            }
            _ if self.account.contains(':') => format!(":{account}"),
            _ => account,
        }
    }

    /// The value of the first parameter called `name` among those this module does not know.
    pub fn extra_param(&self, name: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(extra_name, _)| extra_name == name)
            .map(|(_, value)| value.as_str())
    }

    /// The TOTP parameters, or `None` for an HOTP key.
    pub fn totp_params(&self) -> Option<TotpParams> {
        match self.kind {
            OtpKind::Totp { period_seconds } => Some(TotpParams {
                algorithm: self.algorithm,
                digits: self.digits,
                period_seconds,
            }),
            OtpKind::Hotp { .. } => None,
        }
    }
}

impl fmt::Display for KeyUri {
    /// Writes [`KeyUri::to_uri`], secret included.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.to_uri())
    }
}

/// The type named after the scheme, before the parameters that complete it are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KindName {
    Totp,
    Hotp,
}

impl KindName {
    fn parse(name: &str) -> Result<KindName, Error> {
        match name.to_ascii_lowercase().as_str() {
            "totp" => Ok(KindName::Totp),
            "hotp" => Ok(KindName::Hotp),
            _ => Err(Error::InvalidUri(format!(
                "unknown OTP type {name:?}: expected totp or hotp"
            ))),
        }
    }
}

/// Checks the size, scheme and shape of a key URI and splits it into type, label and query.
fn split_uri(uri: &str) -> Result<(KindName, &str, &str), Error> {
    if uri.len() > MAX_URI_BYTES {
        return Err(Error::InvalidUri(format!(
            "the key URI has {} bytes, more than the limit of {MAX_URI_BYTES}",
            uri.len()
        )));
    }
    if uri.contains('#') {
        return Err(invalid("a key URI has no fragment ('#')"));
    }
    let rest = strip_prefix_ignoring_case(uri, SCHEME)
        .ok_or_else(|| invalid("a key URI starts with otpauth://"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (kind_name, label) = path.split_once('/').ok_or_else(|| {
        invalid("a key URI has a label after the type, as in otpauth://totp/label")
    })?;
    Ok((KindName::parse(kind_name)?, label, query))
}

/// The known parameters of one query, each at most once, and the unknown ones in order.
#[derive(Default)]
struct Parameters {
    secret: Option<Secret>,
    issuer: Option<String>,
    algorithm: Option<Algorithm>,
    digits: Option<Digits>,
    period_seconds: Option<u32>,
    counter: Option<u64>,
    extra: Vec<(String, String)>,
}

impl Parameters {
    fn parse(query: &str, kind_name: KindName) -> Result<Parameters, Error> {
        let mut parameters = Parameters::default();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode_value(name)?;
            // The value may be the secret, so it is wiped once read.
            let value = Zeroizing::new(decode_value(value)?);
            parameters.set(name, value, kind_name)?;
        }
        Ok(parameters)
    }

    fn set(
        &mut self,
        name: String,
        value: Zeroizing<String>,
        kind_name: KindName,
    ) -> Result<(), Error> {
        match name.as_str() {
            "secret" => set_once(&mut self.secret, &name, Some(Secret::from_base32(&value)?)),
            "issuer" => {
                let issuer = Some(value.to_string()).filter(|issuer| !issuer.is_empty());
                set_once(&mut self.issuer, &name, issuer)
            }
            "algorithm" => set_once(&mut self.algorithm, &name, Some(value.parse()?)),
            "digits" => set_once(
                &mut self.digits,
                &name,
                Some(Digits::try_from(parse_number(&name, &value)?)?),
            ),
            "period" if kind_name == KindName::Totp => {
                let period_seconds = parse_period(&value)?;
                set_once(&mut self.period_seconds, &name, Some(period_seconds))
            }
            "counter" if kind_name == KindName::Hotp => {
                let counter = parse_number(&name, &value)?;
                set_once(&mut self.counter, &name, Some(counter))
            }
            _ => {
                self.extra.push((name, value.to_string()));
                Ok(())
            }
        }
    }
}

/// Stores a known parameter, refusing a second occurrence: two secrets or two periods leave no
/// safe way to choose.
fn set_once<T>(slot: &mut Option<T>, name: &str, value: Option<T>) -> Result<(), Error> {
    if slot.is_some() {
        return Err(Error::InvalidUri(format!(
            "parameter {name:?} appears more than once"
        )));
    }
    *slot = value;
    Ok(())
}

/// Splits a label into issuer and account at its first colon, after percent-decoding.
fn parse_label(label: &str) -> Result<(Option<String>, String), Error> {
    let label = decode(label)?;
    let (issuer, account) = match label.split_once(':') {
        Some((issuer, account)) => (Some(issuer), account.trim_start_matches(' ')),
        None => (None, label.as_str()),
    };
    if account.is_empty() {
        return Err(Error::MissingAccount);
    }
    let issuer = issuer
        .filter(|issuer| !issuer.is_empty())
        .map(str::to_owned);
    Ok((issuer, account.to_owned()))
}

fn agree_on_issuer(
    label: Option<String>,
    parameter: Option<String>,
) -> Result<Option<String>, Error> {
    match (label, parameter) {
        (Some(label), Some(parameter)) if label != parameter => {
            Err(Error::IssuerMismatch { label, parameter })
        }
        (label, parameter) => Ok(label.or(parameter)),
    }
}

fn parse_number(parameter: &str, value: &str) -> Result<u64, Error> {
    value.parse().map_err(|_| Error::InvalidNumber {
        parameter: parameter.to_owned(),
        value: value.to_owned(),
    })
}

fn parse_period(value: &str) -> Result<u32, Error> {
    let period_seconds = parse_number("period", value)?;
    u32::try_from(period_seconds)
        .ok()
        .filter(|period| (MIN_PERIOD_SECONDS..=MAX_PERIOD_SECONDS).contains(period))
        .ok_or(Error::InvalidPeriod { period_seconds })
}

/// Percent-decodes a query name or value, reading `+` as a space.
///
/// The intermediate copy is wiped because the value may be the secret.
fn decode_value(text: &str) -> Result<String, Error> {
    decode(&Zeroizing::new(text.replace('+', " ")))
}

/// Percent-decodes text that must be UTF-8 once decoded.
fn decode(text: &str) -> Result<String, Error> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| invalid("the key URI is not UTF-8 once percent-decoded"))
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

fn strip_prefix_ignoring_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn invalid(reason: &str) -> Error {
    Error::InvalidUri(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    fn parse(uri: &str) -> KeyUri {
        KeyUri::parse(uri).unwrap_or_else(|error| panic!("parsing {uri}: {error}"))
    }

    #[test]
    fn a_complete_totp_uri_is_read() {
        let key = parse(&format!(
            "otpauth://totp/ACME%20Co:john.doe@email.com?secret={SECRET}&issuer=ACME%20Co\
             &algorithm=SHA256&digits=8&period=60"
        ));
        assert_eq!(key.kind, OtpKind::Totp { period_seconds: 60 });
        assert_eq!(key.issuer.as_deref(), Some("ACME Co"));
        assert_eq!(key.account, "john.doe@email.com");
        assert_eq!(key.secret.expose_bytes(), b"12345678901234567890");
        assert_eq!(key.algorithm, Algorithm::Sha256);
        assert_eq!(key.digits, Digits::EIGHT);
        assert!(key.extra.is_empty());
        assert_eq!(
            key.totp_params(),
            Some(TotpParams::new(Algorithm::Sha256, Digits::EIGHT, 60).unwrap())
        );
    }

    #[test]
    fn the_label_separator_may_be_a_colon_or_percent_3a() {
        for label in [
            "Acme:alice",
            "Acme%3Aalice",
            "Acme%3aalice",
            "Acme:%20alice",
            "Acme%3A  alice",
        ] {
            let key = parse(&format!("otpauth://totp/{label}?secret={SECRET}"));
            assert_eq!(key.issuer.as_deref(), Some("Acme"), "label {label}");
            assert_eq!(key.account, "alice", "label {label}");
        }
    }

    #[test]
    fn missing_parameters_take_their_defaults() {
        let key = parse(&format!("otpauth://totp/alice?secret={SECRET}"));
        assert_eq!(key.kind, OtpKind::Totp { period_seconds: 30 });
        assert_eq!(key.algorithm, Algorithm::Sha1);
        assert_eq!(key.digits, Digits::SIX);
        assert_eq!(key.totp_params(), Some(TotpParams::default()));
    }

    #[test]
    fn a_uri_without_any_issuer_is_read_and_written_without_one() {
        let key = parse(&format!(
            "otpauth://totp/alice%40example.com?secret={SECRET}"
        ));
        assert_eq!(key.issuer, None);
        assert_eq!(key.account, "alice@example.com");
        let written = key.to_uri();
        assert!(!written.contains("issuer"), "{written}");
        assert!(
            written.starts_with("otpauth://totp/alice%40example.com?"),
            "{written}"
        );
        assert_eq!(parse(&written), key);
    }

    #[test]
    fn an_issuer_only_in_the_parameter_or_only_in_the_label_is_used() {
        let key = parse(&format!(
            "otpauth://totp/alice?secret={SECRET}&issuer=Big+Corp"
        ));
        assert_eq!(key.issuer.as_deref(), Some("Big Corp"));
        let key = parse(&format!("otpauth://totp/Big%20Corp:alice?secret={SECRET}"));
        assert_eq!(key.issuer.as_deref(), Some("Big Corp"));
        let key = parse(&format!(
            "otpauth://totp/Big%20Corp:alice?secret={SECRET}&issuer=Big%20Corp"
        ));
        assert_eq!(key.issuer.as_deref(), Some("Big Corp"));
        let key = parse(&format!("otpauth://totp/:alice?secret={SECRET}&issuer="));
        assert_eq!(key.issuer, None);
    }

    #[test]
    fn a_plus_in_the_label_stays_a_plus() {
        let key = parse(&format!(
            "otpauth://totp/Acme:alice+otp@example.com?secret={SECRET}"
        ));
        assert_eq!(key.account, "alice+otp@example.com");
        assert_eq!(parse(&key.to_uri()), key);
    }

    #[test]
    fn an_issuer_in_the_label_that_differs_from_the_parameter_is_an_error() {
        let error = KeyUri::parse(&format!(
            "otpauth://totp/Acme:alice?secret={SECRET}&issuer=Evil"
        ))
        .unwrap_err();
        assert_eq!(
            error,
            Error::IssuerMismatch {
                label: "Acme".to_owned(),
                parameter: "Evil".to_owned()
            }
        );
        assert!(error.to_string().contains("Acme") && error.to_string().contains("Evil"));
        assert!(KeyUri::parse(&format!(
            "otpauth://totp/acme:alice?secret={SECRET}&issuer=Acme"
        ))
        .is_err());
    }

    #[test]
    fn an_issuer_parameter_with_a_colon_is_written_so_that_it_reads_back() {
        let key = parse(&format!(
            "otpauth://totp/alice?secret={SECRET}&issuer=h%3A%2Fi"
        ));
        assert_eq!(key.issuer.as_deref(), Some("h:/i"));
        assert_eq!(key.account, "alice");
        let written = key.to_uri();
        assert!(written.starts_with("otpauth://totp/alice?"), "{written}");
        assert_eq!(parse(&written), key);
    }

    #[test]
    fn an_account_with_a_colon_and_no_issuer_is_written_so_that_it_reads_back() {
        let key = parse(&format!("otpauth://totp/:bob:smith?secret={SECRET}"));
        assert_eq!(key.issuer, None);
        assert_eq!(key.account, "bob:smith");
        let written = key.to_uri();
        assert!(
            written.starts_with("otpauth://totp/:bob%3Asmith?"),
            "{written}"
        );
        assert_eq!(parse(&written), key);
    }

    #[test]
    fn an_account_starting_with_a_space_is_written_so_that_it_reads_back() {
        let key = parse(&format!(
            "otpauth://totp/%20alice?secret={SECRET}&issuer=Acme"
        ));
        assert_eq!(key.issuer.as_deref(), Some("Acme"));
        assert_eq!(key.account, " alice");
        let written = key.to_uri();
        assert!(written.starts_with("otpauth://totp/%20alice?"), "{written}");
        assert_eq!(parse(&written), key);
    }

    #[test]
    fn an_hotp_uri_needs_a_counter() {
        assert_eq!(
            KeyUri::parse(&format!("otpauth://hotp/Acme:alice?secret={SECRET}")),
            Err(Error::MissingCounter)
        );
        let key = parse(&format!(
            "otpauth://hotp/Acme:alice?secret={SECRET}&counter=18446744073709551615"
        ));
        assert_eq!(key.kind, OtpKind::Hotp { counter: u64::MAX });
        assert_eq!(key.totp_params(), None);
        assert_eq!(parse(&key.to_uri()), key);
    }

    #[test]
    fn a_uri_without_a_secret_is_an_error() {
        assert_eq!(
            KeyUri::parse("otpauth://totp/Acme:alice?issuer=Acme"),
            Err(Error::MissingSecret)
        );
        assert_eq!(
            KeyUri::parse("otpauth://totp/Acme:alice?secret="),
            Err(Error::EmptySecret)
        );
    }

    #[test]
    fn unknown_parameters_are_kept_in_order_and_written_back() {
        let uri = format!(
            "otpauth://totp/Paycode:alice?secret={SECRET}&issuer=Paycode&algorithm=SHA1&digits=6\
             &period=30&slot=123456789&prefix=81&codekey=MFRGGZDFMZTWQ2LK"
        );
        let key = parse(&uri);
        assert_eq!(
            key.extra,
            [
                ("slot".to_owned(), "123456789".to_owned()),
                ("prefix".to_owned(), "81".to_owned()),
                ("codekey".to_owned(), "MFRGGZDFMZTWQ2LK".to_owned()),
            ]
        );
        assert_eq!(key.extra_param("prefix"), Some("81"));
        assert_eq!(key.extra_param("missing"), None);
        assert_eq!(key.to_uri(), uri);
        assert_eq!(key.to_string(), uri);
    }

    #[test]
    fn parameters_of_the_other_kind_are_kept_as_unknown() {
        let key = parse(&format!(
            "otpauth://hotp/alice?secret={SECRET}&counter=5&period=30"
        ));
        assert_eq!(key.extra_param("period"), Some("30"));
        let key = parse(&format!("otpauth://totp/alice?secret={SECRET}&counter=5"));
        assert_eq!(key.extra_param("counter"), Some("5"));
        assert_eq!(parse(&key.to_uri()), key);
    }

    #[test]
    fn scheme_and_type_are_case_insensitive_and_algorithm_values_too() {
        let key = parse(&format!(
            "OTPAUTH://TOTP/alice?secret={}&algorithm=sha512",
            SECRET.to_lowercase()
        ));
        assert_eq!(key.algorithm, Algorithm::Sha512);
        assert_eq!(key.secret.expose_bytes(), b"12345678901234567890");
    }

    #[test]
    fn a_weak_secret_is_imported_and_reported() {
        let key = parse("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP");
        assert!(key.secret.is_weak());
        assert_eq!(key.secret.bits(), 80);
    }

    #[test]
    fn malformed_uris_are_errors_that_say_why() {
        let cases: &[(String, Error)] = &[
            (
                format!("https://totp/alice?secret={SECRET}"),
                invalid("a key URI starts with otpauth://"),
            ),
            (
                format!("otpauth://motp/alice?secret={SECRET}"),
                Error::InvalidUri("unknown OTP type \"motp\": expected totp or hotp".to_owned()),
            ),
            (
                format!("otpauth://totp?secret={SECRET}"),
                invalid("a key URI has a label after the type, as in otpauth://totp/label"),
            ),
            (
                format!("otpauth://totp/?secret={SECRET}"),
                Error::MissingAccount,
            ),
            (
                format!("otpauth://totp/Acme:?secret={SECRET}"),
                Error::MissingAccount,
            ),
            (
                format!("otpauth://totp/alice?secret={SECRET}&digits=9"),
                Error::InvalidDigits { digits: 9 },
            ),
            (
                format!("otpauth://totp/alice?secret={SECRET}&digits=300"),
                Error::InvalidDigits { digits: 300 },
            ),
            (
                format!("otpauth://totp/alice?secret={SECRET}&digits=six"),
                Error::InvalidNumber {
                    parameter: "digits".to_owned(),
                    value: "six".to_owned(),
                },
            ),
            (
                format!("otpauth://totp/alice?secret={SECRET}&period=0"),
                Error::InvalidPeriod { period_seconds: 0 },
            ),
            (
                format!("otpauth://totp/alice?secret={SECRET}&period=3601"),
                Error::InvalidPeriod {
                    period_seconds: 3601,
                },
            ),
            (
                format!("otpauth://totp/alice?secret={SECRET}&period=99999999999"),
                Error::InvalidPeriod {
                    period_seconds: 99_999_999_999,
                },
            ),
            (
                format!("otpauth://hotp/alice?secret={SECRET}&counter=-1"),
                Error::InvalidNumber {
                    parameter: "counter".to_owned(),
                    value: "-1".to_owned(),
                },
            ),
            (
                format!("otpauth://totp/alice?secret={SECRET}&algorithm=MD5"),
                Error::UnknownAlgorithm {
                    name: "MD5".to_owned(),
                },
            ),
            (
                format!("otpauth://totp/alice?secret={SECRET}&secret={SECRET}"),
                Error::InvalidUri("parameter \"secret\" appears more than once".to_owned()),
            ),
            (
                "otpauth://totp/alice?secret=GEZDGNBV1Y3TQOJQ".to_owned(),
                Error::InvalidBase32 {
                    position: 8,
                    character: '1',
                },
            ),
            (
                format!("otpauth://totp/alice?secret={SECRET}#x"),
                invalid("a key URI has no fragment ('#')"),
            ),
            (
                format!("otpauth://totp/%FF?secret={SECRET}"),
                invalid("the key URI is not UTF-8 once percent-decoded"),
            ),
        ];
        for (uri, expected) in cases {
            assert_eq!(
                KeyUri::parse(uri).as_ref().err(),
                Some(expected),
                "parsing {uri}"
            );
        }
    }

    #[test]
    fn a_uri_that_would_grow_past_the_limit_once_written_is_refused() {
        // Every `!` of the issuer is written as `%21`, because the writer percent-encodes all
        // but the unreserved characters: the written form would not fit, so it is refused now.
        let prefix = format!("otpauth://totp/alice?secret={SECRET}&issuer=");
        let fits = |issuer: &str| format!("{prefix}{issuer}");
        let uri = fits(&"!".repeat(MAX_URI_BYTES - prefix.len()));
        assert_eq!(uri.len(), MAX_URI_BYTES);
        let error = KeyUri::parse(&uri).unwrap_err();
        assert!(
            matches!(&error, Error::InvalidUri(message) if message.contains("once written")),
            "{error}"
        );
        let short = fits("!");
        assert_eq!(parse(&parse(&short).to_uri()), parse(&short));
    }

    #[test]
    fn an_overlong_uri_is_refused_before_it_is_read() {
        let uri = format!(
            "otpauth://totp/alice?secret={SECRET}&pad={}",
            "x".repeat(MAX_URI_BYTES)
        );
        let error = KeyUri::parse(&uri).unwrap_err();
        assert!(
            matches!(&error, Error::InvalidUri(message) if message.contains("limit")),
            "{error}"
        );
    }

    #[test]
    fn writing_percent_encodes_label_parts_and_values() {
        let key = KeyUri {
            kind: OtpKind::Totp { period_seconds: 30 },
            issuer: Some("Big Corp & Co".to_owned()),
            account: "alice+otp@example.com".to_owned(),
            secret: Secret::from_base32(SECRET).unwrap(),
            algorithm: Algorithm::Sha1,
            digits: Digits::SIX,
            extra: vec![("note".to_owned(), "a=b&c d/é".to_owned())],
        };
        assert_eq!(
            key.to_uri(),
            format!(
                "otpauth://totp/Big%20Corp%20%26%20Co:alice%2Botp%40example.com?secret={SECRET}\
                 &issuer=Big%20Corp%20%26%20Co&algorithm=SHA1&digits=6&period=30\
                 &note=a%3Db%26c%20d%2F%C3%A9"
            )
        );
        assert_eq!(parse(&key.to_uri()), key);
    }

    #[test]
    fn a_key_uri_redacts_its_secret_in_debug_output() {
        let key = parse(&format!("otpauth://totp/Acme:alice?secret={SECRET}"));
        let debug = format!("{key:?}");
        assert!(debug.contains("Secret([REDACTED])"), "{debug}");
        assert!(
            !debug.contains(SECRET) && !debug.contains("GEZDGNBV"),
            "{debug}"
        );
        assert!(
            !debug.contains("1234") && !debug.contains("49, 50"),
            "{debug}"
        );
    }

    const KNOWN_NAMES: [&str; 6] = [
        "secret",
        "issuer",
        "algorithm",
        "digits",
        "period",
        "counter",
    ];

    fn any_key_uri() -> impl Strategy<Value = KeyUri> {
        let kind = prop_oneof![
            (1u32..=3600).prop_map(|period_seconds| OtpKind::Totp { period_seconds }),
            any::<u64>().prop_map(|counter| OtpKind::Hotp { counter }),
        ];
        let extra = proptest::collection::vec(
            (
                "[a-z][a-z0-9_]{0,10}"
                    .prop_filter("known name", |name| !KNOWN_NAMES.contains(&name.as_str())),
                "\\PC{0,20}",
            ),
            0..4,
        );
        (
            kind,
            proptest::option::of("[^:]{1,20}"),
            "[^: ][^:]{0,20}",
            proptest::collection::vec(any::<u8>(), 1..64),
            proptest::sample::select(Algorithm::ALL.to_vec()),
            6u8..=8,
            extra,
        )
            .prop_map(
                |(kind, issuer, account, secret, algorithm, digits, extra)| KeyUri {
                    kind,
                    issuer,
                    account,
                    secret: Secret::from_bytes(secret).unwrap(),
                    algorithm,
                    digits: Digits::new(digits).unwrap(),
                    extra,
                },
            )
    }

    proptest! {
        #[test]
        fn writing_then_reading_a_key_uri_gives_it_back(key in any_key_uri()) {
            let uri = key.to_uri();
            prop_assert_eq!(KeyUri::parse(&uri).unwrap(), key);
        }
    }
}
