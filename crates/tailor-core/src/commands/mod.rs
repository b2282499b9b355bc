//! The commands of the CLI contract, each reading like the pipeline row of DESIGN.md:
//! inputs → analysis → decisions → output. The binary only parses arguments and maps the
//! returned [`Status`] to an exit code.

pub mod check;
pub mod diff;
pub mod embed;
pub mod exports;
pub mod gc;
pub mod link;
pub mod needs;
pub mod planning;
pub mod profile;
pub mod provider;
pub mod syscalls;
pub mod verify;
pub mod version_script;

use std::io::Write;
use std::path::Path;

use crate::analysis::elf::ReadOptions;
use crate::analysis::exports::Exports;
use crate::analysis::{self, ElfFacts, ReadSet};
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

/// `--format` of the commands that also write an HTML page (`gc`, `diff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportFormat {
    #[default]
    Text,
    Json,
    /// One self-contained page (the JSON report embedded, drawn by inlined script).
    Html,
}

/// The consumers, read: views over a [`ReadSet`].
pub struct Consumers<'a> {
    pub read: &'a ReadSet,
    pub facts: Vec<ElfFacts<'a>>,
    /// Display names, by file id.
    pub names: Vec<String>,
}

impl<'a> Consumers<'a> {
    /// Views of every consumer read.
    pub fn new(read: &'a ReadSet) -> Self {
        Consumers {
            read,
            facts: read.views(),
            names: read
                .files
                .iter()
                .map(|f| analysis::display_path(&f.path))
                .collect(),
        }
    }

    /// The consumers' files, by file id.
    pub fn paths(&self) -> Vec<std::path::PathBuf> {
        self.read.files.iter().map(|f| f.path.clone()).collect()
    }

    /// The needs nothing in the consumers' closures binds, with `provider` as the provider
    /// ([`crate::analysis::closure::unbound`]).
    pub fn unbound(
        &self,
        needs: &crate::analysis::needs::Needs<'a>,
        provider: &provider::ProviderData<'_>,
    ) -> Vec<(u32, crate::analysis::closure::Unbound)> {
        crate::analysis::closure::unbound(
            needs,
            &self.facts,
            &self.paths(),
            &provider.exports,
            provider.facts.as_ref().and_then(|f| f.soname),
        )
    }

    /// Files read (inputs and the manifests and lists naming them), for depfiles.
    pub fn read_files(&self, set: &InputSet) -> Vec<std::path::PathBuf> {
        let mut v = set.read_files.clone();
        v.extend(self.read.files.iter().map(|f| f.path.clone()));
        v
    }
}

/// Consumers that do not link against a shared-library provider (no `DT_NEEDED` on its
/// soname: a static program, an unrelated one, the library itself) need nothing from it: each
/// is a warning, and all of them being such is an error (the plan would export nothing).
/// Object files and kernel modules, and providers without a soname (a kernel), are not
/// judged.
pub fn warn_unlinked_consumers(
    consumers: &Consumers<'_>,
    provider: &provider::ProviderData<'_>,
    log: &mut dyn Write,
) -> Result<()> {
    use crate::analysis::elf::ElfKind;
    let Some(soname) = provider.facts.as_ref().and_then(|f| f.soname) else {
        return Ok(());
    };
    let soname_text = String::from_utf8_lossy(soname);
    // One write for all the warnings (stderr is unbuffered: over /usr, 3,200 lines were as
    // many system calls on the main thread).
    let mut warnings = Vec::new();
    let mut judged = 0;
    let mut unlinked = 0;
    for (facts, name) in consumers.facts.iter().zip(&consumers.names) {
        if !matches!(facts.kind, ElfKind::Exec | ElfKind::Dyn) {
            continue;
        }
        judged += 1;
        if facts.needed.contains(&soname) {
            continue;
        }
        unlinked += 1;
        let why = if facts.soname == Some(soname) {
            "it is the provider itself".to_string()
        } else if facts.needed.is_empty() && facts.imports.is_empty() {
            "it is statically linked".to_string()
        } else {
            format!("it has no DT_NEEDED entry for {soname_text}")
        };
        let _ = writeln!(
            warnings,
            "tailor: warning: {name} does not link against {soname_text} ({why}): it needs \
             nothing from it"
        );
    }
    let _ = log.write_all(&warnings);
    if judged > 0 && unlinked == judged {
        return Err(Error::Usage(format!(
            "none of the {judged} consumers links against {soname_text} (see the warnings): \
             name the programs and libraries that use it"
        )));
    }
    Ok(())
}

/// Expands the inputs (nothing is opened yet).
pub fn collect_inputs(spec: &InputSpec) -> Result<InputSet> {
    inputs::collect(spec)
}

/// Adds the ELF images embedded in the link's objects (OSv's vDSO in `libvdso-content.o`) to
/// the consumers, one note on `log` each: they import from the image they are linked into.
pub fn add_embedded_consumers(
    set: &mut InputSet,
    cmd: &crate::inputs::link_command::LinkCommand,
    log: &mut dyn Write,
) {
    let objects: Vec<&Path> = cmd.inputs.iter().map(|p| p.as_path()).collect();
    for c in analysis::embedded::candidates(&objects) {
        let _ = writeln!(
            log,
            "tailor: consumer embedded in the link: {}",
            c.display_name().display()
        );
        set.candidates.push(c);
    }
}

/// The consumers embedded in a link already read (its mapped objects), added to `set`.
pub fn add_link_consumers(
    set: &mut InputSet,
    read: &crate::analysis::predict::LinkRead,
    log: &mut dyn Write,
) {
    for c in analysis::embedded::candidates_in_link(&read.files) {
        let _ = writeln!(
            log,
            "tailor: consumer embedded in the link: {}",
            c.display_name().display()
        );
        set.candidates.push(c);
    }
}

/// Maps, reads and unmaps every candidate in parallel (a spinner on a terminal); with
/// `exports`, scans `dlsym` users for exported names. At least one ELF file must be found.
pub fn read_consumers(
    set: &InputSet,
    opts: ReadOptions,
    exports: Option<&Exports<'_>>,
) -> Result<ReadSet> {
    let bar = progress_bar(set.candidates.len() as u64, "reading ELF files");
    let read = analysis::read_inputs(set, opts, exports);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let read = read?;
    for note in &read.notes {
        eprintln!("tailor: {note}");
    }
    if read.files.is_empty() {
        return Err(Error::Usage(format!(
            "no ELF input files ({} non-ELF files skipped)",
            read.skipped_non_elf
        )));
    }
    Ok(read)
}

/// A spinner on stderr for a long read, only when stderr is a terminal.
fn progress_bar(len: u64, what: &'static str) -> Option<indicatif::ProgressBar> {
    if len < 500 {
        return None;
    }
    crate::progress::spinner(format!("{what} ({len})"))
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

pub use crate::trace::Timings;
