//! hubfix: fix failed AWS Security Hub controls by walking YAML runbooks.
//!
//! `runbook` is the language, `engine` walks it, `actions` and `aws` talk to AWS,
//! `findings` to Security Hub, `ui` to the person, `commands` wires a verb to them.

pub mod actions;
pub mod aws;
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
    let filter = EnvFilter::try_from_env("HUBFIX_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Runs a parsed command line and returns the process exit code.
pub fn main(cli: cli::Cli) -> i32 {
    init_logging(cli.verbose, cli.quiet);
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{} {e}", console::style("error:").red().bold());
            e.exit_code()
        }
    }
}
