//! Twilio's error responses: `{"code","message","more_info","status"}` with the matching HTTP status.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An error the fake answers with, rendered exactly like Twilio's REST error JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Twilio error code (20003, 20403, 20404, 20001…).
    pub code: u32,
    /// Human-readable message.
    pub message: String,
}

impl ApiError {
    /// 401 / 20003: missing or wrong credentials.
    pub fn unauthenticated() -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: 20003,
            message: "Authenticate".to_owned(),
        }
    }

    /// 403 / 20403: the account is suspended or closed.
    pub fn forbidden() -> Self {
        ApiError {
            status: StatusCode::FORBIDDEN,
            code: 20403,
            message: "Forbidden".to_owned(),
        }
    }

    /// 404 / 20404 for a request path; Serverless paths are named without their `/v1` prefix, like Twilio does.
    pub fn not_found(request_path: &str) -> Self {
        let resource = request_path.strip_prefix("/v1").unwrap_or(request_path);
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: 20404,
            message: format!("The requested resource {resource} was not found"),
        }
    }

    /// 400 / 20001: a query parameter has an invalid value.
    pub fn invalid_parameter(message: String) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: 20001,
            message,
        }
    }

    /// 429 / 20429: too many requests in flight at once (not processed; safe to retry).
    pub fn too_many_requests() -> Self {
        ApiError::of_status(StatusCode::TOO_MANY_REQUESTS)
    }

    /// An error of any status, with Twilio's code for it (20000 + status, 20001 for 400, 20003 for 401)
    /// and the status's reason as the message.
    pub fn of_status(status: StatusCode) -> Self {
        let code = match status.as_u16() {
            400 => 20001,
            401 => 20003,
            other => 20000 + u32::from(other),
        };
        ApiError {
            status,
            code,
            message: status.canonical_reason().unwrap_or("Error").to_owned(),
        }
    }

    /// The JSON body Twilio sends for this error.
    pub fn body(&self) -> Value {
        json!({
            "code": self.code,
            "message": self.message,
            "more_info": format!("https://www.twilio.com/docs/errors/{}", self.code),
            "status": self.status.as_u16(),
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.status, &self.body())
    }
}

/// A response with a JSON body and `Content-Type: application/json`.
pub fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let text = serde_json::to_vec(body).expect("the fake's answers always serialize");
    (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unauthenticated_body_is_twilios() {
        assert_eq!(
            ApiError::unauthenticated().body().to_string(),
            r#"{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}"#
        );
    }

    #[test]
    fn too_many_requests_body_is_twilios() {
        assert_eq!(
            ApiError::too_many_requests().body().to_string(),
            r#"{"code":20429,"message":"Too Many Requests","more_info":"https://www.twilio.com/docs/errors/20429","status":429}"#
        );
        assert_eq!(
            ApiError::of_status(StatusCode::SERVICE_UNAVAILABLE).code,
            20503
        );
    }

    #[test]
    fn not_found_strips_v1_only() {
        assert_eq!(
            ApiError::not_found("/v1/Services/ZS1").message,
            "The requested resource /Services/ZS1 was not found"
        );
        assert_eq!(
            ApiError::not_found("/2010-04-01/Nope.json").message,
            "The requested resource /2010-04-01/Nope.json was not found"
        );
    }
}
