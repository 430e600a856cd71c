//! Acting in member accounts: a security team reads every account's findings in its
//! delegated administrator account, and fixes each resource in its own account by assuming a
//! role of one name there (`--role-name`), as AWS's own Automated Security Response does.
//! Each account's role is assumed once per session and its clients shared by every target of
//! that account; STS must then say the credentials are in that account.

use super::{ApiError, Clients};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Mutex, OnceCell};

/// Why a target's account cannot be acted in.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AccountError {
    #[error(
        "{what} is in account {account}, but the credentials are for account {caller}: pass --role-name NAME (a role of that name in each member account that trusts this account), or use a profile for account {account}"
    )]
    NoRole {
        what: String,
        account: String,
        caller: String,
    },
    #[error(
        "cannot assume {role_arn}: {reason}; check that the role exists in account {account}, that its trust policy allows this account's principal{external}, and that this principal may call sts:AssumeRole on it"
    )]
    CannotAssume {
        role_arn: String,
        account: String,
        reason: String,
        external: &'static str,
    },
    #[error(
        "{role_arn} gave credentials for account {got}, not {account}; nothing was changed there"
    )]
    WrongAccount {
        role_arn: String,
        account: String,
        got: String,
    },
    #[error(transparent)]
    Caller(#[from] ApiError),
}

impl AccountError {
    /// Refused for the whole session (a usage error), not only for one account's targets.
    pub fn is_usage(&self) -> bool {
        matches!(self, AccountError::NoRole { .. })
    }
}

/// One account's role session, assumed at most once (its outcome kept, failure included).
type Session = Arc<OnceCell<Result<Arc<Clients>, AccountError>>>;

/// The clients of each account a session acts in.
pub struct Accounts {
    caller_clients: Arc<Clients>,
    role_name: Option<String>,
    external_id: Option<String>,
    caller: OnceCell<(String, String)>,
    assumed: Mutex<HashMap<String, Session>>,
}

impl Accounts {
    pub fn new(
        caller_clients: Arc<Clients>,
        role_name: Option<String>,
        external_id: Option<String>,
    ) -> Accounts {
        Accounts {
            caller_clients,
            role_name,
            external_id,
            caller: OnceCell::new(),
            assumed: Mutex::new(HashMap::new()),
        }
    }

    /// The credentials' own clients (findings are read and marked with these).
    pub fn caller_clients(&self) -> Arc<Clients> {
        self.caller_clients.clone()
    }

    /// The account of the credentials (asked once).
    pub async fn caller(&self) -> Result<&str, ApiError> {
        Ok(self.identity().await?.0.as_str())
    }

    /// The ARN of the credentials (asked once): who signs a session off when nobody is named.
    pub async fn caller_arn(&self) -> Result<&str, ApiError> {
        Ok(self.identity().await?.1.as_str())
    }

    async fn identity(&self) -> Result<&(String, String), ApiError> {
        self.caller
            .get_or_try_init(|| self.caller_clients.identity())
            .await
    }

    /// The role hubfix assumes in `account`, if it may act there.
    pub fn role_arn(&self, partition: &str, account: &str) -> Option<String> {
        self.role_name
            .as_ref()
            .map(|name| format!("arn:{partition}:iam::{account}:role/{name}"))
    }

    /// The clients to act in `account` with (the caller's own for the caller's account or an
    /// unknown one), and the role assumed for it, if any. `what` names the target in errors.
    pub async fn clients_for(
        &self,
        account: Option<&str>,
        partition: &str,
        what: &str,
    ) -> Result<(Arc<Clients>, Option<String>), AccountError> {
        let Some(account) = account else {
            return Ok((self.caller_clients.clone(), None));
        };
        let caller = self.caller().await?;
        if account == caller {
            return Ok((self.caller_clients.clone(), None));
        }
        let Some(role_arn) = self.role_arn(partition, account) else {
            return Err(AccountError::NoRole {
                what: what.to_owned(),
                account: account.to_owned(),
                caller: caller.to_owned(),
            });
        };
        let assumed = self.clients_with_role(&role_arn, account).await?;
        Ok((assumed, Some(role_arn)))
    }

    /// The clients of `role_arn` in `account`, assumed once per session and shared (also a
    /// role journaled by an earlier session, for `hubfix resume`).
    pub async fn clients_with_role(
        &self,
        role_arn: &str,
        account: &str,
    ) -> Result<Arc<Clients>, AccountError> {
        let cell = self
            .assumed
            .lock()
            .await
            .entry(account.to_owned())
            .or_default()
            .clone();
        cell.get_or_init(|| self.assume(role_arn, account))
            .await
            .clone()
    }

    /// Assumes the role and checks, with STS, the account its credentials are in.
    async fn assume(&self, role_arn: &str, account: &str) -> Result<Arc<Clients>, AccountError> {
        let clients = self
            .caller_clients
            .assuming(role_arn, self.external_id.as_deref())
            .await;
        let got = clients
            .account()
            .await
            .map_err(|e| AccountError::CannotAssume {
                role_arn: role_arn.to_owned(),
                account: account.to_owned(),
                reason: e.to_string(),
                external: if self.external_id.is_some() {
                    " with this external id"
                } else {
                    " (and whether it requires an external id: --external-id)"
                },
            })?;
        if got != account {
            return Err(AccountError::WrongAccount {
                role_arn: role_arn.to_owned(),
                account: account.to_owned(),
                got,
            });
        }
        Ok(Arc::new(clients))
    }
}
