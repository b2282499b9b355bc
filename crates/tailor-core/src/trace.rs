//! What tailor tells about its own run, shared by every stage: `-v/--verbose` prints every
//! command tailor runs (drivers, linkers, `strip`), one line each on stderr before it starts,
//! as `make` echoes its recipes, and what the input cache did; `TAILOR_TIMINGS=1` prints each phase's time and memory.

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

/// Prints `message()` on stderr, after `tailor: `, when the trace is on (what a cache did).
pub fn note(message: impl FnOnce() -> String) {
    if VERBOSE.load(Ordering::Relaxed) {
        eprintln!("tailor: {}", message());
    }
}

/// Phase timings on stderr when `TAILOR_TIMINGS` is set (for profiling; never in results).
pub struct Timings {
    start: std::time::Instant,
    last: std::time::Instant,
    enabled: bool,
}

impl Timings {
    /// Starts the clock.
    pub fn start() -> Self {
        let now = std::time::Instant::now();
        Timings {
            start: now,
            last: now,
            enabled: std::env::var_os("TAILOR_TIMINGS").is_some(),
        }
    }

    /// Reports the time since the previous phase.
    pub fn phase(&mut self, name: &str) {
        let now = std::time::Instant::now();
        if self.enabled {
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let rss: Vec<&str> = status
                .lines()
                .filter(|l| l.starts_with("RssAnon") || l.starts_with("RssFile"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?"))
                .collect();
            eprintln!(
                "tailor: {name}: {:.1} ms (total {:.1} ms; RSS anon/file KiB {})",
                (now - self.last).as_secs_f64() * 1e3,
                (now - self.start).as_secs_f64() * 1e3,
                rss.join("/")
            );
        }
        self.last = now;
    }
}
