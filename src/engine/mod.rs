//! The engine walks a checked plan for one resource: it renders templates from the context,
//! asks through a [`Prompter`], calls AWS through [`crate::actions::Api`], waits with live status,
//! journals every event, and resumes from the journal. It knows no control by name and no
//! terminal library: runbooks say what to do, `ui` says how it looks.

mod answers;
mod asker;
mod calls;
mod context;
mod flow;
mod footprint;
mod guard;
mod interrupt;
mod journal;
mod lock;
mod preview;
mod prompt;
mod recorder;
mod reporter;
mod resume;
mod saved_plan;
mod scripted;
pub mod secrets;
mod session;
mod wait;
mod walk;

pub use answers::{AnswersError, AnswersFile, AnswersPrompter};
pub use calls::{Request, ShownCall};
pub use context::{Context, REDACTED, Target, os_user};
pub use footprint::{Deleting, Footprint, order};
pub use interrupt::{listen_for_stop, stop_asked, stop_requested};
pub use journal::{Event, Journal, PlanRef, Record, RunSummary, list_runs};
pub use lock::lock_holder;
pub use preview::preview;
pub use prompt::{Answer, PromptError, Prompter, Question, Secret};
pub use reporter::{Place, RecordingReporter, Reporter, WaitDisplay, away};
pub use saved_plan::{
    DEFAULT_EXPIRY, PLAN_VERSION, PlanFile, PlanFileError, PlanPrompter, PlannedTarget, SavedPlan,
    parse_expiry, timestamp,
};
pub use scripted::ScriptedPrompter;
pub use session::{
    Engine, Preparation, Prepared, PreviewReport, RunOptions, RunReport, StartError, new_session_id,
};
pub use wait::{PollPolicy, Reading, WaitEnd, wait_until_ready};
