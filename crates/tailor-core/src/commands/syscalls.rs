//! `tailor syscalls INPUTS`: the system calls programs can make, found in their code
//! ([`crate::analysis::syscalls`]), as OSv's `conf_syscalls_list_file=` list (one name a
//! line), Linux's names, or JSON.

use std::io::Write;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

use super::{emit, to_json, Format, Status};
use crate::analysis::syscalls::{self, FileSyscalls, Linkage};
use crate::error::{Error, Result};
use crate::inputs::{InputSpec, Mapped, Origin};

/// How the list spells the calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Names {
    /// OSv's `syscalls/syscalls.cc.in` spelling (`sys_brk`, `fstatat`); calls OSv does not
    /// implement are left out and named on stderr.
    #[default]
    Osv,
    /// Linux's (`brk`, `newfstatat`).
    Linux,
}

/// `tailor syscalls`'s options.
#[derive(Debug, Clone, Default)]
pub struct SyscallsOptions {
    pub inputs: InputSpec,
    pub names: Names,
    pub format: Format,
    /// Write the list here (atomically; untouched when unchanged) instead of stdout.
    pub output: Option<PathBuf>,
    /// A number the analysis cannot recover is a warning, not exit 1.
    pub allow_unknown: bool,
}

/// The JSON report.
#[derive(Debug, Serialize)]
struct Report<'a> {
    names: Names,
    /// The union over the programs, as the text output lists it.
    list: Vec<&'static str>,
    /// Calls the programs can make that OSv does not implement (Linux names).
    not_in_osv: Vec<&'static str>,
    complete: bool,
    files: &'a [FileSyscalls],
}

/// Runs `tailor syscalls`.
pub fn run(opts: &SyscallsOptions, out: &mut dyn Write, log: &mut dyn Write) -> Result<Status> {
    let set = super::collect_inputs(&opts.inputs)?;
    let files = analyze(&set)?;
    let complete = describe(&files, log);
    let listed = Listed::of(&files, opts.names);
    if opts.names == Names::Osv {
        warn_not_in_osv(&files, &listed.not_in_osv, log);
    }
    let text = match opts.format {
        Format::Json => to_json(&Report {
            names: opts.names,
            list: listed.list,
            not_in_osv: listed.not_in_osv,
            complete,
            files: &files,
        }),
        Format::Text => listed.text(),
    };
    let status = if complete || opts.allow_unknown {
        Status::Ok
    } else {
        Status::ChecksFailed
    };
    write_list(opts.output.as_deref(), &text, status, out, log)?;
    Ok(status)
}

/// The system calls of each ELF input, in input order (a non-ELF file found in a directory
/// is skipped; one named is an error, as is finding no ELF file at all).
fn analyze(set: &crate::inputs::InputSet) -> Result<Vec<FileSyscalls>> {
    let results: Vec<Result<Option<FileSyscalls>>> = set
        .candidates
        .par_iter()
        .map(|c| {
            let named = c.origin == Origin::Argument;
            if !c.regular {
                return match named {
                    true => crate::inputs::regular_file(&c.path, "opening").map(|_| None),
                    false => Ok(None),
                };
            }
            let data = Mapped::open(&c.path)?;
            if !named && !data.is_elf() {
                return Ok(None);
            }
            let (path, data, _) = crate::inputs::libtool::named_elf(&c.path, data)?;
            syscalls::analyze(&path, data.bytes()).map(Some)
        })
        .collect();
    let mut files = Vec::new();
    for r in results {
        if let Some(f) = r? {
            files.push(f);
        }
    }
    if files.is_empty() {
        return Err(Error::Usage("tailor syscalls: no ELF input files".into()));
    }
    Ok(files)
}

/// Tells on `log` what was found in each file and which sites were not identified; whether
/// every site was.
fn describe(files: &[FileSyscalls], log: &mut dyn Write) -> bool {
    let mut complete = true;
    for f in files {
        let _ = writeln!(
            log,
            "tailor: {}: {} system calls from {} sites in {} of {} functions ({}{})",
            f.path,
            f.syscalls.len(),
            f.sites,
            f.reachable_functions,
            f.functions,
            linkage_text(f.linkage),
            if f.symbols { "" } else { ", no symbols" }
        );
        if f.linkage == Linkage::Dynamic || f.linkage == Linkage::SharedLibrary {
            let _ = writeln!(
                log,
                "tailor: {}: dynamically linked: only its own system call instructions and \
                 calls of syscall() count, not its libraries' system calls",
                f.path
            );
        }
        for u in &f.unknown {
            complete = false;
            let _ = writeln!(
                log,
                "tailor: {}: system call at {} not identified: {}",
                f.path, u.site, u.reason
            );
        }
    }
    complete
}

/// The union of the files' calls as `names` spells them, and those OSv does not implement.
struct Listed {
    /// Sorted, each once.
    list: Vec<&'static str>,
    /// Linux names, sorted, each once.
    not_in_osv: Vec<&'static str>,
}

impl Listed {
    fn of(files: &[FileSyscalls], names: Names) -> Self {
        let mut numbers: Vec<(syscalls::Arch, u32)> = files
            .iter()
            .flat_map(|f| f.syscalls.iter().map(|s| (f.arch, s.number)))
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        let mut list: Vec<&'static str> = Vec::new();
        let mut not_in_osv: Vec<&'static str> = Vec::new();
        for &(arch, n) in &numbers {
            let Some(linux) = syscalls::names::linux_name(arch, n) else {
                continue;
            };
            let osv = syscalls::names::osv_name(arch, n);
            match (names, osv) {
                (Names::Linux, _) => list.push(linux),
                (Names::Osv, Some(osv)) => list.push(osv),
                (Names::Osv, None) => {}
            }
            if osv.is_none() {
                not_in_osv.push(linux);
            }
        }
        list.sort_unstable();
        list.dedup();
        not_in_osv.sort_unstable();
        not_in_osv.dedup();
        Listed { list, not_in_osv }
    }

    /// The list as text: one name a line.
    fn text(&self) -> Vec<u8> {
        let mut t = String::new();
        for name in &self.list {
            t.push_str(name);
            t.push('\n');
        }
        t.into_bytes()
    }
}

/// Warns of each call OSv does not implement, with the files (and their functions) making it.
fn warn_not_in_osv(files: &[FileSyscalls], not_in_osv: &[&str], log: &mut dyn Write) {
    for name in not_in_osv {
        let users: Vec<String> = files
            .iter()
            .filter_map(|f| {
                let s = f.syscalls.iter().find(|s| s.name == *name)?;
                Some(format!("{} ({})", f.path, s.from.join(", ")))
            })
            .collect();
        let _ = writeln!(
            log,
            "tailor: warning: {name} is not implemented by OSv (it answers ENOSYS), made by {}",
            users.join("; ")
        );
    }
}

/// The list on stdout, or in `output` when every call was identified (or `--allow-unknown`).
fn write_list(
    output: Option<&std::path::Path>,
    text: &[u8],
    status: Status,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> Result<()> {
    match output {
        Some(path) if status == Status::Ok => {
            crate::output::write_if_changed(path, text)?;
        }
        Some(path) => {
            let _ = writeln!(
                log,
                "tailor: {} not written: some system calls are not identified (see above; \
                 --allow-unknown writes the list anyway)",
                path.display()
            );
        }
        None => emit(out, text)?,
    }
    Ok(())
}

fn linkage_text(l: Linkage) -> &'static str {
    match l {
        Linkage::Static => "static",
        Linkage::StaticPie => "static PIE",
        Linkage::Dynamic => "dynamically linked",
        Linkage::SharedLibrary => "shared library",
    }
}
