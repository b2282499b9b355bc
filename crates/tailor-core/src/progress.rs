//! Shared by every stage: progress on stderr for the long steps (reading thousands of consumers, linking),
//! drawn only when stderr is a terminal; a pipe or a file never gets control characters.

use std::io::IsTerminal;
use std::time::Duration;

/// A spinner saying `what`, or `None` when stderr is not a terminal.
pub(crate) fn spinner(what: String) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(what);
    bar.enable_steady_tick(Duration::from_millis(100));
    Some(bar)
}

/// Clears a spinner (a no-op without one).
pub(crate) fn done(bar: Option<indicatif::ProgressBar>) {
    if let Some(b) = bar {
        b.finish_and_clear();
    }
}
