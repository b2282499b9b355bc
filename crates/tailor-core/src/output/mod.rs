//! Writers shared by every command: atomic, change-aware file writes, make-style depfiles, and
//! serde helpers for byte-string names.

pub mod diff;
pub mod html;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Whether [`write_if_changed`] wrote the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Written,
    Unchanged,
}

/// Writes `content` to `path` through a temporary file in the same directory and a rename,
/// unless the file already holds exactly `content` (its mtime is then left alone, so make and
/// ninja see no change).
pub fn write_if_changed(path: &Path, content: &[u8]) -> Result<WriteOutcome> {
    // A device or FIFO (`-o /dev/null`, `--report /dev/stdout`) is written to, never replaced
    // by a rename (which would put a regular file in place of /dev/null).
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() && !meta.is_dir() {
            std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|mut f| f.write_all(content))
                .map_err(|e| Error::io("writing", path, e))?;
            return Ok(WriteOutcome::Written);
        }
    }
    if let Ok(existing) = std::fs::read(path) {
        if existing == content {
            return Ok(WriteOutcome::Unchanged);
        }
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // 0666 less the umask, as any program's `fopen(path, "w")` gives (tempfile's own default is
    // 0600, which hides a depfile or report from the rest of the build's users).
    use std::os::unix::fs::PermissionsExt;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tailor-")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| Error::io("creating a temporary file in", dir, e))?;
    tmp.write_all(content)
        .and_then(|_| tmp.flush())
        .map_err(|e| Error::io("writing", tmp.path(), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("renaming into place", path, e.error))?;
    Ok(WriteOutcome::Written)
}

/// A make-style depfile: `target: dep dep ...`, one dependency a line, spaces and `$`, `#`
/// escaped as make reads them; plus an empty rule per dependency so a deleted input does not
/// break the build (gcc's `-MP`).
pub fn depfile(target: &Path, deps: &[PathBuf]) -> String {
    let mut out = format!("{}:", escape_make(target));
    for d in deps {
        out.push_str(" \\\n  ");
        out.push_str(&escape_make(d));
    }
    out.push('\n');
    for d in deps {
        out.push('\n');
        out.push_str(&escape_make(d));
        out.push_str(":\n");
    }
    out
}

fn escape_make(p: &Path) -> String {
    let s = p.to_string_lossy();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' ' | '#' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '$' => out.push_str("$$"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depfile_escapes() {
        let d = depfile(
            Path::new("out.map"),
            &[PathBuf::from("a b"), PathBuf::from("c$d")],
        );
        assert_eq!(d, "out.map: \\\n  a\\ b \\\n  c$$d\n\na\\ b:\n\nc$$d:\n");
    }

    #[test]
    fn a_device_is_written_to_not_replaced() {
        let null = Path::new("/dev/null");
        assert!(
            std::fs::metadata(null).is_ok_and(|m| !m.is_file()),
            "/dev/null is not a device on this machine (something replaced it)"
        );
        assert_eq!(write_if_changed(null, b"x").unwrap(), WriteOutcome::Written);
        assert!(!std::fs::metadata(null).unwrap().is_file());
    }

    #[test]
    fn unchanged_content_keeps_mtime() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        assert_eq!(write_if_changed(&p, b"x").unwrap(), WriteOutcome::Written);
        let m1 = std::fs::metadata(&p).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(write_if_changed(&p, b"x").unwrap(), WriteOutcome::Unchanged);
        assert_eq!(std::fs::metadata(&p).unwrap().modified().unwrap(), m1);
        assert_eq!(write_if_changed(&p, b"y").unwrap(), WriteOutcome::Written);
        assert_eq!(std::fs::read(&p).unwrap(), b"y");
    }
}
