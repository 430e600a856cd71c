//! The process exit status (design.md), one type for every command and run outcome: 0 done,
//! 1 a step or verification failed, 2 bad usage or input, 3 stopped by the operator, 4 timed
//! out. Worse statuses compare greater, so a batch ends with its worst.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum ExitStatus {
    #[default]
    Success,
    Failed,
    Usage,
    Stopped,
    TimedOut,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failed => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Stopped => 3,
            ExitStatus::TimedOut => 4,
        }
    }

    pub fn is_success(self) -> bool {
        self == ExitStatus::Success
    }
}
