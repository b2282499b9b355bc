//! Stage 4, build: runs the provider's link command — as it is for the generic image, rewritten
//! for the tailored one — and strips copies; children's failures carry their command line,
//! exit status and stderr.

pub mod embed;
pub mod strip_comments;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::inputs::link_command::{shell_join, LinkCommand, Linker, ToolKind};

/// What a finished link printed and how long it took.
#[derive(Debug, Clone)]
pub struct LinkRun {
    /// When the tool started (tailor's own time is the time no tool runs).
    pub started: Instant,
    pub elapsed: Duration,
    /// Lines of `--print-gc-sections` output (sections the linker removed).
    pub removed_sections: usize,
}

/// A command line for messages, shortened when it is very long (musl's names 1,300 objects).
pub fn short_command(argv: &[String]) -> String {
    let full = shell_join(argv);
    if full.len() <= 1500 {
        return full;
    }
    let mut cut = 1200;
    while !full.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{} ... ({} more characters)",
        &full[..cut],
        full.len() - cut
    )
}

/// Runs `argv`; fails with the command, status and stderr. Lines of stderr that report removed
/// sections are counted, the others are passed on to `log`.
pub fn run_link(
    argv: &[String],
    what: &'static str,
    log: &mut dyn std::io::Write,
) -> Result<LinkRun> {
    let start = Instant::now();
    let mut command = Command::new(&argv[0]);
    command.args(&argv[1..]);
    crate::trace::command(&command);
    let bar = crate::progress::spinner(format!("{what} ({})", argv[0]));
    let output = command.output();
    crate::progress::done(bar);
    let output = output.map_err(|e| Error::spawn(what, &argv[0], short_command(argv), e))?;
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(Error::Tool {
            what,
            command: short_command(argv),
            status: output.status.to_string(),
            stderr: stderr.into_owned(),
        });
    }
    // GNU ld reports removed sections on stderr, lld and mold on stdout.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut removed_sections = 0;
    for line in stdout.lines().chain(stderr.lines()) {
        if line.contains("removing unused section") {
            removed_sections += 1;
        } else if !line.trim().is_empty() {
            let _ = writeln!(log, "{line}");
        }
    }
    Ok(LinkRun {
        started: start,
        elapsed,
        removed_sections,
    })
}

/// The wall time during which at least one of `runs` was running (tools may run at once).
pub fn busy_time<'r>(runs: impl Iterator<Item = &'r LinkRun>) -> Duration {
    let mut spans: Vec<(Instant, Instant)> =
        runs.map(|r| (r.started, r.started + r.elapsed)).collect();
    spans.sort_unstable();
    let mut total = Duration::ZERO;
    let mut current: Option<(Instant, Instant)> = None;
    for (start, end) in spans {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                total += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    total + current.map_or(Duration::ZERO, |(s, e)| e - s)
}

/// The linker a command will run: the one asked for, else the one it names.
pub fn effective_linker(cmd: &LinkCommand, asked: Option<Linker>) -> Linker {
    if let Some(l) = asked {
        return l;
    }
    let argv = cmd.argv();
    match cmd.kind {
        ToolKind::Linker => Linker::from_name(&argv[0]),
        ToolKind::Driver => Linker::from_name(
            argv.iter()
                .rev()
                .find_map(|a| a.strip_prefix("-fuse-ld="))
                .unwrap_or("bfd"),
        ),
    }
}

/// Size-oriented linker options that are safe for any provider: no separate code segment
/// padding, only the GNU hash table; safe identical-code folding on lld and mold (`--icf=all`
/// is not used: it gives distinct exported functions with equal bodies one address — musl's
/// `abs` and `labs` — which C forbids).
pub fn size_options(linker: Linker) -> Vec<String> {
    let mut v = vec![
        "-z".to_string(),
        "noseparate-code".to_string(),
        "--hash-style=gnu".to_string(),
    ];
    if linker != Linker::Bfd {
        v.push("--icf=safe".into());
    }
    v
}

/// Writes a stripped copy of `image` to `stripped`.
pub fn strip_copy(image: &Path, stripped: &Path) -> Result<LinkRun> {
    let argv: Vec<String> = vec![
        "strip".into(),
        "--strip-all".into(),
        "-o".into(),
        stripped.display().to_string(),
        image.display().to_string(),
    ];
    run_link(&argv, "strip", &mut std::io::sink())
}
