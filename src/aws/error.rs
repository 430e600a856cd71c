//! API errors sorted by what the operator can do about them, with the operation named.

use aws_sdk_redshift::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;

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
        if let SdkError::ServiceError(service) = &err {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown");
            let message = e.message().unwrap_or(code).to_owned();
            return Self::new(Self::kind_of_code(code), operation, code, message);
        }
        let chain = DisplayErrorContext(&err).to_string();
        let lower = chain.to_ascii_lowercase();
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
        } else if matches!(
            err,
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)
        ) {
            (
                ApiErrorKind::Network,
                "Unreachable",
                format!("could not reach AWS: {chain}"),
            )
        } else {
            (ApiErrorKind::Other, "Error", chain)
        };
        Self::new(kind, operation, code, message)
    }
}
