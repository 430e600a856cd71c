//! Where every line hubfix prints goes, decided once from `-q`, `--no-progress`, `-v` and
//! whether stderr is a terminal (after uv's `Printer`): data (tables, JSON, a plan) on
//! stdout whatever `-q` says, texts for people on stderr unless `-q`, warnings and errors on
//! stderr always (a warning names a risk the operator must see), and spinners only on a
//! terminal, without `-q`, `--no-progress` or `-v` (log lines would tear them).
//!
//! Every text printed may hold words from AWS, files or the command line, so control
//! characters in it are written as visible escapes ([`safe`]); hubfix's own styling (the
//! coloured `warning:` and `error:`) is added after that. JSON output is escaped by serde.

use std::borrow::Cow;
use std::io::IsTerminal;

/// A text made safe for the terminal: control characters other than line feeds and tabs
/// become visible escapes such as `\x1b`, so text from outside cannot drive the terminal.
pub fn safe(text: &str) -> Cow<'_, str> {
    crate::text::escape_controls(text)
}

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    quiet: bool,
    progress: bool,
}

impl Printer {
    pub fn new(quiet: bool, no_progress: bool, verbose: u8) -> Printer {
        Printer {
            quiet,
            progress: !quiet && !no_progress && verbose == 0 && std::io::stderr().is_terminal(),
        }
    }

    /// A printer for plain lines (no spinners), as on a pipe.
    pub fn plain(quiet: bool) -> Printer {
        Printer {
            quiet,
            progress: false,
        }
    }

    pub fn is_quiet(self) -> bool {
        self.quiet
    }

    /// Whether waits show spinners (else plain status lines).
    pub fn progress(self) -> bool {
        self.progress
    }

    /// A line for people, on stderr; `-q` hides it.
    pub fn status(self, text: &str) {
        if !self.quiet {
            eprintln!("{}", safe(text));
        }
    }

    /// Text that ends with its own newline (a table), for people, on stderr; `-q` hides it.
    pub fn status_block(self, text: &str) {
        if !self.quiet {
            eprint!("{}", safe(text));
        }
    }

    /// A line on stderr whatever `-q` says: how a run that did not succeed ended.
    pub fn important(self, text: &str) {
        eprintln!("{}", safe(text));
    }

    /// A warning, on stderr, whatever `-q` says.
    pub fn warn(self, text: &str) {
        eprintln!(
            "{} {}",
            console::style("warning:").yellow().bold(),
            safe(text)
        );
    }

    /// An error, on stderr, whatever `-q` says.
    pub fn error(self, text: &str) {
        eprintln!("{} {}", console::style("error:").red().bold(), safe(text));
    }

    /// The command's data, on stdout, whatever `-q` says.
    pub fn data(self, text: &str) {
        println!("{}", safe(text));
    }

    /// Data that ends with its own newline (a table), on stdout.
    pub fn data_block(self, text: &str) {
        print!("{}", safe(text));
    }

    /// Data as pretty JSON, on stdout.
    pub fn json<T: serde::Serialize>(self, value: &T) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => println!("{text}"),
            Err(e) => self.error(&format!("cannot write the output as JSON: {e}")),
        }
    }
}
