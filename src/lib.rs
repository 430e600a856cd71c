//! hubfix: fix failed AWS Security Hub controls by walking YAML runbooks.
//!
//! `runbook` is the language, `engine` walks it, `actions` and `aws` talk to AWS,
//! `findings` to Security Hub, `ui` to the person, `commands` wires a verb to them.
//! `files` reads the small files an operator names, `text` makes outside text safe to show.

pub mod actions;
pub mod aws;
pub mod certificates;
pub mod cli;
pub mod commands;
pub mod engine;
pub mod error;
pub mod exit;
pub mod files;
pub mod findings;
pub mod runbook;
pub mod text;
pub mod ui;

use tracing_subscriber::EnvFilter;

fn init_logging(verbose: u8, quiet: bool) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::filter::{FilterExt, filter_fn};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // Without -v only hubfix's own warnings show; the SDK's (IMDS probes, profile files) are
    // noise next to the error hubfix reports.
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (_, 0) => "hubfix=warn,error",
        (_, 1) => "hubfix=info,warn",
        (_, 2) => "hubfix=debug,info",
        _ => "hubfix=trace,info",
    };
    let filter = EnvFilter::try_from_env("HUBFIX_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    // Whatever -v or HUBFIX_LOG ask, the SDK and HTTP layers never log below info: their
    // debug and trace lines carry request bodies, and a body can carry a secret (an AUTH
    // token). A separate filter, so no directive can lift it.
    let cap = filter_fn(|meta| {
        let t = meta.target();
        let below_info = *meta.level() > tracing::Level::INFO;
        !(below_info
            && (t.starts_with("aws")
                || t.starts_with("hyper")
                || t.starts_with("h2")
                || t.starts_with("rustls")))
    });
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(false)
                .with_filter(filter.and(cap)),
        )
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
            text::escape_controls(&engine::secrets::scrub(&message))
        );
    }));
}

/// Runs a parsed command line and returns the process exit code.
pub fn main(cli: cli::Cli) -> i32 {
    init_logging(cli.verbose, cli.quiet);
    redact_panics();
    match commands::dispatch(cli) {
        Ok(status) => status.code(),
        Err(e) => {
            ui::Printer::plain(false).error(&e.to_string());
            e.exit_status().code()
        }
    }
}
