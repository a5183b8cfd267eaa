//! The OpenAPI document of the API, generated from the handlers' annotations and the wire
//! types, so that it cannot drift from the code.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{admin, merchant, public, wallet};

/// The API's OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "paycode",
        description = "Payment codes: wallets show an 18-digit code, merchants charge it."
    ),
    paths(
        admin::create_user,
        admin::create_merchant,
        admin::add_merchant_key,
        admin::revoke_merchant_key,
        admin::topup,
        admin::unlock_device,
        admin::ledger_check,
        wallet::login,
        wallet::sessions,
        wallet::end_current_session,
        wallet::end_session,
        wallet::end_other_sessions,
        wallet::set_pin,
        wallet::balance,
        wallet::transactions,
        wallet::enroll_device,
        wallet::devices,
        wallet::revoke_device,
        wallet::rotate_device,
        wallet::online_code,
        wallet::pending_payments,
        wallet::confirm_payment,
        wallet::decline_payment,
        merchant::pay,
        merchant::payment,
        merchant::cancel,
        merchant::refund,
        merchant::refunds,
        merchant::balance,
        public::healthz,
        public::metrics,
        public::openapi,
    ),
    modifiers(&BearerSchemes)
)]
pub struct ApiDoc;

/// Declares the three bearer credentials: the admin key, wallet session tokens and merchant
/// API keys.
struct BearerSchemes;

impl Modify for BearerSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, description) in [
            ("admin", "The admin key"),
            (
                "wallet",
                "A wallet session token from POST /v1/wallet/sessions",
            ),
            ("merchant", "A merchant API key"),
        ] {
            let scheme = HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(description))
                .build();
            components.add_security_scheme(name, SecurityScheme::Http(scheme));
        }
    }
}
