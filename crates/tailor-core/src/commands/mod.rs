//! The commands of the CLI contract, each reading like the pipeline row of DESIGN.md:
//! inputs → analysis → decisions → output. The binary only parses arguments and maps the
//! returned [`Status`] to an exit code.

pub mod exports;
pub mod needs;
pub mod provider;
pub mod version_script;

use std::io::Write;
use std::path::Path;

use crate::analysis::{self, ElfFacts};
use crate::error::{Error, Result};
use crate::inputs::{self, InputSet, InputSpec};

/// How a command ended when it produced its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exit 0.
    Ok,
    /// Exit 1: a check or verification found problems.
    ChecksFailed,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// The consumers, mapped and read.
pub struct Consumers<'a> {
    pub inputs: &'a InputSet,
    pub facts: Vec<ElfFacts<'a>>,
    /// Display names, by file id.
    pub names: Vec<String>,
}

/// Expands and maps the inputs (the caller keeps the set alive; facts borrow from it).
pub fn collect_inputs(spec: &InputSpec) -> Result<InputSet> {
    let set = inputs::collect(spec)?;
    if set.files.is_empty() {
        return Err(Error::Usage(format!(
            "no ELF input files ({} non-ELF files skipped)",
            set.skipped_non_elf
        )));
    }
    Ok(set)
}

/// Reads every consumer's facts in parallel (with a progress bar on a terminal).
pub fn read_consumers(set: &InputSet) -> Result<Consumers<'_>> {
    let bar = progress_bar(set.files.len() as u64, "reading ELF files");
    let facts = analysis::read_all(set);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(Consumers {
        inputs: set,
        facts: facts?,
        names: set
            .files
            .iter()
            .map(|f| analysis::display_path(&f.path))
            .collect(),
    })
}

/// A spinner on stderr, only when stderr is a terminal and the run is long enough to want one.
fn progress_bar(len: u64, what: &'static str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if len < 500 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(format!("{what} ({len})"));
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    Some(bar)
}

/// Writes a command's result to stdout; a closed pipe is not an error.
pub fn emit(out: &mut dyn Write, text: &[u8]) -> Result<()> {
    match out.write_all(text).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::io("writing", Path::new("<stdout>"), e)),
    }
}

/// Serializes a report as pretty JSON followed by a newline.
pub fn to_json<T: serde::Serialize>(report: &T) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(report).unwrap_or_default();
    v.push(b'\n');
    v
}
