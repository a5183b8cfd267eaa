//! The three kinds of caller (SPEC section 4), each an extractor over
//! `Authorization: Bearer <credential>`. A missing, malformed or wrong credential is
//! `401 UNAUTHENTICATED`; the check itself is the domain's.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use paycode_core::ids::{MerchantId, SessionId, UserId};

use crate::error::ApiError;
use crate::limits::MAX_CREDENTIAL_BYTES;
use crate::state::AppState;

/// The caller presented the admin key.
#[derive(Debug, Clone, Copy)]
pub struct AdminAuth;

/// The caller presented a live wallet session of this user.
#[derive(Debug, Clone, Copy)]
pub struct WalletAuth(pub UserId);

/// The caller presented a live wallet session: the session itself, for the calls that list
/// and end sessions.
#[derive(Debug, Clone, Copy)]
pub struct WalletSession {
    /// The session's owner.
    pub user: UserId,
    /// The session.
    pub session: SessionId,
}

/// The caller presented a live API key of this merchant.
#[derive(Debug, Clone, Copy)]
pub struct MerchantAuth(pub MerchantId);

/// The bearer credential of a request. Its value is never logged.
fn bearer(headers: &HeaderMap) -> Result<String, ApiError> {
    let unauthenticated = || ApiError::from(paycode_core::Error::Unauthenticated);
    let value = headers
        .get(AUTHORIZATION)
        .ok_or_else(unauthenticated)?
        .to_str()
        .map_err(|_| unauthenticated())?;
    let (scheme, credential) = value.split_once(' ').ok_or_else(unauthenticated)?;
    let credential = credential.trim();
    if !scheme.eq_ignore_ascii_case("bearer")
        || credential.is_empty()
        || credential.len() > MAX_CREDENTIAL_BYTES
    {
        return Err(unauthenticated());
    }
    Ok(credential.to_owned())
}

impl FromRequestParts<AppState> for AdminAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let credential = bearer(&parts.headers)?;
        state
            .run(move |paycode| paycode.authenticate_admin(&credential))
            .await?;
        Ok(AdminAuth)
    }
}

impl FromRequestParts<AppState> for WalletAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let credential = bearer(&parts.headers)?;
        state
            .run(move |paycode| paycode.authenticate_user(&credential))
            .await
            .map(WalletAuth)
    }
}

impl FromRequestParts<AppState> for WalletSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let credential = bearer(&parts.headers)?;
        let session = state
            .run(move |paycode| paycode.authenticate_session(&credential))
            .await?;
        Ok(WalletSession {
            user: session.user_id,
            session: session.id,
        })
    }
}

impl FromRequestParts<AppState> for MerchantAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let credential = bearer(&parts.headers)?;
        if let Some(merchant) = state.paycode.recently_authenticated_merchant(&credential) {
            return Ok(MerchantAuth(merchant));
        }
        state
            .run(move |paycode| paycode.authenticate_merchant(&credential))
            .await
            .map(MerchantAuth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value.parse().unwrap());
        headers
    }

    #[test]
    fn only_a_bearer_credential_of_bounded_length_is_read() {
        assert_eq!(
            bearer(&headers("Bearer pk_abc")).ok().as_deref(),
            Some("pk_abc")
        );
        assert_eq!(
            bearer(&headers("bearer  pk_abc ")).ok().as_deref(),
            Some("pk_abc")
        );
        for bad in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "pk_abc"] {
            assert!(bearer(&headers(bad)).is_err(), "{bad:?} was read");
        }
        let long = format!("Bearer {}", "a".repeat(MAX_CREDENTIAL_BYTES + 1));
        assert!(bearer(&headers(&long)).is_err());
        assert!(bearer(&HeaderMap::new()).is_err());
    }
}
