//! The operator's stop: Ctrl-C (SIGINT) or SIGTERM, listened to for the whole run so that a
//! stop during a change is not lost. The walk looks at it between steps and during reads
//! and waits, never in the middle of a change.

use tokio::signal::unix::{Signal, SignalKind, signal};

#[derive(Default)]
pub(super) struct Interrupts {
    signals: Vec<Signal>,
}

impl Interrupts {
    /// Listens to SIGINT and SIGTERM from now on.
    pub(super) fn listen() -> Interrupts {
        Interrupts {
            signals: [SignalKind::interrupt(), SignalKind::terminate()]
                .into_iter()
                .filter_map(|kind| signal(kind).ok())
                .collect(),
        }
    }

    /// Whether a stop was asked for since the last look.
    pub(super) fn pending(&mut self) -> bool {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        self.signals
            .iter_mut()
            .any(|s| s.poll_recv(&mut cx).is_ready())
    }

    /// Resolves when a stop is asked for (never, when nothing is listened to).
    pub(super) async fn stopped(&mut self) {
        std::future::poll_fn(|cx| {
            if self.signals.iter_mut().any(|s| s.poll_recv(cx).is_ready()) {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            }
        })
        .await
    }
}
