//! The command line (clap): global options and one subcommand per verb.

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The first poll interval, 1 to 60000 ms: 0 would poll AWS without pause, and more than a
/// minute would leave an operator waiting long after the resource is ready.
#[derive(Clone, Copy)]
pub struct PollMs;

impl TypedValueParser for PollMs {
    type Value = u64;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<u64, clap::Error> {
        value
            .to_str()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|ms| (1..=60_000).contains(ms))
            .ok_or_else(|| {
                clap::Error::raw(
                    ErrorKind::ValueValidation,
                    format!(
                        "invalid value '{}' for --poll-ms (or HUBFIX_POLL_MS): give the first poll interval in milliseconds, 1..=60000\n",
                        crate::text::escape_controls(&value.to_string_lossy())
                    ),
                )
                .with_cmd(cmd)
            })
    }
}

/// A text that must pass one of hubfix's checks (the approver's name, a reason). A refusal
/// says why without repeating the value, which may be long; the value is kept trimmed.
#[derive(Clone, Copy)]
pub struct Checked(fn(&str) -> Result<(), String>);

/// An approver's name that fits a finding note.
/// The most runs `--parallel` allows at once: a whole organization's findings of one control in
/// one wave. Each running run holds its journal and a connection or two; the rate limiters,
/// not this number, bound the calls a second.
const MAX_PARALLEL: i64 = 500;

pub const APPROVER: Checked = Checked(crate::findings::check_approver);
/// A reason that fits a finding note.
pub const REASON: Checked = Checked(crate::findings::check_reason);
/// A suppression's review date: `YYYY-MM-DD`, from today to three years ahead.
pub const REVIEW_DATE: Checked = Checked(|text| {
    crate::findings::review::check_review_date(text, crate::findings::review::today()).map(|_| ())
});
/// A day, `YYYY-MM-DD`.
pub const DATE: Checked = Checked(|text| crate::findings::review::parse_date(text).map(|_| ()));

impl TypedValueParser for Checked {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let name = arg.map_or_else(|| "the value".to_owned(), |a| format!("'{a}'"));
        let refuse = |problem: String| {
            clap::Error::raw(
                ErrorKind::ValueValidation,
                format!("invalid value for {name}: {problem}\n"),
            )
            .with_cmd(cmd)
        };
        let text = value
            .to_str()
            .ok_or_else(|| refuse("it is not UTF-8 text".into()))?;
        (self.0)(text).map_err(refuse)?;
        Ok(text.trim().to_owned())
    }
}

/// `--expires-in`: a validity within the bounds of a saved plan.
fn expiry(text: &str) -> Result<std::time::Duration, String> {
    crate::engine::parse_expiry(text)
}

#[derive(Debug, Parser)]
#[command(
    name = "hubfix",
    version,
    about = "Fix failed AWS Security Hub controls by walking reviewed runbooks",
    long_about = "hubfix finds failed Security Hub findings and walks a runbook for each: it asks the \
stakeholder question, suppresses the finding after sign-off or fixes the resource with the AWS SDK, \
waits for it to come back, verifies, and journals every step so a run can be resumed."
)]
pub struct Cli {
    /// AWS profile (default: AWS_PROFILE or the default profile).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// AWS region (default: AWS_REGION / the profile's region).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Send every AWS call to this endpoint (an emulator, a VPC endpoint); also AWS_ENDPOINT_URL.
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// Use the runbooks of this directory instead of the built-in ones.
    #[arg(long, global = true, value_name = "DIR")]
    pub runbooks: Option<PathBuf>,
    /// Where run journals are kept (default: $XDG_STATE_HOME/hubfix).
    #[arg(long, global = true, value_name = "DIR", env = "HUBFIX_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// More log output (-v, -vv, -vvv); logs go to stderr and never contain secrets.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors and data.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// No spinners, plain status lines instead.
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// Format of data output.
    #[arg(long, global = true, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Language of operator texts (default: from LANG).
    #[arg(long, global = true, value_enum)]
    pub lang: Option<LangArg>,
    /// First poll interval of waits in milliseconds, 1 to 60000 (tests and demos use a short
    /// one).
    #[arg(long, global = true, hide = true, env = "HUBFIX_POLL_MS", value_name = "MS",
          value_parser = PollMs)]
    pub poll_ms: Option<u64>,
    /// Act in a finding's member account by assuming the role of this name there
    /// (arn:<partition>:iam::<account>:role/NAME); findings are read and marked with the
    /// credentials' own account.
    #[arg(long, global = true, value_name = "NAME", env = "HUBFIX_ROLE_NAME")]
    pub role_name: Option<String>,
    /// The external id the member role requires.
    #[arg(long, global = true, value_name = "ID", env = "HUBFIX_EXTERNAL_ID")]
    pub external_id: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    En,
    Ja,
}

/// Which findings or resources to work on.
#[derive(Debug, Clone, Args, Default)]
pub struct Selectors {
    /// A control id, e.g. Redshift.7 (repeatable; default: every supported control).
    #[arg(long = "control", value_name = "ID")]
    pub controls: Vec<String>,
    /// A resource ARN or identifier (repeatable; needs --control). Works without a finding.
    #[arg(long = "resource", value_name = "ARN|ID")]
    pub resources: Vec<String>,
    /// A Security Hub finding id (repeatable).
    #[arg(long = "finding", value_name = "ID")]
    pub findings: Vec<String>,
    #[command(flatten)]
    pub scope: Scope,
}

/// Which accounts and regions to work in (default: every one the findings name).
#[derive(Debug, Clone, Args, Default)]
pub struct Scope {
    /// Only resources of this account (repeatable).
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<String>,
    /// Only resources in this region (repeatable).
    #[arg(long = "target-region", value_name = "REGION")]
    pub regions: Vec<String>,
}

impl Scope {
    /// Whether a resource of `account` in `region` is in scope (unknown ones are kept).
    pub fn admits(&self, account: Option<&str>, region: Option<&str>) -> bool {
        let fits = |wanted: &[String], have: Option<&str>| {
            wanted.is_empty() || have.is_none_or(|h| wanted.iter().any(|w| w == h))
        };
        fits(&self.accounts, account) && fits(&self.regions, region)
    }
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub selectors: Selectors,
    /// Show every step and the exact calls, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Answer prompts from this file instead of a terminal.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Who signed the decisions off (recorded in finding notes and the journal).
    #[arg(long, value_name = "NAME", value_parser = APPROVER)]
    pub approver: Option<String>,
    /// How many resources to change at once, once every question is answered.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=MAX_PARALLEL))]
    pub parallel: u16,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the supported controls.
    Controls,
    /// List failed, active, unsuppressed findings of the supported controls.
    Findings {
        /// Only these controls (repeatable).
        #[arg(long = "control", value_name = "ID")]
        controls: Vec<String>,
        #[command(flatten)]
        scope: Scope,
    },
    /// Walk the runbooks for failed findings or given resources.
    Run(RunArgs),
    /// Preview a run: every step and call, nothing changed (same as `run --dry-run`). With
    /// --answers, the path those answers choose, with the exact requests `run` would send.
    Plan {
        #[command(flatten)]
        selectors: Selectors,
        /// Walk the path these answers choose (default: show every branch).
        #[arg(long, value_name = "FILE")]
        answers: Option<PathBuf>,
        /// Who signs the decisions off (shown in the finding notes).
        #[arg(long, value_name = "NAME", value_parser = APPROVER)]
        approver: Option<String>,
        /// Ask every question (terminal or --answers) and write the plan to this file, for
        /// sign-off and `hubfix apply`; nothing is changed.
        #[arg(long, value_name = "PLAN.json")]
        out: Option<PathBuf>,
        /// How long the saved plan stays valid: 90m, 48h, 7d (at most 30d).
        #[arg(long, value_name = "DURATION", requires = "out", value_parser = expiry)]
        expires_in: Option<std::time::Duration>,
    },
    /// Apply a saved plan (`plan --out`): re-read every resource, refuse one whose state
    /// changed since the plan, and make exactly the planned changes without a question.
    Apply {
        /// The plan file.
        #[arg(value_name = "PLAN.json")]
        plan: PathBuf,
        /// Who approved the plan (recorded in the finding notes when the plan names nobody).
        #[arg(long, value_name = "NAME", value_parser = APPROVER)]
        approver: Option<String>,
        /// How many resources to change at once.
        #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=MAX_PARALLEL))]
        parallel: u16,
    },
    /// Suppress findings after sign-off, without a runbook.
    Suppress {
        /// The finding id (repeatable).
        #[arg(long = "finding", value_name = "ID", required = true)]
        findings: Vec<String>,
        /// Why the setting is intended (recorded in the finding note, at most 200 characters).
        #[arg(long, value_parser = REASON)]
        reason: String,
        /// Who signed it off.
        #[arg(long, value_name = "NAME", value_parser = APPROVER)]
        approver: String,
        /// When the exception must be reviewed (YYYY-MM-DD, from today to three years ahead;
        /// default: the period the control's runbook gives).
        #[arg(long, value_name = "DATE", value_parser = REVIEW_DATE)]
        review_by: Option<String>,
        /// Do not ask for confirmation (needed without a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// List the suppressions hubfix made whose review date has come; --reopen sets them back
    /// to NEW, so they are in `findings` and `run` again.
    Review {
        /// Review as of this day (YYYY-MM-DD; default: today, UTC): the suppressions to be
        /// reviewed by then are listed.
        #[arg(long, value_name = "DATE", value_parser = DATE)]
        as_of: Option<String>,
        /// Set the listed findings back to NEW with a note that the exception expired,
        /// after a yes for each (a terminal, --answers or --yes).
        #[arg(long)]
        reopen: bool,
        /// With --reopen, without a terminal: `reopen: true|false` per control or resource.
        #[arg(long, value_name = "FILE", requires = "reopen", conflicts_with = "yes")]
        answers: Option<PathBuf>,
        /// With --reopen: reopen every listed finding without asking.
        #[arg(long, requires = "reopen")]
        yes: bool,
        /// Who signs the reopening notes (default: the answers file's `approver:`, else the
        /// credentials' identity).
        #[arg(long, value_name = "NAME", value_parser = APPROVER)]
        approver: Option<String>,
    },
    /// List run journals.
    Runs {
        /// Only the runs of this session (a finding lock's note names the session).
        #[arg(long, value_name = "SESSION")]
        session: Option<String>,
    },
    /// Continue an interrupted or stopped run (default: the newest resumable one).
    Resume {
        run_id: Option<String>,
        /// Answer prompts from this file instead of a terminal.
        #[arg(long, value_name = "FILE")]
        answers: Option<PathBuf>,
        /// Who signs the decisions off.
        #[arg(long, value_name = "NAME", value_parser = APPROVER)]
        approver: Option<String>,
    },
    /// Check runbook files or directories (default: the runbooks in use).
    Validate { paths: Vec<PathBuf> },
    /// Print the JSON schema of the runbook format.
    Schema,
}
