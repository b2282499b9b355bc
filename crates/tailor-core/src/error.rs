//! Errors of every stage; each names the file (and line, where there is one) and the action.

use std::path::{Path, PathBuf};

/// Result type of the core crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong before a result exists. All of these map to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An operating-system error on a path (open, read, map, walk, write).
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file that should be ELF is malformed.
    #[error("reading {what} of {}: {detail}", path.display())]
    Elf {
        path: PathBuf,
        what: &'static str,
        detail: String,
    },
    /// A file that must be ELF is not (`len`: its size in bytes).
    #[error("{}: not an ELF file ({len} bytes)", path.display())]
    NotElf { path: PathBuf, len: u64 },
    /// An ELF file cut short: its header, or a table it points at, runs past its end.
    #[error("{}: truncated ELF file ({len} bytes; {detail})", path.display())]
    Truncated {
        path: PathBuf,
        len: u64,
        detail: String,
    },
    /// A path that must be a regular file is something else (`kind`: "a FIFO", ...); it was
    /// never opened.
    #[error("{}: {kind}, not a regular file", path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
    /// A text input (manifest, list, export list, keep list) has a malformed line.
    #[error("{}:{line}: {detail}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        detail: String,
    },
    /// A linker script is malformed (or an `INCLUDE` cannot be followed).
    #[error("{}:{line}:{col}: {detail}", path.display())]
    Script {
        path: PathBuf,
        line: usize,
        col: usize,
        detail: String,
    },
    /// A symlink met in a directory walk that never resolves (a -> b -> a).
    #[error("{}: symlink loop (too many levels of symbolic links)", path.display())]
    SymlinkLoop { path: PathBuf },
    /// A file given to an option (`--exports`, `--keep`) that is not what the option takes;
    /// `detail` follows the path (`: not a text export list ...`, `:3: expected ...`).
    #[error("{option} {}{detail}", path.display())]
    OptionFile {
        option: &'static str,
        path: PathBuf,
        detail: String,
    },
    /// A child process (a linker, a compiler driver, strip) failed.
    #[error("{what} failed ({status}): {command}{}", indent(stderr))]
    Tool {
        what: &'static str,
        command: String,
        status: String,
        stderr: String,
    },
    /// The command line asked for something impossible.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// An I/O error on `path` while doing `action` ("opening", "reading", ...).
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// A file named as ELF that is not: says how long it is (an empty file, a stray `\x7fELF`).
    pub fn not_elf(path: &Path, data: &[u8]) -> Self {
        Error::NotElf {
            path: path.to_path_buf(),
            len: data.len() as u64,
        }
    }

    /// A malformed ELF structure in `path`, found while reading `what`.
    pub fn elf(path: &Path, what: &'static str, detail: impl std::fmt::Display) -> Self {
        Error::Elf {
            path: path.to_path_buf(),
            what,
            detail: detail.to_string(),
        }
    }

    /// A child process that could not be started while doing `what`: a missing program is
    /// `PROG: program not found` (a mistyped `gccc`), anything else names the command.
    pub fn spawn(what: &'static str, program: &str, command: String, e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::NotFound {
            return Error::Usage(format!("{program}: program not found"));
        }
        Error::Tool {
            what,
            command,
            status: format!("could not start `{program}`"),
            stderr: e.to_string(),
        }
    }

    /// A malformed line `line` (1-based) of the text file `path`.
    pub fn syntax(path: &Path, line: usize, detail: impl Into<String>) -> Self {
        Error::Syntax {
            path: path.to_path_buf(),
            line,
            detail: detail.into(),
        }
    }
}

/// A child's stderr under the one-line error, indented.
fn indent(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return String::from(" (no output on stderr)");
    }
    lines.iter().map(|l| format!("\n    {l}")).collect()
}
