//! Stage 2, analysis: what consumers need ([`needs`]), what the provider exports ([`exports`]),
//! and which exports are looked up by name ([`byname`]), all read through [`elf`]; and, for
//! static programs, the system calls their code makes ([`syscalls`]).

pub mod byname;
pub mod closure;
pub mod compact;
pub mod diff;
pub mod elf;
pub mod embedded;
pub mod exports;
pub mod gc;
pub mod gc_rules;
#[cfg(test)]
mod gc_tests;
pub mod ids;
pub mod link_model;
pub mod needs;
pub mod objfile;
pub mod output_sinks;
pub mod predict;
pub mod retained;
pub mod string_flow;
pub mod syscalls;
#[cfg(test)]
pub(crate) mod test_links;
pub mod truncation;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::Result;
use crate::inputs::parts::{PartFile, PartsBuf};
use crate::inputs::{Candidate, InputSet, Mapped, Origin};
pub use compact::CompactFacts;
pub use elf::ElfFacts;
use exports::Exports;

/// One ELF input, read.
#[derive(Debug)]
pub struct ReadFile {
    pub path: PathBuf,
    pub facts: CompactFacts,
}

/// The ELF inputs, read, in input order.
#[derive(Debug, Default)]
pub struct ReadSet {
    pub files: Vec<ReadFile>,
    /// The maps of the files read whole, their pages released (see [`read_candidate`]),
    /// unmapped on drop (files read by parts hold none).
    maps: Vec<Mapped>,
    /// Candidates skipped: not ELF, or not regular files met in a walk, list or manifest.
    pub skipped_non_elf: usize,
    /// What the user should hear about the inputs (a libtool wrapper read as its program).
    pub notes: Vec<String>,
}

impl ReadSet {
    /// Views of every file's facts, by file id.
    pub fn views(&self) -> Vec<ElfFacts<'_>> {
        self.files.iter().map(|f| f.facts.view()).collect()
    }
}

/// Reads every candidate (by parts, or mapped whole), in parallel; keeps input order. With
/// `exports`, the read-only data of files importing `dlsym`/`dlvsym` is scanned for exported
/// names.
pub fn read_inputs(
    set: &InputSet,
    opts: elf::ReadOptions,
    exports: Option<&Exports<'_>>,
) -> Result<ReadSet> {
    // A few files are read on the calling thread: handing them to rayon's pool from outside it
    // waits for a worker, and `tailor gc --provider` reads its consumers while the pool
    // parses the link's objects (lua alone waited 1-3 ms).
    let results: Vec<Result<Option<ReadCandidate>>> = if set.candidates.len() <= 2 {
        set.candidates
            .iter()
            .map(|c| read_candidate(c, opts, exports))
            .collect()
    } else {
        set.candidates
            .par_iter()
            .map(|c| read_candidate(c, opts, exports))
            .collect()
    };
    let mut read = ReadSet::default();
    for r in results {
        match r? {
            Some((f, map, note)) => {
                read.files.push(f);
                read.maps.push(map);
                read.notes.extend(note);
            }
            None => read.skipped_non_elf += 1,
        }
    }
    Ok(read)
}

/// A candidate read: the file, its map, and a note for the user.
type ReadCandidate = (ReadFile, Mapped, Option<String>);

/// `None`: skipped (not ELF, or not a regular file, and not named on the command line). A
/// libtool wrapper script or `.la` file named on the command line is read as the ELF file it
/// stands for, with a note saying so.
fn read_candidate(
    c: &Candidate,
    opts: elf::ReadOptions,
    exports: Option<&Exports<'_>>,
) -> Result<Option<ReadCandidate>> {
    let named = c.origin == Origin::Argument;
    if !c.regular {
        return match named {
            // Names what it is; never opened.
            true => crate::inputs::regular_file(&c.path, "opening").map(|_| None),
            false => Ok(None),
        };
    }
    if let Some(part) = &c.part {
        // An image embedded in an object: read as an ELF file named by its place.
        let data = Mapped::open_part(&c.path, part.range.clone())?;
        let path = c.display_name();
        let facts = elf::read_facts_with(&path, data.bytes(), opts)?;
        let file = ReadFile {
            path,
            facts: CompactFacts::from_facts(&facts),
        };
        drop(facts);
        return Ok(Some((file, data, None)));
    }
    if let Some(read) = read_by_parts(c, opts, exports)? {
        return Ok(read);
    }
    let data = Mapped::open(&c.path)?;
    if !named && !data.is_elf() {
        return Ok(None);
    }
    let (path, data, note) = crate::inputs::libtool::named_elf(&c.path, data)?;
    let mut facts = elf::read_facts_with(&path, data.bytes(), opts)?;
    if let Some(exports) = exports {
        if facts.imports_dlsym() {
            let release = &mut |part: &[u8]| data.release_range(part);
            facts.by_name = byname::scan_with(&facts.rodata, exports.reverse_trie(), release);
        }
    }
    let file = ReadFile {
        path,
        facts: CompactFacts::from_facts(&facts),
    };
    drop(facts);
    data.release_pages();
    Ok(Some((file, data, note)))
}

/// Per thread: the parts of the file being read, and the window of its read-only data.
#[derive(Default)]
struct Scratch {
    parts: PartsBuf,
    window: Vec<u8>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// [`read_candidate`] of a whole file by its parts ([`elf::read_facts_parts`]): `Some(None)`
/// for a collected file that is not ELF, `None` when the parts are not enough (the file is
/// then mapped and read whole, which reports what is wrong, or reads what a libtool file
/// names).
fn read_by_parts(
    c: &Candidate,
    opts: elf::ReadOptions,
    exports: Option<&Exports<'_>>,
) -> Result<Option<Option<ReadCandidate>>> {
    let file = PartFile::open(&c.path)?;
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut scratch) => read_parts_with(c, &file, &mut scratch, opts, exports),
        // This thread took this file while its own read waits for the windows of a large
        // one (rayon runs other jobs meanwhile): a buffer of its own.
        Err(_) => read_parts_with(c, &file, &mut Scratch::default(), opts, exports),
    })
}

/// [`read_by_parts`] with the buffers of `scratch`.
fn read_parts_with(
    c: &Candidate,
    file: &PartFile,
    scratch: &mut Scratch,
    opts: elf::ReadOptions,
    exports: Option<&Exports<'_>>,
) -> Result<Option<Option<ReadCandidate>>> {
    let Scratch { parts, window } = scratch;
    parts.clear();
    if c.origin != Origin::Argument && !is_elf_file(file, parts) {
        return Ok(Some(None));
    }
    let Some(mut facts) = elf::read_facts_parts(&c.path, file, parts, opts) else {
        return Ok(None);
    };
    if let Some(exports) = exports {
        if facts.imports_dlsym() {
            let read = &|at: u64, out: &mut [u8]| file.read_at(at, out);
            match byname::scan_read(&facts.rodata, exports.reverse_trie(), window, read) {
                Some(hits) => facts.by_name = hits,
                None => return Ok(None),
            }
        }
    }
    let file = ReadFile {
        path: c.path.clone(),
        facts: CompactFacts::from_facts(&facts),
    };
    Ok(Some(Some((file, Mapped::Empty, None))))
}

/// Whether `file` starts with the ELF magic (its header is read into `buf`, where
/// [`elf::read_facts_parts`] finds it).
fn is_elf_file(file: &PartFile, buf: &mut PartsBuf) -> bool {
    use object::read::ReadRef;
    file.len() >= 4
        && buf.read(file, &mut [(0, file.len().min(elf::HEAD_GUESS))])
        && buf.view(file).read_bytes_at(0, 4) == Ok(b"\x7fELF")
}

/// Checks the files named on the command line as reading them would (not a regular file,
/// not ELF, truncated: the same one-line errors), without keeping anything: a command that
/// links first (`tailor link`) says what is wrong with its consumers before the link runs.
pub fn check_named(set: &InputSet) -> Result<()> {
    set.candidates
        .par_iter()
        .filter(|c| c.origin == Origin::Argument)
        .try_for_each(|c| read_candidate(c, elf::ReadOptions::IMPORTS, None).map(|_| ()))
}

/// A path for display: lossy UTF-8, as binutils prints it.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
