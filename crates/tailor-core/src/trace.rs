//! `-v/--verbose`: every command tailor runs (drivers, linkers, `strip`), one line each on
//! stderr before it starts, as `make` echoes its recipes. Shared by every stage.

use std::sync::atomic::{AtomicBool, Ordering};

static VERBOSE: AtomicBool = AtomicBool::new(false);

/// Turns the trace on or off for the whole process.
pub fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

/// Prints `command` (shell-quoted) on stderr when the trace is on.
pub fn command(command: &std::process::Command) {
    if !VERBOSE.load(Ordering::Relaxed) {
        return;
    }
    let mut argv = vec![command.get_program().to_string_lossy().into_owned()];
    argv.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    eprintln!(
        "tailor: running: {}",
        crate::inputs::link_command::shell_join(&argv)
    );
}
