//! `tailor embed` and `tailor extract`: reproducible compressed archives inside relocatable
//! objects (and so inside linked images), rebuilt only when their inputs change; found again
//! by symbol or, in stripped images, by the header's magic; unpacked without ever writing
//! outside the target directory.

use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::time::{Instant, SystemTime};

use super::{emit, Status};
use crate::build::embed::{self, Compression, Found};
use crate::error::{Error, Result};
use crate::output;

/// Options of `tailor embed`.
#[derive(Debug, Clone)]
pub struct EmbedOptions {
    pub name: String,
    pub strip_comments: bool,
    pub compression: Compression,
    pub inputs: Vec<PathBuf>,
    pub output: PathBuf,
    pub like: Option<PathBuf>,
    pub target: Option<String>,
    pub section: Option<String>,
    pub depfile: Option<PathBuf>,
    /// A non-allocated section (file-only, nothing exported) instead of loaded data.
    pub file_only: bool,
}

/// The stamp: the options, then one line per member: name, size, mtime (ns), content hash.
fn stamp_text(opts: &EmbedOptions, members: &[(embed::Member, u64, u128, String)]) -> String {
    let mut s = format!(
        "tailor-embed {} name={} strip={} compress={} like={:?} target={:?} section={:?} file-only={} epoch={:?}\n",
        env!("CARGO_PKG_VERSION"),
        opts.name,
        opts.strip_comments,
        opts.compression.name(),
        opts.like,
        opts.target,
        opts.section,
        opts.file_only,
        std::env::var("SOURCE_DATE_EPOCH").ok()
    );
    for (m, size, mtime, hash) in members {
        s.push_str(&format!(
            "{}\t{}\t{size}\t{mtime}\t{hash}\n",
            m.name,
            m.source.display()
        ));
    }
    s
}

fn stat(p: &Path) -> Result<(u64, u128)> {
    let m = std::fs::symlink_metadata(p).map_err(|e| Error::io("reading", p, e))?;
    let t = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .unwrap_or_default();
    Ok((m.len(), t.as_nanos()))
}

fn content_hash(p: &Path) -> Result<String> {
    let meta = std::fs::symlink_metadata(p).map_err(|e| Error::io("reading", p, e))?;
    let bytes = if meta.file_type().is_symlink() {
        std::fs::read_link(p)
            .map_err(|e| Error::io("reading link", p, e))?
            .into_os_string()
            .into_encoded_bytes()
    } else {
        std::fs::read(p).map_err(|e| Error::io("reading", p, e))?
    };
    Ok(blake3::hash(&bytes).to_hex().to_string())
}

/// Runs `tailor embed`: rebuilds OUT only when an input or an option changed (sizes and
/// mtimes first; content hashes only where an mtime moved).
pub fn run(opts: &EmbedOptions, log: &mut dyn Write) -> Result<Status> {
    let started = Instant::now();
    if opts.name.is_empty()
        || opts.name.len() > 200
        || !opts
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        return Err(Error::Usage(format!(
            "--name `{}`: use letters, digits, `_`, `-` and `.`",
            opts.name
        )));
    }
    let members = embed::collect_members(&opts.inputs)?;
    let stamp_path = with_suffix(&opts.output, ".stamp");
    let previous = std::fs::read_to_string(&stamp_path).unwrap_or_default();
    let old: std::collections::HashMap<&str, (&str, &str, &str)> = previous
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() == 5).then(|| (f[1], (f[2], f[3], f[4])))
        })
        .collect();
    let mut stamped = Vec::with_capacity(members.len());
    for m in &members {
        let (size, mtime) = stat(&m.source)?;
        let src = m.source.to_string_lossy();
        let hash = match old.get(src.as_ref()) {
            Some((s, t, h)) if *s == size.to_string() && *t == mtime.to_string() => h.to_string(),
            _ => content_hash(&m.source)?,
        };
        stamped.push((m.clone(), size, mtime, hash));
    }
    let stamp = stamp_text(opts, &stamped);
    let same_content = |a: &str, b: &str| {
        let strip = |s: &str| -> Vec<String> {
            s.lines()
                .map(|l| {
                    let f: Vec<&str> = l.split('\t').collect();
                    if f.len() == 5 {
                        format!("{}\t{}\t{}", f[0], f[1], f[4])
                    } else {
                        l.to_string()
                    }
                })
                .collect()
        };
        strip(a) == strip(b)
    };
    if opts.output.exists() && same_content(&previous, &stamp) {
        if previous != stamp {
            output::write_if_changed(&stamp_path, stamp.as_bytes())?;
        }
        let _ = writeln!(
            log,
            "tailor: {} is up to date ({} files unchanged; {:.1} ms)",
            opts.output.display(),
            members.len(),
            started.elapsed().as_secs_f64() * 1e3
        );
        return Ok(Status::Ok);
    }
    let mtime = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let tar = embed::build_tar(&members, opts.strip_comments, mtime)?;
    let payload = embed::compress(&tar, opts.compression)?;
    let framed = embed::framed(&opts.name, opts.compression, &payload);
    let target = embed::object_target(opts.like.as_deref(), opts.target.as_deref())?;
    let placement = if opts.file_only {
        let default = format!(".{}", opts.name.replace('-', "."));
        embed::Placement::FileOnly(opts.section.clone().unwrap_or(default))
    } else {
        embed::Placement::Loaded(opts.section.clone())
    };
    let object = embed::object_bytes(
        &opts.name,
        &framed,
        payload.len() as u64,
        &placement,
        target,
    )?;
    output::write_if_changed(&opts.output, &object)?;
    output::write_if_changed(&stamp_path, stamp.as_bytes())?;
    if let Some(dep) = &opts.depfile {
        let deps: Vec<PathBuf> = members.iter().map(|m| m.source.clone()).collect();
        output::write_if_changed(dep, output::depfile(&opts.output, &deps).as_bytes())?;
    }
    let _ = writeln!(
        log,
        "tailor: {}: {} files, {} bytes of tar, {} bytes {} ({:.1} ms)",
        opts.output.display(),
        members.len(),
        tar.len(),
        payload.len(),
        opts.compression.name(),
        started.elapsed().as_secs_f64() * 1e3
    );
    Ok(Status::Ok)
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Options of `tailor extract`.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    pub image: PathBuf,
    pub name: Option<String>,
    pub output: Option<PathBuf>,
    pub to: Option<PathBuf>,
    pub list: bool,
}

/// Largest archive tailor unpacks (a decompression bomb is an error).
const MAX_UNPACKED: u64 = 4 << 30;

/// Runs `tailor extract`.
pub fn extract(opts: &ExtractOptions, out: &mut dyn Write) -> Result<Status> {
    let map = crate::inputs::Mapped::open(&opts.image)?;
    let data = map.bytes();
    let bad = |detail: String| Error::Elf {
        path: opts.image.clone(),
        what: "embedded archives",
        detail,
    };
    let mut found: Vec<Found> = Vec::new();
    let mut first_error: Option<(usize, String)> = None;
    for f in embed::find_all(data) {
        match f {
            Ok(f) => found.push(f),
            // The magic may also occur as plain data (tailor's own binary holds it): a
            // candidate that does not parse is reported only when no archive does.
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if found.is_empty() {
        if let Some((at, e)) = first_error {
            return Err(bad(format!("at offset {at:#x}: {e}")));
        }
    }
    if let Some(name) = &opts.name {
        found.retain(|f| &f.name == name);
        if found.is_empty() {
            return Err(bad(format!("no archive named `{name}`")));
        }
    }
    if found.is_empty() {
        return Err(bad("no embedded archive".into()));
    }
    for f in &found {
        if !f.checksum_ok {
            return Err(bad(format!(
                "archive `{}` at {:#x}: checksum mismatch (corrupt payload)",
                f.name, f.offset
            )));
        }
    }
    if opts.list && opts.name.is_none() {
        let mut text = String::new();
        for f in &found {
            text.push_str(&format!(
                "{}\t{}\t{} bytes\tat {:#x}\n",
                f.name,
                f.compression.name(),
                f.payload.len(),
                f.offset
            ));
        }
        emit(out, text.as_bytes())?;
        return Ok(Status::Ok);
    }
    let [archive] = found.as_slice() else {
        return Err(Error::Usage(format!(
            "{} holds {} archives ({}): choose one with --name",
            opts.image.display(),
            found.len(),
            found
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let tar = embed::decompress(archive.payload, archive.compression, MAX_UNPACKED)
        .map_err(|e| bad(format!("archive `{}`: {e}", archive.name)))?;
    let entries =
        check_entries(&tar).map_err(|e| bad(format!("archive `{}`: {e}", archive.name)))?;
    if opts.list {
        let text: String = entries.iter().map(|e| format!("{}\n", e.0)).collect();
        emit(out, text.as_bytes())?;
    } else if let Some(dir) = &opts.to {
        unpack(&tar, dir)?;
    } else if let Some(file) = &opts.output {
        output::write_if_changed(file, &tar)?;
    } else {
        emit(out, &tar)?;
    }
    Ok(Status::Ok)
}

/// Every entry's path and kind, refusing absolute paths, `..`, links leaving the tree, and
/// anything but regular files and symlinks.
pub fn check_entries(tar: &[u8]) -> std::result::Result<Vec<(String, bool)>, String> {
    let mut archive = tar::Archive::new(tar);
    let mut out = Vec::new();
    for entry in archive.entries().map_err(|e| format!("corrupt tar: {e}"))? {
        let entry = entry.map_err(|e| format!("corrupt tar: {e}"))?;
        let path = entry
            .path()
            .map_err(|e| format!("corrupt tar: {e}"))?
            .into_owned();
        let name = path.display().to_string();
        check_relative(&path).map_err(|e| format!("entry `{name}`: {e}"))?;
        let kind = entry.header().entry_type();
        match kind {
            tar::EntryType::Regular => out.push((name, false)),
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name()
                    .map_err(|e| format!("corrupt tar: {e}"))?
                    .ok_or_else(|| format!("symlink `{name}` without a target"))?;
                if target.is_absolute() {
                    return Err(format!(
                        "symlink `{name}` points outside the tree ({})",
                        target.display()
                    ));
                }
                // Resolve against the link's directory, lexically: must stay inside the tree.
                let mut depth: i64 = path.components().count() as i64 - 1;
                for c in target.components() {
                    match c {
                        Component::ParentDir => depth -= 1,
                        Component::Normal(_) => depth += 1,
                        _ => {}
                    }
                    if depth < 0 {
                        return Err(format!(
                            "symlink `{name}` points outside the tree ({})",
                            target.display()
                        ));
                    }
                }
                out.push((name, true));
            }
            other => {
                return Err(format!(
                    "entry `{name}` is a {other:?}, not a file or symlink"
                ))
            }
        }
    }
    Ok(out)
}

fn check_relative(p: &Path) -> std::result::Result<(), String> {
    if p.as_os_str().is_empty() {
        return Err("empty path".into());
    }
    for c in p.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Err("path contains `..`".into()),
            Component::RootDir | Component::Prefix(_) => return Err("absolute path".into()),
        }
    }
    Ok(())
}

/// Unpacks into a fresh temporary directory beside `dir`, then renames it into place (a
/// failure leaves nothing behind); an existing non-empty `dir` is an error.
fn unpack(tar: &[u8], dir: &Path) -> Result<()> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(Error::Usage(format!(
            "{}: exists and is not empty",
            dir.display()
        )));
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io("creating", &parent, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".tailor-extract-")
        .tempdir_in(&parent)
        .map_err(|e| Error::io("creating a temporary directory in", &parent, e))?;
    let mut archive = tar::Archive::new(tar);
    archive.set_preserve_permissions(false);
    archive.set_overwrite(false);
    for entry in archive
        .entries()
        .map_err(|e| Error::io("unpacking into", dir, e))?
    {
        let mut entry = entry.map_err(|e| Error::io("unpacking into", dir, e))?;
        // unpack_in refuses paths that would leave the directory (checked above as well).
        let ok = entry
            .unpack_in(tmp.path())
            .map_err(|e| Error::io("unpacking into", dir, e))?;
        if !ok {
            return Err(Error::Usage(format!(
                "{}: an entry escapes the target directory",
                dir.display()
            )));
        }
    }
    if dir.exists() {
        std::fs::remove_dir(dir).map_err(|e| Error::io("replacing", dir, e))?;
    }
    let kept = tmp.keep();
    std::fs::rename(&kept, dir).map_err(|e| Error::io("renaming into place", dir, e))?;
    Ok(())
}
