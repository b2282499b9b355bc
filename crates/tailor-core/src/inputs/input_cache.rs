//! Stage 1, inputs: a persistent pack of a link's small input files, so that a re-run maps one
//! file and stats each input instead of opening and reading each one.
//!
//! Reading musl's 1,343 objects (2.4 MB) costs about 5 ms of CPU, nearly all of it the kernel's
//! open, read and close; stating them costs about 1.7 ms (a C loop over the same paths, one
//! thread). `tailor gc` and `tailor link` read them before anything else can start, so that
//! time is most of their wait. The pack holds the files' bytes with the identity each had when
//! it was read — device, inode, size, and modification and change times to the nanosecond —
//! and a file is taken from it only when `stat` gives that identity again.
//!
//! Correctness rests on the change time, which no user call can set: a file is packed only
//! once both its times are [`SETTLE`] old, so a later write to it (which sets the change time
//! to the clock's time then, coarse as the file system's clock is) cannot leave the identity
//! recorded. A file written since stats differently and is read from disk, and the pack is
//! written again. Where the pack lives: `$TAILOR_CACHE_DIR` (empty: no cache), else
//! `$XDG_CACHE_HOME/tailor`, else `~/.cache/tailor`; one pack per working directory and list of
//! paths, replaced atomically (a rename), never read past its checked bounds. Nothing is
//! reported when the cache cannot be used: the files are read as before.
//!
//! The same directory keeps what GNU ld's `--verbose` printed ([`ToolOutput`]): its built-in
//! script is a function of the binary alone, and asking for it (about 2 ms of CPU, a process
//! started while the inputs are read) was the last thing `tailor gc` waited for.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use memmap2::Mmap;

/// How old a file's modification and change times must be before it is packed.
pub const SETTLE: Duration = Duration::from_secs(2);

/// The most bytes one pack holds (larger links pack their first files up to this).
const MAX_PACK: usize = 1 << 30;

/// The pack format's first bytes (its version is the last).
const MAGIC: &[u8; 8] = b"TLRPACK1";

/// Bytes of the header: magic, entry count, size of the whole pack.
const HEADER: usize = 24;

/// Bytes of one index entry (9 little-endian u64s; the path follows, padded to 8).
const ENTRY: usize = 72;

/// A file's data starts at a multiple of this in the pack (as a read buffer's would: ELF
/// structures parse in place).
const DATA_ALIGN: usize = 16;

/// What identifies a file's contents without reading them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Identity {
    pub fn of(meta: &std::fs::Metadata) -> Self {
        Identity {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Whether both times are before `cutoff` (seconds and nanoseconds since the epoch).
    pub fn settled(&self, cutoff: (i64, i64)) -> bool {
        self.mtime < cutoff && self.ctime < cutoff
    }

    pub(crate) fn words(&self) -> [u64; 7] {
        [
            self.dev,
            self.ino,
            self.size,
            self.mtime.0 as u64,
            self.mtime.1 as u64,
            self.ctime.0 as u64,
            self.ctime.1 as u64,
        ]
    }

    pub(crate) fn from_words(w: &[u64]) -> Self {
        Identity {
            dev: w[0],
            ino: w[1],
            size: w[2],
            mtime: (w[3] as i64, w[4] as i64),
            ctime: (w[5] as i64, w[6] as i64),
        }
    }
}

/// Where a link's pack is: `None` when caching is off or no directory can be named.
pub fn pack_path(cwd: &Path, paths: &[PathBuf]) -> Option<PathBuf> {
    Some(pack_path_in(&cache_dir()?, cwd, paths))
}

/// The pack in `dir` for the inputs `paths` read from `cwd`.
fn pack_path_in(dir: &Path, cwd: &Path, paths: &[PathBuf]) -> PathBuf {
    // One buffer, hashed at once: an `update` per path and separator (2,686 for musl) cost
    // 631,000 instructions on the thread that waits for the key, one hash 260,000 (callgrind).
    let mut bytes = Vec::with_capacity(
        cwd.as_os_str().len() + paths.iter().map(|p| p.as_os_str().len() + 1).sum::<usize>(),
    );
    bytes.extend_from_slice(cwd.as_os_str().as_bytes());
    for p in paths {
        bytes.push(0);
        bytes.extend_from_slice(p.as_os_str().as_bytes());
    }
    let hex = blake3::hash(&bytes).to_hex();
    dir.join(format!("inputs-{}.pack", &hex[..32]))
}

pub(crate) fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("TAILOR_CACHE_DIR") {
        return (!dir.is_empty()).then(|| PathBuf::from(dir));
    }
    let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME").and_then(absolute) {
        return Some(xdg.join("tailor"));
    }
    let home = std::env::var_os("HOME").and_then(absolute)?;
    Some(home.join(".cache").join("tailor"))
}

/// A packed file: the identity it was packed with and where its bytes are in the pack.
type Entry = (Identity, std::ops::Range<usize>);

/// A pack, mapped, its index checked against the paths it was asked for.
pub struct Pack {
    map: Arc<Mmap>,
    /// Per path asked for (in order): its recorded identity and data, if the pack has it.
    entries: Vec<Option<Entry>>,
}

impl Pack {
    /// Maps the pack at `path` for the inputs `paths` (`None`: no usable pack).
    pub fn open(path: &Path, paths: &[PathBuf]) -> Option<Pack> {
        let file = std::fs::File::open(path).ok()?;
        // SAFETY: packs are replaced by rename, never written in place, so the map does not
        // change underneath; a pack truncated by hand is caught by the length check below.
        let map = unsafe { Mmap::map(&file) }.ok()?;
        let entries = index(&map, paths)?;
        Some(Pack {
            map: Arc::new(map),
            entries,
        })
    }

    /// The packed bytes of `paths[i]`, if `now` is the identity they were packed with.
    pub fn get(&self, i: usize, now: &Identity) -> Option<(Arc<Mmap>, std::ops::Range<usize>)> {
        match self.entries.get(i)? {
            Some((id, range)) if id == now => Some((self.map.clone(), range.clone())),
            _ => None,
        }
    }
}

fn word(map: &[u8], at: usize) -> Option<u64> {
    let b = map.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(b.try_into().ok()?))
}

/// The entries of `map` that name `paths` in order (a pack is keyed by its list of paths, so
/// entry `k` is for path `k` or for none; a mismatch ends the index).
fn index(map: &[u8], paths: &[PathBuf]) -> Option<Vec<Option<Entry>>> {
    if map.get(..8)? != MAGIC || word(map, 16)? != map.len() as u64 {
        return None;
    }
    let count = word(map, 8)? as usize;
    let mut entries = vec![None; paths.len()];
    let mut at = HEADER;
    for _ in 0..count {
        let mut w = [0u64; 9];
        for (k, v) in w.iter_mut().enumerate() {
            *v = word(map, at + 8 * k)?;
        }
        let slot = w[0] as usize;
        let path_len = w[1] as usize;
        let id = Identity::from_words(&w[2..9]);
        at += ENTRY;
        let path = map.get(at..at.checked_add(path_len)?)?;
        at = at.checked_add(path_len)?.next_multiple_of(8);
        let data_at = word(map, at)? as usize;
        at += 8;
        let end = data_at.checked_add(id.size as usize)?;
        if end > map.len() || !data_at.is_multiple_of(DATA_ALIGN) {
            return None;
        }
        if let Some(entry) = entries.get_mut(slot) {
            if paths[slot].as_os_str().as_bytes() == path {
                *entry = Some((id, data_at..end));
            }
        }
    }
    Some(entries)
}

/// One file to pack: its place in the list of paths, the path, its identity and bytes.
pub struct Packed<'a> {
    pub slot: usize,
    pub path: &'a OsStr,
    pub identity: Identity,
    pub bytes: &'a [u8],
}

/// The cutoff [`write`] packs by when it runs now: [`SETTLE`] ago.
pub fn settle_cutoff() -> (i64, i64) {
    let t = SystemTime::now()
        .checked_sub(SETTLE)
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .unwrap_or_default();
    (t.as_secs() as i64, i64::from(t.subsec_nanos()))
}

/// Writes the pack at `path` holding the `files` whose times are before `cutoff` (seconds,
/// nanoseconds), replacing the old one at once. Best effort: `false` when nothing was
/// written (no settled file, or the directory or the file could not be written).
pub fn write(path: &Path, files: &[Packed<'_>], cutoff: (i64, i64)) -> bool {
    let mut total = 0usize;
    let kept: Vec<&Packed> = files
        .iter()
        .filter(|f| f.identity.settled(cutoff) && f.identity.size == f.bytes.len() as u64)
        .take_while(|f| {
            total += f.bytes.len();
            total <= MAX_PACK
        })
        .collect();
    if kept.is_empty() {
        return false;
    }
    let mut index_len = HEADER;
    for f in &kept {
        index_len += ENTRY + f.path.len().next_multiple_of(8) + 8;
    }
    let mut out = Vec::with_capacity(index_len + total + kept.len() * DATA_ALIGN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(kept.len() as u64).to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes()); // the pack's size, set below
    let mut data_at = index_len.next_multiple_of(DATA_ALIGN);
    for f in &kept {
        out.extend_from_slice(&(f.slot as u64).to_le_bytes());
        out.extend_from_slice(&(f.path.len() as u64).to_le_bytes());
        for w in f.identity.words() {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(f.path.as_bytes());
        out.resize(out.len().next_multiple_of(8), 0);
        out.extend_from_slice(&(data_at as u64).to_le_bytes());
        data_at = (data_at + f.bytes.len()).next_multiple_of(DATA_ALIGN);
    }
    for f in &kept {
        out.resize(out.len().next_multiple_of(DATA_ALIGN), 0);
        out.extend_from_slice(f.bytes);
    }
    let len = out.len() as u64;
    out[16..24].copy_from_slice(&len.to_le_bytes());
    let written = replace(path, &out);
    if let Some(dir) = path.parent() {
        prune(dir, SystemTime::now().checked_sub(UNUSED));
    }
    written
}

/// Writes `bytes` as the file `path` (its directory created), replacing any old one at once:
/// a temporary file beside it, renamed. Best effort: `false` when it could not.
pub(crate) fn replace(path: &Path, bytes: &[u8]) -> bool {
    let Some(dir) = path.parent() else {
        return false;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return false;
    }
    // An ordinary file's mode (the umask applies), not a temporary file's 0600.
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o644);
    let Ok(mut tmp) = tempfile::Builder::new()
        .prefix(".tailor")
        .permissions(mode)
        .tempfile_in(dir)
    else {
        return false;
    };
    tmp.write_all(bytes).is_ok() && tmp.persist(path).is_ok()
}

/// How long a pack or kept output stays after it was last written (a pack in use but never
/// rewritten is then written again once).
const UNUSED: Duration = Duration::from_secs(30 * 24 * 3600);

/// Removes the cache's files in `dir` last written before `before` (best effort; run when a
/// pack is written, which is rare).
fn prune(dir: &Path, before: Option<SystemTime>) {
    let (Some(before), Ok(entries)) = (before, std::fs::read_dir(dir)) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.as_bytes();
        let ours = (name.starts_with(b"inputs-") && name.ends_with(b".pack"))
            || name.starts_with(b"output-")
            || name.starts_with(b"driver-");
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < before);
        if ours && old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// A program's output for some arguments, kept while the program's file stays as it was:
/// for programs whose output depends on nothing but their binary, their arguments and the
/// environment variables named (GNU ld's `--verbose`, for `LDEMULATION`).
pub struct ToolOutput {
    path: PathBuf,
}

impl ToolOutput {
    /// Where `program` (found on `PATH` as `Command` finds it), run with `args`, keeps its
    /// output: `None` when caching is off, the program is not found, is not an ELF file (a
    /// wrapper script's output can depend on anything), or changed less than [`SETTLE`] ago.
    pub fn for_program(program: &str, args: &[&str], env: &[&str]) -> Option<ToolOutput> {
        let dir = cache_dir()?;
        let file = find_program(program)?;
        let meta = std::fs::metadata(&file).ok()?;
        let identity = Identity::of(&meta);
        if !meta.is_file() || !identity.settled(settle_cutoff()) || !is_elf(&file) {
            return None;
        }
        let mut key = blake3::Hasher::new();
        key.update(file.as_os_str().as_bytes());
        for w in identity.words() {
            key.update(&w.to_le_bytes());
        }
        for a in args {
            key.update(&[0]);
            key.update(a.as_bytes());
        }
        for v in env {
            key.update(&[1]);
            key.update(v.as_bytes());
            if let Some(value) = std::env::var_os(v) {
                key.update(&[2]);
                key.update(value.as_bytes());
            }
        }
        let hex = key.finalize().to_hex();
        Some(ToolOutput {
            path: dir.join(format!("output-{}", &hex[..32])),
        })
    }

    /// The output kept, if any.
    pub fn read(&self) -> Option<Vec<u8>> {
        std::fs::read(&self.path).ok()
    }

    /// Keeps `output` (best effort, replaced at once).
    pub fn write(&self, output: &[u8]) {
        replace(&self.path, output);
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `program` as `execvp` finds it: a path with a `/` as it is, else the first executable
/// regular file of that name in `PATH`'s directories.
pub(crate) fn find_program(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(program))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

pub(crate) fn is_elf(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == b"\x7fELF"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files `f0.o`, `f1.o`, ... holding `contents`, and where their pack goes.
    struct Fixture {
        /// Kept for its drop: the files go with it.
        _dir: tempfile::TempDir,
        contents: Vec<Vec<u8>>,
        paths: Vec<PathBuf>,
        pack: PathBuf,
    }

    impl Fixture {
        fn new(contents: &[&[u8]]) -> Self {
            let dir = tempfile::tempdir().unwrap();
            let paths = contents
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let p = dir.path().join(format!("f{i}.o"));
                    std::fs::write(&p, c).unwrap();
                    p
                })
                .collect();
            let pack = dir.path().join("cache/p.pack");
            let contents = contents.iter().map(|c| c.to_vec()).collect();
            Fixture {
                _dir: dir,
                contents,
                paths,
                pack,
            }
        }

        /// Writes the pack of every file as it stats now, with `cutoff`.
        fn write(&self, cutoff: (i64, i64)) -> bool {
            let files: Vec<Packed> = (self.paths.iter().zip(&self.contents).enumerate())
                .map(|(slot, (p, b))| Packed {
                    slot,
                    path: p.as_os_str(),
                    identity: identity(p),
                    bytes: b,
                })
                .collect();
            write(&self.pack, &files, cutoff)
        }

        fn open(&self) -> Option<Pack> {
            Pack::open(&self.pack, &self.paths)
        }
    }

    /// A cutoff after every file written so far: everything counts as settled.
    fn future() -> (i64, i64) {
        (i64::MAX, 0)
    }

    fn identity(p: &Path) -> Identity {
        Identity::of(&std::fs::metadata(p).unwrap())
    }

    #[test]
    fn a_pack_gives_back_what_it_was_given() {
        let f = Fixture::new(&[b"\x7fELF one", b"", b"three!"]);
        assert!(f.write(future()));
        let p = f.open().expect("pack opens");
        for (i, c) in f.contents.iter().enumerate() {
            let (map, range) = p.get(i, &identity(&f.paths[i])).expect("a hit");
            assert_eq!(&map[range.clone()], c.as_slice());
            assert_eq!(range.start % DATA_ALIGN, 0);
        }
        // Another list of paths (here: reversed) finds only the entries it names in place.
        let reversed: Vec<PathBuf> = f.paths.iter().rev().cloned().collect();
        let r = Pack::open(&f.pack, &reversed).unwrap();
        assert!(r.get(1, &identity(&reversed[1])).is_some()); // f1 is in the middle of both
        assert!(r.get(0, &identity(&reversed[0])).is_none());
    }

    #[test]
    fn a_file_written_since_is_not_taken_from_the_pack() {
        let f = Fixture::new(&[b"original"]);
        assert!(f.write(future()));
        let path = &f.paths[0];
        let before = identity(path);
        let mtime = std::fs::metadata(path).unwrap().modified().unwrap();
        // Same size, and the modification time put back as it was: the change time differs.
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(path, b"replaced").unwrap();
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(mtime).unwrap();
        let after = identity(path);
        assert_eq!((before.size, before.mtime), (after.size, after.mtime));
        assert_ne!(before, after);
        assert!(f.open().unwrap().get(0, &after).is_none());
    }

    #[test]
    fn unsettled_files_are_not_packed() {
        let f = Fixture::new(&[b"fresh"]);
        assert!(!f.write(settle_cutoff()));
        assert!(!f.pack.exists());
    }

    #[test]
    fn damaged_packs_are_refused() {
        let f = Fixture::new(&[b"0123456789", b"abc"]);
        assert!(f.write(future()));
        let (pack, paths, contents) = (&f.pack, &f.paths, &f.contents);
        let good = std::fs::read(pack).unwrap();
        for cut in [0, 7, 8, 23, 24, 60, good.len() - 1] {
            std::fs::write(pack, &good[..cut]).unwrap();
            assert!(Pack::open(pack, paths).is_none(), "cut at {cut}");
        }
        let mut bad = good.clone();
        bad[0] ^= 1;
        std::fs::write(pack, &bad).unwrap();
        assert!(Pack::open(pack, paths).is_none());
        // An entry whose data runs past the end (its size word raised).
        let mut bad = good.clone();
        bad[HEADER + 32..HEADER + 40].copy_from_slice(&u64::MAX.to_le_bytes());
        std::fs::write(pack, &bad).unwrap();
        assert!(Pack::open(pack, paths).is_none());
        // Every single-byte change of the index either refuses the pack or still checks.
        for at in 0..HEADER + 2 * ENTRY {
            let mut bad = good.clone();
            bad[at] = bad[at].wrapping_add(0x41);
            std::fs::write(pack, &bad).unwrap();
            if let Some(p) = Pack::open(pack, paths) {
                for (i, c) in contents.iter().enumerate() {
                    if let Some((m, r)) = p.get(i, &identity(&paths[i])) {
                        assert_eq!(m[r].len(), c.len());
                    }
                }
            }
        }
    }

    #[test]
    fn a_program_is_found_as_execvp_finds_it() {
        let sh = find_program("sh").expect("sh on PATH");
        assert!(sh.is_absolute() && sh.ends_with("sh"), "{sh:?}");
        assert_eq!(find_program("./x/y"), Some(PathBuf::from("./x/y")));
        assert_eq!(find_program("no-such-program-tailor-test"), None);
        assert!(is_elf(&sh.canonicalize().unwrap()));
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("ld");
        std::fs::write(&script, "#!/bin/sh\nexec ld.bfd \"$@\"\n").unwrap();
        assert!(!is_elf(&script), "a wrapper script is not cached");
        assert!(!is_elf(&dir.path().join("missing")));
    }

    #[test]
    fn old_cache_files_are_pruned_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let names = ["inputs-a.pack", "output-b", "inputs-c.txt", "other"];
        for n in names {
            std::fs::write(dir.path().join(n), b"x").unwrap();
        }
        prune(
            dir.path(),
            SystemTime::now().checked_sub(Duration::from_secs(60)),
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4);
        prune(
            dir.path(),
            Some(SystemTime::now() + Duration::from_secs(60)),
        );
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(left.iter().all(|n| n == "inputs-c.txt" || n == "other"));
    }

    #[test]
    fn each_directory_and_list_of_paths_has_its_own_pack() {
        let dir = Path::new("/cache");
        let ab = [PathBuf::from("a.o"), PathBuf::from("b.o")];
        let ba = [PathBuf::from("b.o"), PathBuf::from("a.o")];
        let one = pack_path_in(dir, Path::new("/w"), &ab);
        assert_eq!(one, pack_path_in(dir, Path::new("/w"), &ab));
        assert_ne!(one, pack_path_in(dir, Path::new("/v"), &ab));
        assert_ne!(one, pack_path_in(dir, Path::new("/w"), &ba));
        // The separator keeps ["ab"] and ["a", "b"] apart.
        let joined = [PathBuf::from("a.ob.o")];
        assert_ne!(one, pack_path_in(dir, Path::new("/w"), &joined));
        assert!(one.starts_with(dir));
    }
}
