//! Stage 1, inputs: turns paths, directories, `--list` files and OSv manifests into one ordered,
//! de-duplicated list of candidate files (each file once, by device and inode), recording the
//! manifests and lists read (for depfiles). Whether a candidate is ELF is decided when it is
//! mapped and read (`analysis::read_inputs`), in parallel.

pub(crate) mod driver_cache;
pub(crate) mod driver_options;
pub mod input_cache;
pub mod ldscript;
pub mod libtool;
pub mod link_command;
pub mod linker_args;
#[cfg(test)]
mod linker_args_tests;
pub(crate) mod linker_options;
pub mod make_profile;
pub mod manifest;
pub mod mapped;
pub mod parts;
pub mod version_rules;
pub mod walk;

use std::path::{Path, PathBuf};

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
    /// The path as the user (or the manifest, list or walk) named it.
    pub path: PathBuf,
    pub origin: Origin,
    /// A regular file (FIFOs, devices and sockets are never opened: opening a FIFO blocks).
    pub regular: bool,
    /// For an ELF image embedded in an object of the link (OSv's vDSO, in
    /// `libvdso-content.o`): where in `path` it is.
    pub part: Option<Part>,
}

/// An ELF image inside a file: the section holding it and its bytes' place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub section: String,
    /// Offset of the image in the section.
    pub offset_in_section: u64,
    /// The image's bytes in the file.
    pub range: std::ops::Range<usize>,
}

impl Candidate {
    /// How the candidate is named in reports: the path, and for an embedded image its
    /// place (`libvdso-content.o(.data+0x0)`).
    pub fn display_name(&self) -> PathBuf {
        match &self.part {
            None => self.path.clone(),
            Some(p) => PathBuf::from(format!(
                "{}({}+{:#x})",
                self.path.display(),
                p.section,
                p.offset_in_section
            )),
        }
    }
}

/// The ordered, de-duplicated candidates.
#[derive(Debug, Default)]
pub struct InputSet {
    /// Candidate files, in input order, each once.
    pub candidates: Vec<Candidate>,
    /// Manifests and lists read to build the set, for depfiles.
    pub read_files: Vec<PathBuf>,
}

/// What a file that is not a regular file is (`None` for a regular file).
pub fn file_kind(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    Some(if t.is_file() {
        return None;
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "a special file"
    })
}

/// The error for a failed `stat` of `path` while `action` ("opening", "reading"): a symlink
/// loop is named as one.
pub fn stat_error(action: &'static str, path: &Path, e: std::io::Error) -> Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        return Error::SymlinkLoop {
            path: path.to_path_buf(),
        };
    }
    Error::io(action, path, e)
}

/// Stats `path` (following symlinks) before anything opens it, and refuses what is not a
/// regular file — a FIFO, socket, device or directory — naming what it is: opening a FIFO
/// blocks until a writer comes, opening a device can act on it.
pub fn regular_file(path: &Path, action: &'static str) -> Result<std::fs::Metadata> {
    let meta = std::fs::metadata(path).map_err(|e| stat_error(action, path, e))?;
    match file_kind(&meta) {
        None => Ok(meta),
        Some(kind) => Err(Error::NotRegular {
            path: path.to_path_buf(),
            kind,
        }),
    }
}

/// Expands the spec. Input order: paths, then manifests, then lists. A path named on the
/// command line is a directory or a regular file (checked here, before anything is opened).
pub fn collect(spec: &InputSpec) -> Result<InputSet> {
    let mut read_files = Vec::new();
    let mut candidates = Vec::new();
    for path in &spec.paths {
        let meta = std::fs::metadata(path).map_err(|e| stat_error("opening", path, e))?;
        if meta.is_dir() {
            walk::walk_dir(path, &mut candidates)?;
        } else if let Some(kind) = file_kind(&meta) {
            return Err(Error::NotRegular {
                path: path.clone(),
                kind,
            });
        } else {
            candidates.push(Candidate {
                path: path.clone(),
                origin: Origin::Argument,
                regular: true,
                part: None,
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
        candidates.extend(parse_list(&text));
    }
    Ok(InputSet {
        candidates: dedupe(candidates)?,
        read_files,
    })
}

/// Reads a whole text file (manifests, lists, symbol lists), naming the file on error; what
/// is not a regular file is refused before it is opened.
pub fn read_text(path: &Path) -> Result<String> {
    regular_file(path, "reading")?;
    let bytes = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    String::from_utf8(bytes).map_err(|e| Error::syntax(path, 0, format!("not UTF-8 text: {e}")))
}

/// Reads the symbol lists given to `option` (`--exports`, `--keep`): each path a list file, or
/// a directory standing for the regular files directly in it (sorted by name; dot files and
/// subdirectories, such as OSv's per-architecture ones, left out: name those too). Every
/// problem is reported with the option and the file: `--exports /usr/bin/ls: not a text
/// export list (an ELF file; a provider ELF goes after --provider)`.
pub fn read_symbol_lists(
    option: &'static str,
    paths: &[PathBuf],
) -> Result<Vec<(PathBuf, String)>> {
    let in_option = |path: &Path, detail: String| Error::OptionFile {
        option,
        path: path.to_path_buf(),
        detail,
    };
    let mut files = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                let mut inside: Vec<PathBuf> = std::fs::read_dir(path)
                    .and_then(|d| d.map(|e| e.map(|e| e.path())).collect())
                    .map_err(|e| in_option(path, format!(": {e}")))?;
                inside.retain(|p| {
                    !p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                        && std::fs::metadata(p).is_ok_and(|m| m.is_file())
                });
                inside.sort();
                if inside.is_empty() {
                    return Err(in_option(path, ": a directory with no list files".into()));
                }
                files.extend(inside);
            }
            _ => files.push(path.clone()),
        }
    }
    let what = if option == "--keep" { "keep" } else { "export" };
    let mut lists = Vec::with_capacity(files.len());
    for path in files {
        let bytes = match regular_file(&path, "reading")
            .and_then(|_| std::fs::read(&path).map_err(|e| Error::io("reading", &path, e)))
        {
            Ok(b) => b,
            Err(Error::NotRegular { kind, .. }) => {
                return Err(in_option(&path, format!(": {kind}, not a regular file")))
            }
            Err(Error::SymlinkLoop { .. }) => {
                return Err(in_option(&path, ": symlink loop".into()))
            }
            Err(Error::Io { source, .. }) => return Err(in_option(&path, format!(": {source}"))),
            Err(e) => return Err(e),
        };
        if bytes.starts_with(b"\x7fELF") {
            return Err(in_option(
                &path,
                format!(
                    ": not a text {what} list (an ELF file{})",
                    if what == "export" {
                        "; a provider ELF goes after --provider"
                    } else {
                        ""
                    }
                ),
            ));
        }
        let text = String::from_utf8(bytes)
            .map_err(|e| in_option(&path, format!(": not a text {what} list (not UTF-8: {e})")))?;
        if let Some((line, found)) = bad_symbol_line(&text) {
            return Err(in_option(
                &path,
                format!(":{line}: expected one symbol name, found `{found}`"),
            ));
        }
        lists.push((path, text));
    }
    Ok(lists)
}

/// The first line of a symbol list holding more than one word: (1-based line, its text).
fn bad_symbol_line(text: &str) -> Option<(usize, &str)> {
    text.lines().enumerate().find_map(|(i, line)| {
        let name = line.split('#').next().unwrap_or("").trim();
        name.contains(char::is_whitespace).then_some((i + 1, name))
    })
}

/// Symbol lists (OSv's export lists, keep lists): one name a line, `#` comments and blank
/// lines skipped; a line with two words is an error naming the file and line.
pub fn symbol_names(lists: &[(PathBuf, String)]) -> Result<Vec<&[u8]>> {
    let mut out = Vec::new();
    for (path, text) in lists {
        if let Some((line, found)) = bad_symbol_line(text) {
            return Err(Error::syntax(
                path,
                line,
                format!("expected one symbol name, found `{found}`"),
            ));
        }
        for line in text.lines() {
            let name = line.split('#').next().unwrap_or("").trim();
            if !name.is_empty() {
                out.push(name.as_bytes());
            }
        }
    }
    Ok(out)
}

/// `--list FILE`: one path a line; blank lines and `#` comments skipped; relative paths are
/// taken as given (relative to the working directory, as `find` output is).
fn parse_list(text: &str) -> Vec<Candidate> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| Candidate {
            path: PathBuf::from(l),
            origin: Origin::Collected,
            regular: true,
            part: None,
        })
        .collect()
}

/// Drops a file met a second time (same device and inode), keeping the first place it was met,
/// and notes which candidates are regular files.
fn dedupe(candidates: Vec<Candidate>) -> Result<Vec<Candidate>> {
    use std::os::unix::fs::MetadataExt;
    let mut seen = crate::hash::FxHashSet::default();
    let mut out = Vec::with_capacity(candidates.len());
    for mut c in candidates {
        let meta = std::fs::metadata(&c.path).map_err(|e| Error::io("opening", &c.path, e))?;
        if seen.insert((meta.dev(), meta.ino())) {
            c.regular = meta.is_file();
            out.push(c);
        }
    }
    Ok(out)
}
