//! Talking to AWS: SDK clients built once from aws-config (profile, region, endpoint URL),
//! errors sorted into what an operator can act on, rate limits and describes shared between
//! runs. Nothing here knows the call catalog or the engine: `actions` builds on this.

mod accounts;
mod clients;
mod error;
mod rate_limit;
mod shared_reads;

pub use accounts::{AccountError, Accounts};
pub use clients::{AwsSettings, Clients};
pub use error::{ApiError, ApiErrorKind};
pub use rate_limit::RateLimiter;
pub use shared_reads::SharedReads;
