//! Stage 2, analysis: what consumers need ([`needs`]), what the provider exports ([`exports`]),
//! and which exports are looked up by name ([`byname`]), all read through [`elf`].

pub mod byname;
pub mod compact;
pub mod elf;
pub mod exports;
pub mod gc;
pub mod link_model;
pub mod needs;
pub mod objfile;
pub mod retained;
pub mod truncation;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};
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
    /// The files' maps, their pages released (see [`read_candidate`]), unmapped on drop.
    maps: Vec<Mapped>,
    /// Candidates skipped: not ELF, or not regular files met in a walk, list or manifest.
    pub skipped_non_elf: usize,
}

impl ReadSet {
    /// Views of every file's facts, by file id.
    pub fn views(&self) -> Vec<ElfFacts<'_>> {
        self.files.iter().map(|f| f.facts.view()).collect()
    }
}

/// Maps, reads and unmaps every candidate, in parallel; keeps input order. With `exports`,
/// the read-only data of files importing `dlsym`/`dlvsym` is scanned for exported names.
pub fn read_inputs(
    set: &InputSet,
    opts: elf::ReadOptions,
    exports: Option<&Exports<'_>>,
) -> Result<ReadSet> {
    let results: Vec<Result<Option<(ReadFile, Mapped)>>> = set
        .candidates
        .par_iter()
        .map(|c| read_candidate(c, opts, exports))
        .collect();
    let mut read = ReadSet::default();
    for r in results {
        match r? {
            Some((f, map)) => {
                read.files.push(f);
                read.maps.push(map);
            }
            None => read.skipped_non_elf += 1,
        }
    }
    Ok(read)
}

/// `None`: skipped (not ELF, or not a regular file, and not named on the command line).
fn read_candidate(
    c: &Candidate,
    opts: elf::ReadOptions,
    exports: Option<&Exports<'_>>,
) -> Result<Option<(ReadFile, Mapped)>> {
    let named = c.origin == Origin::Argument;
    if !c.regular {
        return match named {
            // Names what it is; never opened.
            true => crate::inputs::regular_file(&c.path, "opening").map(|_| None),
            false => Ok(None),
        };
    }
    let data = Mapped::open(&c.path)?;
    if !data.is_elf() {
        return match named {
            true => Err(Error::not_elf(&c.path, data.bytes())),
            false => Ok(None),
        };
    }
    let mut facts = elf::read_facts_with(&c.path, data.bytes(), opts)?;
    if let Some(exports) = exports {
        if facts.imports_dlsym() {
            let release = &mut |part: &[u8]| data.release_range(part);
            facts.by_name = byname::scan_with(&facts.rodata, exports.reverse_trie(), release);
        }
    }
    let file = ReadFile {
        path: c.path.clone(),
        facts: CompactFacts::from_facts(&facts),
    };
    drop(facts);
    data.release_pages();
    Ok(Some((file, data)))
}

/// A path for display: lossy UTF-8, as binutils prints it.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
