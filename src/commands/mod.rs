//! One file per subcommand; this file holds what they share: the runbook catalog, the
//! language, the state directory, AWS clients built on first use, and target selection.

mod apply;
mod controls;
mod findings;
mod resume;
mod review;
mod run;
mod runs;
mod streamed;
mod suppress;
mod targets;
mod validate;

use crate::aws::{Accounts, AwsSettings, Clients};
use crate::cli::{Cli, Command, LangArg, Output};
use crate::engine::{PollPolicy, RunOptions};
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::runbook::{Catalog, Lang};
use crate::ui::Printer;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What every command may need, built from the global options.
pub struct App {
    pub cli_runbooks: Option<PathBuf>,
    pub output: Output,
    pub lang: Lang,
    pub printer: Printer,
    pub state_dir: PathBuf,
    pub aws: AwsSettings,
    pub poll: PollPolicy,
    /// `--role-name`, `--external-id`: how to act in member accounts.
    pub role_name: Option<String>,
    pub external_id: Option<String>,
}

impl App {
    fn new(cli: &Cli) -> App {
        let lang = match cli.lang {
            Some(LangArg::Ja) => Lang::Ja,
            Some(LangArg::En) => Lang::En,
            None => Lang::from_locale(std::env::var("LANG").ok().as_deref()),
        };
        let state_dir = cli.state_dir.clone().unwrap_or_else(|| {
            dirs::state_dir()
                .or_else(|| dirs::home_dir().map(|h| h.join(".local/state")))
                .unwrap_or_else(std::env::temp_dir)
                .join("hubfix")
        });
        App {
            cli_runbooks: cli.runbooks.clone(),
            output: cli.output,
            lang,
            printer: Printer::new(cli.quiet, cli.no_progress, cli.verbose),
            state_dir,
            aws: AwsSettings {
                profile: cli.profile.clone(),
                region: cli.region.clone(),
                endpoint_url: cli.endpoint_url.clone(),
            },
            poll: cli
                .poll_ms
                .map(|ms| PollPolicy::starting_at(Duration::from_millis(ms.max(1))))
                .unwrap_or_default(),
            role_name: cli.role_name.clone(),
            external_id: cli.external_id.clone(),
        }
    }

    pub fn catalog(&self) -> Result<Catalog> {
        Catalog::load(self.cli_runbooks.as_deref(), &crate::actions::Catalog)
            .map_err(Error::Runbook)
    }

    pub fn clients(&self) -> Arc<Clients> {
        Arc::new(Clients::new(self.aws.clone()))
    }

    /// The clients of each account this session may act in (the credentials' own, and each
    /// member account's through `--role-name`).
    pub fn accounts(&self) -> Arc<Accounts> {
        Arc::new(Accounts::new(
            self.clients(),
            self.role_name.clone(),
            self.external_id.clone(),
        ))
    }

    /// The settings of a session's runs; `caller` is the credentials' identity (STS ARN).
    pub fn run_options(&self, approver: Option<String>, caller: Option<&str>) -> RunOptions {
        RunOptions {
            lang: self.lang,
            approver: approver
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty()),
            poll: self.poll,
            state_dir: self.state_dir.clone(),
            default_wait_timeout: Duration::from_secs(60 * 60),
            caller: caller.map(str::to_owned),
            applying: None,
            deleting: Default::default(),
            session: crate::engine::new_session_id(),
        }
    }
}

/// The stack of every thread that may read an AWS answer. A Security Hub finding's
/// `Resources[].Details` is one of the SDK's largest types: parsing a page of findings with
/// details needs more than a thread's default 2 MiB (far more in a debug build). Reserved,
/// not used: only the pages a thread touches cost memory.
pub const STACK_SIZE: usize = 64 * 1024 * 1024;

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(STACK_SIZE)
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))
}

/// Runs one command; the result is the exit status.
pub fn dispatch(cli: Cli) -> Result<ExitStatus> {
    let app = App::new(&cli);
    match cli.command {
        Command::Controls => controls::run(&app),
        Command::Validate { paths } => validate::run(&app, &paths),
        Command::Schema => {
            app.printer.data_block(&crate::runbook::schema_json());
            Ok(ExitStatus::Success)
        }
        Command::Runs { session } => runs::run(&app, session.as_deref()),
        Command::Findings { controls, scope } => {
            runtime()?.block_on(findings::run(&app, &controls, &scope))
        }
        Command::Run(args) => runtime()?.block_on(run::run(&app, args)),
        Command::Plan {
            selectors,
            answers,
            approver,
            out,
            expires_in,
        } => {
            let save = out.map(|path| apply::SaveTo {
                path,
                expires_in: expires_in.unwrap_or(crate::engine::DEFAULT_EXPIRY),
            });
            runtime()?.block_on(run::plan(
                &app,
                selectors,
                answers.as_deref(),
                approver,
                save,
            ))
        }
        Command::Apply {
            plan,
            approver,
            parallel,
        } => runtime()?.block_on(apply::run(&app, &plan, approver, parallel)),
        Command::Suppress {
            findings,
            reason,
            approver,
            review_by,
            yes,
        } => runtime()?.block_on(suppress::run(
            &app,
            &findings,
            &reason,
            &approver,
            review_by.as_deref(),
            yes,
        )),
        Command::Review {
            as_of,
            reopen,
            answers,
            yes,
            approver,
        } => runtime()?.block_on(review::run(
            &app,
            review::Args {
                as_of,
                reopen,
                answers,
                yes,
                approver,
            },
        )),
        Command::Resume {
            run_id,
            answers,
            approver,
        } => runtime()?.block_on(resume::run(&app, run_id, answers, approver)),
    }
}
