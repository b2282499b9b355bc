//! Stage 1, inputs: turns paths, directories, `--list` files and OSv manifests into one ordered,
//! de-duplicated set of memory-mapped ELF files, counting what was skipped and recording every
//! file read (for depfiles).

pub mod manifest;
pub mod mapped;
pub mod walk;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};
pub use mapped::Mapped;

/// What the user named on the command line (the `INPUTS` of the CLI contract).
#[derive(Debug, Default, Clone)]
pub struct InputSpec {
    /// ELF files or directories (walked recursively).
    pub paths: Vec<PathBuf>,
    /// OSv usr.manifest files.
    pub manifests: Vec<PathBuf>,
    /// Files listing one path a line.
    pub lists: Vec<PathBuf>,
    /// `-D VAR=VALUE` definitions for manifests.
    pub defines: Vec<(String, String)>,
}

/// How a path came to be an input; decides whether a non-ELF file is an error or skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Named on the command line: it must be ELF.
    Argument,
    /// Found in a directory walk, a manifest or a list: non-ELF files are skipped and counted.
    Collected,
}

/// A path to read, before it is opened.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub path: PathBuf,
    pub origin: Origin,
}

/// One ELF input file, mapped.
#[derive(Debug)]
pub struct InputFile {
    /// The path as the user (or the manifest, list or walk) named it.
    pub path: PathBuf,
    /// The file's bytes.
    pub data: Mapped,
}

/// The ordered set of ELF inputs.
#[derive(Debug, Default)]
pub struct InputSet {
    /// ELF files, in input order, each once.
    pub files: Vec<InputFile>,
    /// Files skipped because they are not ELF (or not regular files met in a walk).
    pub skipped_non_elf: usize,
    /// Every file read to build the set (manifests, lists, ELF files), for depfiles.
    pub read_files: Vec<PathBuf>,
}

/// Expands the spec and maps every ELF file. Input order: paths, then manifests, then lists.
pub fn collect(spec: &InputSpec) -> Result<InputSet> {
    let mut read_files = Vec::new();
    let mut candidates = Vec::new();
    for path in &spec.paths {
        let meta = std::fs::metadata(path).map_err(|e| Error::io("opening", path, e))?;
        if meta.is_dir() {
            walk::walk_dir(path, &mut candidates)?;
        } else {
            candidates.push(Candidate {
                path: path.clone(),
                origin: Origin::Argument,
            });
        }
    }
    for manifest_path in &spec.manifests {
        let text = read_text(manifest_path)?;
        read_files.push(manifest_path.clone());
        let entries = manifest::parse(manifest_path, &text, &spec.defines)?;
        manifest::host_files(manifest_path, &entries, &mut candidates)?;
    }
    for list in &spec.lists {
        let text = read_text(list)?;
        read_files.push(list.clone());
        candidates.extend(parse_list(list, &text));
    }
    let mut set = map_candidates(dedupe(candidates)?)?;
    set.read_files.splice(0..0, read_files);
    Ok(set)
}

/// Reads a whole text file (manifests, lists, symbol lists), naming the file on error.
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    String::from_utf8(bytes).map_err(|e| Error::syntax(path, 0, format!("not UTF-8 text: {e}")))
}

/// `--list FILE`: one path a line; blank lines and `#` comments skipped; relative paths are
/// taken as given (relative to the working directory, as `find` output is).
fn parse_list(list: &Path, text: &str) -> Vec<Candidate> {
    let _ = list;
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| Candidate {
            path: PathBuf::from(l),
            origin: Origin::Collected,
        })
        .collect()
}

/// Drops a file met a second time (same device and inode), keeping the first place it was met.
fn dedupe(candidates: Vec<Candidate>) -> Result<Vec<(Candidate, std::fs::Metadata)>> {
    use std::os::unix::fs::MetadataExt;
    let mut seen = crate::hash::FxHashSet::default();
    let mut out = Vec::with_capacity(candidates.len());
    for c in candidates {
        let meta = std::fs::metadata(&c.path).map_err(|e| Error::io("opening", &c.path, e))?;
        if seen.insert((meta.dev(), meta.ino())) {
            out.push((c, meta));
        }
    }
    Ok(out)
}

/// Maps the candidates in parallel and keeps the ELF ones, in input order.
fn map_candidates(candidates: Vec<(Candidate, std::fs::Metadata)>) -> Result<InputSet> {
    enum Mapped1 {
        Elf(InputFile),
        Skipped,
    }
    let mapped: Vec<Result<Mapped1>> = candidates
        .into_par_iter()
        .map(|(c, meta)| {
            if !meta.is_file() {
                return match c.origin {
                    Origin::Argument => Err(Error::Usage(format!(
                        "{}: not a regular file",
                        c.path.display()
                    ))),
                    Origin::Collected => Ok(Mapped1::Skipped),
                };
            }
            let data = Mapped::open(&c.path)?;
            if data.is_elf() {
                Ok(Mapped1::Elf(InputFile { path: c.path, data }))
            } else if c.origin == Origin::Argument {
                Err(Error::NotElf { path: c.path })
            } else {
                Ok(Mapped1::Skipped)
            }
        })
        .collect();
    let mut set = InputSet::default();
    for m in mapped {
        match m? {
            Mapped1::Elf(f) => {
                set.read_files.push(f.path.clone());
                set.files.push(f);
            }
            Mapped1::Skipped => set.skipped_non_elf += 1,
        }
    }
    Ok(set)
}
