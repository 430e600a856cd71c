//! hubfix: fix failed AWS Security Hub controls by walking YAML runbooks.
//!
//! `runbook` is the language, `engine` walks it, `actions` and `aws` talk to AWS,
//! `findings` to Security Hub, `ui` to the person, `commands` wires a verb to them.

pub mod actions;
pub mod aws;
pub mod certificates;
pub mod cli;
pub mod commands;
pub mod engine;
pub mod error;
pub mod findings;
pub mod runbook;
pub mod ui;

use tracing_subscriber::EnvFilter;

fn init_logging(verbose: u8, quiet: bool) {
    // SDK crates stay at info even at -vvv: their traces would carry request bodies. Without
    // -v only hubfix's own warnings show; the SDK's (IMDS probes, profile files) are noise
    // next to the error hubfix reports.
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (_, 0) => "hubfix=warn,error",
        (_, 1) => "hubfix=info,warn",
        (_, 2) => "hubfix=debug,info",
        _ => "hubfix=trace,info",
    };
    let mut filter =
        EnvFilter::try_from_env("HUBFIX_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    // Whatever HUBFIX_LOG asks, the HTTP and SDK layers never log below info: their debug
    // and trace lines carry request bodies, and a body can carry a secret (an AUTH token).
    for cap in [
        "aws_smithy_runtime=info",
        "aws_smithy_http=info",
        "aws_sdk_elasticache=info",
        "aws_sdk_databasemigration=info",
        "hyper=info",
        "hyper_util=info",
        "aws_config=info",
    ] {
        if let Ok(directive) = cap.parse() {
            filter = filter.add_directive(directive);
        }
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// A panic message never carries a secret: every secret given in this process is replaced
/// before the message is printed.
fn redact_panics() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "hubfix hit a bug{at}: {}; please report it with the run's journal",
            engine::secrets::scrub(&message)
        );
    }));
}

/// Runs a parsed command line and returns the process exit code.
pub fn main(cli: cli::Cli) -> i32 {
    init_logging(cli.verbose, cli.quiet);
    redact_panics();
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{} {e}", console::style("error:").red().bold());
            e.exit_code()
        }
    }
}
