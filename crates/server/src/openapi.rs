//! The OpenAPI document of the API, generated from the handlers' annotations and the wire
//! types, so that it cannot drift from the code.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use paycode_api::ErrorBody;

use crate::routes::{admin, merchant, public, reports, statements, wallet, webhooks};

/// The API's OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "paycode",
        description = "Payment codes: wallets show an 18-digit code, merchants charge it."
    ),
    paths(
        admin::users,
        admin::user,
        admin::user_transactions,
        admin::revoke_device,
        admin::merchants,
        admin::merchant_keys,
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
        reports::merchant_trades,
        reports::admin_trades,
        reports::summary,
        webhooks::webhook,
        webhooks::set_webhook,
        webhooks::delete_webhook,
        webhooks::events,
        webhooks::redeliver_event,
        webhooks::admin_webhook,
        webhooks::admin_set_webhook,
        webhooks::admin_delete_webhook,
        statements::statement,
        statements::settlement,
        public::healthz,
        public::metrics,
        public::openapi,
    ),
    modifiers(&BearerSchemes, &CommonResponses)
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

/// The answers an operation can get whatever its handler does, because they come from the
/// layers around it: the bearer check, the JSON body extractor and its size limit, the path
/// extractor, and the store. They are added here, to every operation they apply to, so that no
/// handler's annotation can leave one out; a handler that documents one of these statuses
/// itself keeps its own, more specific description.
struct CommonResponses;

/// One answer shared by many operations: its status, its name among the components, and its
/// description.
struct CommonResponse {
    status: &'static str,
    name: &'static str,
    description: &'static str,
}

const UNAUTHENTICATED: CommonResponse = CommonResponse {
    status: "401",
    name: "Unauthenticated",
    description: "`UNAUTHENTICATED`: the bearer credential is missing, wrong, expired or revoked",
};
const MALFORMED_REQUEST: CommonResponse = CommonResponse {
    status: "400",
    name: "MalformedRequest",
    description: "`MALFORMED_REQUEST`: the body is not JSON, not sent as `application/json`, \
                  or of the wrong shape; or a field is out of bounds",
};
const PAYLOAD_TOO_LARGE: CommonResponse = CommonResponse {
    status: "413",
    name: "PayloadTooLarge",
    description: "`PAYLOAD_TOO_LARGE`: the body is larger than 64 KiB",
};
const NOT_FOUND: CommonResponse = CommonResponse {
    status: "404",
    name: "NotFound",
    description: "`NOT_FOUND`: no such resource (also a path parameter that does not parse)",
};
const INTERNAL: CommonResponse = CommonResponse {
    status: "500",
    name: "Internal",
    description: "`INTERNAL`: a failure inside the server; the details are in its log only",
};
const UNAVAILABLE: CommonResponse = CommonResponse {
    status: "503",
    name: "Unavailable",
    description: "`UNAVAILABLE`: the database does not answer; retry later",
};

impl CommonResponse {
    fn response(&self) -> Response {
        ResponseBuilder::new()
            .description(self.description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                    .build(),
            )
            .build()
    }

    /// Adds the answer to `operation` unless it documents that status already.
    fn add_to(&self, operation: &mut Operation) {
        operation
            .responses
            .responses
            .entry(self.status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(self.name)));
    }
}

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for common in [
            &UNAUTHENTICATED,
            &MALFORMED_REQUEST,
            &PAYLOAD_TOO_LARGE,
            &NOT_FOUND,
            &INTERNAL,
            &UNAVAILABLE,
        ] {
            components
                .responses
                .insert(common.name.to_owned(), RefOr::T(common.response()));
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                add_common_responses(path, operation);
            }
        }
    }
}

fn add_common_responses(path: &str, operation: &mut Operation) {
    let authenticated = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    if authenticated {
        UNAUTHENTICATED.add_to(operation);
    }
    if operation.request_body.is_some() {
        MALFORMED_REQUEST.add_to(operation);
        PAYLOAD_TOO_LARGE.add_to(operation);
    }
    let has_path_parameters = operation
        .parameters
        .iter()
        .flatten()
        .any(|parameter| matches!(parameter.parameter_in, ParameterIn::Path));
    if has_path_parameters {
        NOT_FOUND.add_to(operation);
    }
    if path.starts_with("/v1/") {
        INTERNAL.add_to(operation);
        UNAVAILABLE.add_to(operation);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation of the document with its path and method.
    fn operations() -> Vec<(String, &'static str, Operation)> {
        let document = ApiDoc::openapi();
        let mut all = Vec::new();
        for (path, item) in document.paths.paths {
            for (method, operation) in [
                ("get", item.get),
                ("put", item.put),
                ("post", item.post),
                ("delete", item.delete),
                ("patch", item.patch),
            ] {
                if let Some(operation) = operation {
                    all.push((path.clone(), method, operation));
                }
            }
        }
        all
    }

    fn documents(operation: &Operation, status: &str) -> bool {
        operation.responses.responses.contains_key(status)
    }

    #[test]
    fn every_authenticated_operation_documents_401() {
        for (path, method, operation) in operations() {
            if operation
                .security
                .as_ref()
                .is_some_and(|security| !security.is_empty())
            {
                assert!(documents(&operation, "401"), "{method} {path}");
            }
        }
    }

    #[test]
    fn every_operation_with_a_body_documents_400_and_413() {
        for (path, method, operation) in operations() {
            if operation.request_body.is_some() {
                assert!(documents(&operation, "400"), "{method} {path}");
                assert!(documents(&operation, "413"), "{method} {path}");
            }
        }
    }

    #[test]
    fn every_operation_with_a_path_parameter_documents_404() {
        for (path, method, operation) in operations() {
            if path.contains('{') {
                assert!(documents(&operation, "404"), "{method} {path}");
            }
        }
    }

    #[test]
    fn every_api_operation_documents_the_server_errors() {
        for (path, method, operation) in operations() {
            if path.starts_with("/v1/") {
                assert!(documents(&operation, "500"), "{method} {path}");
                assert!(documents(&operation, "503"), "{method} {path}");
            }
        }
    }

    /// The bounds the document declares for a property of a component schema.
    fn bounds(document: &serde_json::Value, schema: &str, property: &str) -> serde_json::Value {
        let declared = &document["components"]["schemas"][schema]["properties"][property];
        serde_json::json!({
            "minLength": declared["minLength"],
            "maxLength": declared["maxLength"],
            "minimum": declared["minimum"],
            "maximum": declared["maximum"],
        })
    }

    #[test]
    fn the_declared_bounds_of_inputs_are_the_domain_limits() {
        use paycode_core::limits::{
            MAX_AMOUNT_MINOR, MAX_LABEL_BYTES, MAX_PASSWORD_BYTES, MAX_REFERENCE_BYTES,
            MAX_USERNAME_BYTES, MIN_PASSWORD_CHARS,
        };
        let document = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let text = |min: usize, max: usize| serde_json::json!({"minLength": min, "maxLength": max, "minimum": null, "maximum": null});
        let amount = serde_json::json!({
            "minLength": null, "maxLength": null, "minimum": 1, "maximum": MAX_AMOUNT_MINOR,
        });
        let cases = [
            ("CreateUserRequest", "username", text(1, MAX_USERNAME_BYTES)),
            (
                "CreateUserRequest",
                "password",
                text(MIN_PASSWORD_CHARS, MAX_PASSWORD_BYTES),
            ),
            ("CreateMerchantRequest", "name", text(1, MAX_LABEL_BYTES)),
            ("TopupRequest", "reference", text(1, MAX_REFERENCE_BYTES)),
            ("TopupRequest", "amount", amount.clone()),
            ("PayRequest", "out_trade_no", text(1, MAX_REFERENCE_BYTES)),
            ("PayRequest", "amount", amount.clone()),
            ("PayRequest", "subject", text(1, MAX_LABEL_BYTES)),
            ("PayRequest", "terminal_id", text(1, MAX_LABEL_BYTES)),
            (
                "RefundRequest",
                "out_refund_no",
                text(1, MAX_REFERENCE_BYTES),
            ),
            ("RefundRequest", "amount", amount),
            ("RefundRequest", "reason", text(1, MAX_LABEL_BYTES)),
            ("EnrollDeviceRequest", "name", text(1, MAX_LABEL_BYTES)),
        ];
        for (schema, property, expected) in cases {
            assert_eq!(
                bounds(&document, schema, property),
                expected,
                "{schema}.{property}"
            );
        }
    }

    #[test]
    fn the_declared_pin_pattern_is_the_domain_pin_rule() {
        use paycode_core::limits::{MAX_PIN_DIGITS, MIN_PIN_DIGITS};
        let document = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let expected = format!("^[0-9]{{{MIN_PIN_DIGITS},{MAX_PIN_DIGITS}}}$");
        for (schema, property) in [
            ("SetPinRequest", "pin"),
            ("SetPinRequest", "current_pin"),
            ("ConfirmPaymentRequest", "pin"),
        ] {
            let declared = &document["components"]["schemas"][schema]["properties"][property];
            assert_eq!(
                declared["pattern"],
                expected.as_str(),
                "{schema}.{property}"
            );
        }
    }

    #[test]
    fn bodies_that_may_be_left_out_are_not_required() {
        let document = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let body = &document["paths"]["/v1/wallet/codes"]["post"]["requestBody"];
        assert_ne!(body["required"], true, "{body}");
        // Enrolling needs the PIN or the password, so its body is required.
        for path in ["/v1/payments", "/v1/wallet/devices"] {
            let body = &document["paths"][path]["post"]["requestBody"];
            assert_eq!(body["required"], true, "{path}: {body}");
        }
    }

    /// The upper-case words a description quotes in backticks, such as `CODE_USED`.
    fn quoted_names(description: &str) -> Vec<&str> {
        description
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|word| {
                !word.is_empty()
                    && word
                        .bytes()
                        .all(|byte| byte.is_ascii_uppercase() || byte == b'_')
            })
            .collect()
    }

    /// Every error response the document describes: its status and its description.
    fn error_responses() -> Vec<(String, String)> {
        let document = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let mut all: Vec<(String, String)> = [
            &UNAUTHENTICATED,
            &MALFORMED_REQUEST,
            &PAYLOAD_TOO_LARGE,
            &NOT_FOUND,
            &INTERNAL,
            &UNAVAILABLE,
        ]
        .iter()
        .map(|common| (common.status.to_owned(), common.description.to_owned()))
        .collect();
        for item in document["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                let responses = operation["responses"].as_object().into_iter().flatten();
                for (status, response) in responses {
                    if let Some(description) = response["description"].as_str() {
                        all.push((status.clone(), description.to_owned()));
                    }
                }
            }
        }
        all.retain(|(status, _)| status.parse::<u16>().is_ok_and(|status| status >= 400));
        all
    }

    #[test]
    fn every_error_code_the_document_names_is_one_of_the_api_with_that_status() {
        use paycode_api::{ErrorCode, TradeStatus};
        let mut named = 0;
        for (status, description) in error_responses() {
            for name in quoted_names(&description) {
                let code = ErrorCode::ALL.iter().find(|code| code.as_str() == name);
                match code {
                    Some(code) => {
                        assert_eq!(code.http_status().to_string(), status, "{description}");
                        named += 1;
                    }
                    // An error may say which status of a trade it refuses.
                    None => assert!(
                        serde_json::from_value::<TradeStatus>(serde_json::json!(name)).is_ok(),
                        "{name} in {status} {description:?} is not an error code"
                    ),
                }
            }
        }
        assert!(named > 0);
    }

    #[test]
    fn a_status_the_handler_documents_keeps_its_description() {
        let document = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let created = &document["paths"]["/v1/admin/users"]["post"]["responses"]["400"];
        assert!(created["description"]
            .as_str()
            .is_some_and(|text| text.contains("username")));
        let shared = &document["paths"]["/v1/wallet/balance"]["get"]["responses"]["500"];
        assert_eq!(shared["$ref"], "#/components/responses/Internal");
        assert!(document["components"]["responses"]["Internal"].is_object());
    }
}
