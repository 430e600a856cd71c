//! API errors sorted by what the operator can do about them, with the operation named.

use aws_sdk_redshift::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;
use std::sync::RwLock;

/// Where AWS calls go, for messages: the endpoint URL if one is set, else the region.
static DESTINATION: RwLock<Option<String>> = RwLock::new(None);

/// Remembers where the SDK sends calls (`Clients` tells it once the configuration is
/// loaded), so that a call that cannot get through names the place it tried.
pub fn note_destination(endpoint_url: Option<&str>, region: Option<&str>) {
    let place = match (endpoint_url, region) {
        (Some(url), _) => Some(format!("at {url}")),
        (None, Some(region)) => Some(format!("in {region}")),
        (None, None) => None,
    };
    *DESTINATION
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = place;
}

fn destination() -> String {
    DESTINATION
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .as_ref()
        .map(|place| format!(" {place}"))
        .unwrap_or_default()
}

/// The messages of an error and of its causes, joined by `: `, without the Debug dumps the
/// SDK's own `DisplayErrorContext` adds; a message repeated by its cause is given once.
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// Why a connection failed, in a few words: from the I/O error at the root of the chain
/// when there is one (`connection refused`), else the innermost message.
fn connection_problem(err: &(dyn std::error::Error + 'static)) -> String {
    let mut next = Some(err);
    let mut innermost = err.to_string();
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            return match io.kind() {
                ConnectionRefused => "connection refused".into(),
                ConnectionReset | ConnectionAborted => "the connection was closed".into(),
                TimedOut => "the connection timed out".into(),
                _ => io.to_string(),
            };
        }
        innermost = e.to_string();
        next = e.source();
    }
    innermost
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// The resource does not exist (or not in this account and region).
    NotFound,
    /// The caller lacks an IAM permission.
    AccessDenied,
    /// The resource is busy with another change.
    InvalidState,
    /// No credentials could be found.
    NoCredentials,
    /// No region is configured.
    NoRegion,
    /// Rate limited even after the SDK's retries.
    Throttled,
    /// The endpoint could not be reached.
    Network,
    /// A parameter was refused.
    Invalid,
    Other,
}

/// The code of an error for a call that never got an answer.
const UNREACHABLE: &str = "Unreachable";

/// An error from one API operation.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{operation}: {message}{hint}", hint = self.hint())]
pub struct ApiError {
    pub kind: ApiErrorKind,
    pub operation: String,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(
        kind: ApiErrorKind,
        operation: &str,
        code: &str,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            kind,
            operation: operation.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub fn not_found(operation: &str, message: impl Into<String>) -> Self {
        Self::new(ApiErrorKind::NotFound, operation, "NotFound", message)
    }

    pub fn invalid(operation: &str, message: impl Into<String>) -> Self {
        Self::new(
            ApiErrorKind::Invalid,
            operation,
            "InvalidParameter",
            message,
        )
    }

    /// What to do next, for the errors an operator can fix.
    fn hint(&self) -> String {
        match self.kind {
            ApiErrorKind::AccessDenied => format!(
                " (grant the IAM permission `{}` to the identity hubfix runs as)",
                self.operation
            ),
            ApiErrorKind::NoCredentials => " (set AWS_PROFILE or --profile, run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)".into(),
            ApiErrorKind::NoRegion => " (pass --region, set AWS_REGION, or give the profile a region)".into(),
            ApiErrorKind::NotFound => " (check the identifier, --region and --profile)".into(),
            // A call that could not get through says what to check in its message.
            ApiErrorKind::Network if self.code == UNREACHABLE => String::new(),
            ApiErrorKind::Network => " (check --endpoint-url, the network and the region)".into(),
            _ => String::new(),
        }
    }

    fn kind_of_code(code: &str) -> ApiErrorKind {
        let c = code.to_ascii_lowercase();
        if c.contains("credential")
            || c.contains("signature")
            || c.contains("expiredtoken")
            || c.contains("clienttokenid")
            || c == "unrecognizedclientexception"
        {
            ApiErrorKind::NoCredentials
        } else if c.contains("notfound") || c.contains("nosuch") {
            ApiErrorKind::NotFound
        } else if c.contains("accessdenied")
            || c.contains("unauthorized")
            || c.contains("notauthorized")
        {
            ApiErrorKind::AccessDenied
        } else if c.contains("state") {
            ApiErrorKind::InvalidState
        } else if c.contains("throttl")
            || c.contains("toomanyrequests")
            || c.contains("limitexceeded")
        {
            ApiErrorKind::Throttled
        } else if c.contains("invalid") || c.contains("validation") {
            ApiErrorKind::Invalid
        } else {
            ApiErrorKind::Other
        }
    }

    /// Sorts an SDK error. Credential and connection failures carry no service code, so
    /// they are told apart by the error chain.
    pub fn from_sdk<E, R>(operation: &str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let service = operation.split(':').next().unwrap_or(operation);
        let place = destination();
        if let SdkError::ServiceError(service_error) = &err {
            let e = service_error.err();
            let Some(code) = e.code() else {
                return Self::new(
                    ApiErrorKind::Other,
                    operation,
                    "Unknown",
                    format!(
                        "{service}{place} answered with something that is not an AWS error; check --endpoint-url: it must lead to the AWS service"
                    ),
                );
            };
            let message = e.message().unwrap_or(code).to_owned();
            return Self::new(Self::kind_of_code(code), operation, code, message);
        }
        let chain = causes(&err);
        let lower = chain.to_ascii_lowercase();
        const CHECK: &str = "check --endpoint-url, the network or proxy settings";
        let (kind, code, message) = if lower.contains("missingsigningregion")
            || lower.contains("missing signing region")
            || lower.contains("no region")
        {
            (
                ApiErrorKind::NoRegion,
                "NoRegion",
                "no AWS region is configured".to_owned(),
            )
        } else if lower.contains("credential") {
            (
                ApiErrorKind::NoCredentials,
                "NoCredentials",
                "no AWS credentials were found".to_owned(),
            )
        } else {
            match &err {
                SdkError::DispatchFailure(failure) => {
                    let why = if failure.is_timeout() {
                        "the connection timed out".to_owned()
                    } else {
                        connection_problem(&err)
                    };
                    (
                        ApiErrorKind::Network,
                        UNREACHABLE,
                        format!("cannot reach {service}{place}: {why}; {CHECK}"),
                    )
                }
                SdkError::TimeoutError(_) => (
                    ApiErrorKind::Network,
                    UNREACHABLE,
                    format!("{service}{place} did not answer in time; {CHECK}"),
                ),
                SdkError::ResponseError(_) => (
                    ApiErrorKind::Other,
                    "BadResponse",
                    format!(
                        "the answer of {service}{place} cannot be read ({chain}); check --endpoint-url: it must lead to the AWS service"
                    ),
                ),
                _ => (ApiErrorKind::Other, "Error", chain),
            }
        };
        Self::new(kind, operation, code, message)
    }
}
