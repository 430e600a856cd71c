//! Talking to the person: dialoguer prompts on a terminal, indicatif spinners for waits,
//! plain lines when there is no terminal, and tables or JSON for data output.

mod fleet;
mod printer;
mod reporter;
mod same_answers;
mod table;
mod terminal_prompter;

pub use fleet::{Fleet, FleetReporter, SharedPrompter};
pub use printer::Printer;
pub use reporter::TerminalReporter;
pub use table::Table;
pub use terminal_prompter::TerminalPrompter;

use std::io::IsTerminal;

/// Whether standard input and error are both a terminal (prompts need both).
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}
