//! Recursive directory walk: sorted entries, symlinks followed, each directory visited once
//! (so `/usr/bin/X11 -> /usr/bin` is not walked again), unresolvable symlink loops reported.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::{Candidate, Origin};
use crate::error::{Error, Result};
use crate::hash::FxHashSet;

/// Appends every regular file below `root` (recursively, in sorted order) to `out`.
pub fn walk_dir(root: &Path, out: &mut Vec<Candidate>) -> Result<()> {
    let mut visited = FxHashSet::default();
    walk_files(root, &mut visited, &mut |path| {
        out.push(Candidate {
            path,
            origin: Origin::Collected,
            regular: true,
            part: None,
        })
    })
}

/// Calls `found` with every file below `root` (any type but directory; following symlinks),
/// entries sorted by name; `visited` holds the (device, inode) of directories already walked.
pub fn walk_files(
    root: &Path,
    visited: &mut FxHashSet<(u64, u64)>,
    found: &mut dyn FnMut(PathBuf),
) -> Result<()> {
    let meta = std::fs::metadata(root).map_err(|e| Error::io("reading directory", root, e))?;
    if !visited.insert((meta.dev(), meta.ino())) {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|e| Error::io("reading directory", root, e))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io("reading directory", root, e))?;
    entries.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    for path in entries {
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk_files(&path, visited, found)?,
            Ok(_) => found(path),
            Err(e) if e.raw_os_error() == Some(40 /* ELOOP */) => {
                return Err(Error::SymlinkLoop { path });
            }
            // A dangling symlink names no file: nothing to read, as `find -L` would skip it.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("reading", &path, e)),
        }
    }
    Ok(())
}
