//! The operator's stop: Ctrl-C (SIGINT) or SIGTERM, listened to once for the whole process
//! from the first run on, so that a stop during a change, between runs or in a loop is never
//! lost. The walk looks at it before every step and during reads and waits, never in the
//! middle of a change, and the stop holds for the rest of the session. A second signal ends
//! the process at once (exit 3): the journal then holds every request started, so
//! `hubfix resume` checks what went through before sending anything again.

use std::sync::OnceLock;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

static STOP: OnceLock<watch::Sender<bool>> = OnceLock::new();

/// Starts listening to SIGINT and SIGTERM (once per process, on the current runtime).
fn listening() -> watch::Receiver<bool> {
    STOP.get_or_init(|| {
        let (tx, _) = watch::channel(false);
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return tx;
        };
        let stop = tx.clone();
        tokio::spawn(async move {
            let mut seen = 0;
            loop {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
                seen += 1;
                if seen == 1 {
                    stop.send_replace(true);
                } else {
                    eprintln!(
                        "hubfix: stopped at once on a second signal; `hubfix resume` checks what went through before sending anything again"
                    );
                    std::process::exit(3);
                }
            }
        });
        tx
    })
    .subscribe()
}

/// Listens from now on, for the whole process (a command that changes resources calls it
/// first, so a stop before its first run is kept too).
pub fn listen_for_stop() {
    drop(listening());
}

/// Whether the operator asked to stop (Ctrl-C or SIGTERM) in this process.
pub fn stop_requested() -> bool {
    STOP.get().is_some_and(|s| *s.borrow())
}

/// Resolves once the operator asks to stop.
pub async fn stop_asked() {
    let mut rx = listening();
    let _ = rx.wait_for(|stop| *stop).await;
}

/// A walk's view of the stop; a preview does not listen.
#[derive(Default)]
pub(super) struct Interrupts {
    stop: Option<watch::Receiver<bool>>,
}

impl Interrupts {
    /// Listens to SIGINT and SIGTERM from now on.
    pub(super) fn listen() -> Interrupts {
        Interrupts {
            stop: Some(listening()),
        }
    }

    /// Whether a stop was asked for.
    pub(super) fn pending(&mut self) -> bool {
        self.stop.as_ref().is_some_and(|rx| *rx.borrow())
    }

    /// Resolves when a stop is asked for (never, when nothing is listened to).
    pub(super) async fn stopped(&mut self) {
        match self.stop.as_mut() {
            Some(rx) => {
                let _ = rx.wait_for(|stop| *stop).await;
            }
            None => std::future::pending().await,
        }
    }
}
