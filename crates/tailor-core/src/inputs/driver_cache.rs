//! Stage 1, inputs: GCC's `-###` answer kept between runs, taken again only while everything
//! it was worked out from stats as it did.
//!
//! Asking `gcc -###` for the linker line costs 3 to 4 ms (a process that reads its specs and
//! probes its program and library directories for `collect2`, the LTO plugin and the crt
//! objects): half of what `tailor gc` waits for before it can read the link. The answer is a
//! function of the driver's binary, its arguments, the working directory, the environment
//! (`PATH`, `GCC_EXEC_PREFIX`, `COMPILER_PATH`, `LIBRARY_PATH`, ...: all of it is keyed but `_`,
//! not a list of names), its specs and the files its directories hold. GCC names those directories
//! itself (`-print-search-dirs`, asked with the same arguments, so `-B`, `--sysroot` and the
//! multilib options count) and its specs name the spec files they include (`-dumpspecs`).
//! Kept with the answer is the identity ([`Identity`]: device, inode, size, both times) of each
//! of those directories, or that it was missing, and of every `specs` or included spec file
//! they held. A file added, removed or renamed in a directory changes the directory's times;
//! a spec file edited in place changes its own. A directory created where one was missing is
//! seen as there. So is each file the answer names by absolute path (`collect2`, the LTO
//! plugin and wrapper, the crt objects): a compiler upgraded in place, or found anew by a
//! wrapper such as `ccache`, replaces them. The answer is taken again only when each of them
//! stats as recorded.
//!
//! Only GCC's answers are kept (they name `COLLECT_GCC_OPTIONS`): clang also reads
//! configuration files and picks a GCC installation by listing directories. Not kept either:
//! an answer worked out from a response file (`@file`), from `-specs=`, or from specs that
//! test for files by absolute path (`%:if-exists`); one whose directories changed less than
//! [`SETTLE`](super::input_cache::SETTLE) ago (as the input cache's files); one whose
//! linker line names a response file.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::input_cache::{self, Identity};

/// The cache file format's first bytes (its version is the last).
const MAGIC: &[u8; 8] = b"TLRDRV01";

/// Where a driver's answer for one command is kept, and what it must be checked against.
pub struct DriverCache {
    path: PathBuf,
    /// The time (seconds, nanoseconds) every recorded file must predate to be kept.
    cutoff: (i64, i64),
}

/// A recorded path's state: its identity, or missing (any error from `stat`).
type State = Option<Identity>;

impl DriverCache {
    /// Where `program` (as `execvp` finds it), run with `args` in `cwd` under `env`, keeps its
    /// `-###` answer in the cache directory `dir`, of files older than `cutoff` (seconds,
    /// nanoseconds: [`input_cache::settle_cutoff`]). `None` when the answer is not kept: the
    /// program is not found, is clang, is not an ELF file, is newer than `cutoff`, or `args`
    /// hold a response file or `-specs=`.
    pub fn new(
        dir: &Path,
        program: &str,
        args: &[String],
        cwd: &Path,
        env: &[(OsString, OsString)],
        cutoff: (i64, i64),
    ) -> Option<DriverCache> {
        let uncacheable =
            |a: &String| a.starts_with('@') || a.starts_with("-specs") || a.starts_with("--specs");
        if args.iter().any(uncacheable) {
            return None;
        }
        let file = input_cache::find_program(program)?;
        let file = std::fs::canonicalize(file).ok()?;
        // Not asked of clang (as `cc` or `c++` too: the real binary's name says).
        if file.file_name()?.as_bytes().starts_with(b"clang") {
            return None;
        }
        let meta = std::fs::metadata(&file).ok()?;
        let identity = Identity::of(&meta);
        if !meta.is_file() || !identity.settled(cutoff) || !input_cache::is_elf(&file) {
            return None;
        }
        let mut key = blake3::Hasher::new();
        key.update(MAGIC);
        key.update(program.as_bytes());
        key.update(&[0]);
        key.update(file.as_os_str().as_bytes());
        for w in identity.words() {
            key.update(&w.to_le_bytes());
        }
        key.update(&[0]);
        key.update(cwd.as_os_str().as_bytes());
        for a in args {
            key.update(&[1]);
            key.update(a.as_bytes());
        }
        // All of it but `_`, which shells set to the path of the program they start (`time`,
        // `strace`, `env`, the driver itself): GCC does not read it.
        let mut vars: Vec<&(OsString, OsString)> = env.iter().filter(|(k, _)| k != "_").collect();
        vars.sort();
        for (name, value) in vars {
            key.update(&[2]);
            key.update(name.as_bytes());
            key.update(&[3]);
            key.update(value.as_bytes());
        }
        let hex = key.finalize().to_hex();
        Some(DriverCache {
            path: dir.join(format!("driver-{}", &hex[..32])),
            cutoff,
        })
    }

    /// The kept answer, when there is one and every path it was worked out from stats as it
    /// did then.
    pub fn lookup(&self) -> Option<String> {
        let bytes = std::fs::read(&self.path).ok()?;
        let (recorded, answer) = decode(&bytes)?;
        recorded
            .iter()
            .all(|(path, state)| state_of(path) == *state)
            .then(|| answer.to_string())
    }

    /// Keeps `answer` (the driver's `-###` output), given what the same driver printed for
    /// `-print-search-dirs` and `-dumpspecs` with the same arguments. Best effort: `false`
    /// when it was not kept (see the module's list).
    pub fn store(&self, answer: &str, search_dirs: &str, specs: &str) -> bool {
        if !answer.contains("COLLECT_GCC_OPTIONS=") || specs.contains("%:if-exists") {
            return false;
        }
        let names_response_file = answer.lines().filter(|l| l.starts_with(' ')).any(|l| {
            super::link_command::split_response(l)
                .iter()
                .any(|w| w.starts_with('@'))
        });
        if names_response_file {
            return false;
        }
        let Some(mut recorded) = recorded_paths(search_dirs, specs) else {
            return false;
        };
        recorded.extend(named_files(answer, &recorded));
        if recorded
            .iter()
            .any(|(_, s)| s.is_some_and(|id| !id.settled(self.cutoff)))
        {
            return false;
        }
        input_cache::replace(&self.path, &encode(&recorded, answer))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// What a kept answer is checked against: each directory GCC searches for programs and for
/// libraries (its crt objects, its `specs`), and each spec file present in the latter. `None`
/// when `search_dirs` does not list them.
fn recorded_paths(search_dirs: &str, specs: &str) -> Option<Vec<(PathBuf, State)>> {
    let list = |label: &str| {
        search_dirs
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|l| l.trim_start_matches('='))
    };
    let programs = list("programs: ")?;
    let libraries = list("libraries: ")?;
    let mut spec_files = vec!["specs".to_string()];
    for (at, _) in specs.match_indices("%:include(") {
        let name = &specs[at + "%:include(".len()..];
        if let Some(end) = name.find(')') {
            spec_files.push(name[..end].to_string());
        }
    }
    spec_files.sort();
    spec_files.dedup();
    let mut out: Vec<(PathBuf, State)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let dirs = (programs.split(':').map(|d| (d, false)))
        .chain(libraries.split(':').map(|d| (d, true)))
        .filter(|(d, _)| !d.is_empty());
    for (d, holds_specs) in dirs {
        let dir = PathBuf::from(d);
        let state = state_of(&dir);
        if seen.insert(dir.clone()) {
            out.push((dir.clone(), state));
        }
        if !holds_specs || state.is_none() {
            continue;
        }
        for f in &spec_files {
            let p = dir.join(f);
            // An absent file's creation shows in its directory's times.
            if let Some(id) = state_of(&p) {
                if seen.insert(p.clone()) {
                    out.push((p, Some(id)));
                }
            }
        }
    }
    Some(out)
}

/// The files `answer` names by absolute path (`collect2`, the LTO plugin and wrapper, the crt
/// objects) that are not among `recorded` yet, with their identities: a compiler upgraded in
/// place, or run through a wrapper (`ccache`) that finds a newer one, replaces them.
fn named_files(answer: &str, recorded: &[(PathBuf, State)]) -> Vec<(PathBuf, State)> {
    let mut seen: std::collections::HashSet<&Path> =
        recorded.iter().map(|(p, _)| p.as_path()).collect();
    let mut words: Vec<String> = Vec::new();
    for line in answer.lines() {
        if let Some(wrapper) = line.strip_prefix("COLLECT_LTO_WRAPPER=") {
            words.push(wrapper.to_string());
        } else if line.starts_with(' ') {
            words.extend(super::link_command::split_response(line));
        }
    }
    let mut out = Vec::new();
    for w in &words {
        let p = Path::new(w);
        if !w.starts_with('/') || seen.contains(p) {
            continue;
        }
        let Ok(meta) = std::fs::metadata(p) else {
            continue;
        };
        if meta.is_file() {
            seen.insert(p);
            out.push((p.to_path_buf(), Some(Identity::of(&meta))));
        }
    }
    out
}

fn state_of(path: &Path) -> State {
    std::fs::metadata(path).ok().map(|m| Identity::of(&m))
}

/// The file: magic, count, then per path its length, bytes, a presence byte and (when present)
/// seven identity words; then the answer's length and bytes. Little-endian u64s throughout.
fn encode(recorded: &[(PathBuf, State)], answer: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + answer.len() + recorded.len() * 128);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(recorded.len() as u64).to_le_bytes());
    for (path, state) in recorded {
        let p = path.as_os_str().as_bytes();
        out.extend_from_slice(&(p.len() as u64).to_le_bytes());
        out.extend_from_slice(p);
        match state {
            Some(id) => {
                out.push(1);
                for w in id.words() {
                    out.extend_from_slice(&w.to_le_bytes());
                }
            }
            None => out.push(0),
        }
    }
    out.extend_from_slice(&(answer.len() as u64).to_le_bytes());
    out.extend_from_slice(answer.as_bytes());
    out
}

/// Reads [`encode`]'s bytes back; `None` for anything else (a torn or foreign file).
fn decode(bytes: &[u8]) -> Option<(Vec<(PathBuf, State)>, &str)> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let count = r.u64()?;
    // Each entry takes at least nine bytes: no count can ask for more than the file holds.
    if count > (bytes.len() / 9) as u64 {
        return None;
    }
    let mut recorded = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let len = r.u64()?;
        let path = PathBuf::from(std::ffi::OsStr::from_bytes(
            r.take(usize::try_from(len).ok()?)?,
        ));
        let state = match r.take(1)?[0] {
            0 => None,
            1 => {
                let mut w = [0u64; 7];
                for x in &mut w {
                    *x = r.u64()?;
                }
                Some(Identity::from_words(&w))
            }
            _ => return None,
        };
        recorded.push((path, state));
    }
    let len = usize::try_from(r.u64()?).ok()?;
    let answer = std::str::from_utf8(r.take(len)?).ok()?;
    (r.at == bytes.len()).then_some((recorded, answer))
}

struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Option<&'b [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::link_command::LinkCommand;
    use crate::inputs::linker_args::{linker_command_under, Answer};

    /// Any file counts as settled: the tests wait for the clock themselves (see `later`).
    const ANY_TIME: (i64, i64) = (i64::MAX, 0);

    fn gcc_file(name: &str) -> PathBuf {
        let out = std::process::Command::new("gcc")
            .arg(format!("-print-file-name={name}"))
            .output()
            .expect("gcc must be installed (Debian package gcc) for the driver cache's tests");
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    }

    /// The linker line `gcc ARGS` runs, where it came from, with the cache in `cache`.
    fn ask(args: &[&str], env: &[(OsString, OsString)], cache: &Path) -> (Vec<String>, Answer) {
        let mut argv = vec!["gcc".to_string()];
        argv.extend(args.iter().map(|a| a.to_string()));
        let cmd = LinkCommand::parse(&argv).unwrap();
        let (words, _, answer) = linker_command_under(&cmd, env, Some((cache, ANY_TIME))).unwrap();
        // The LTO plugin's resolution file is a fresh temporary name on every run.
        let words = words
            .into_iter()
            .filter(|w| !w.starts_with("-plugin-opt=-fresolution="))
            .collect();
        (words, answer)
    }

    /// Waits until a file system's clock (coarse: a few milliseconds) has moved on, so that a
    /// change made now stats differently from one made before.
    fn later() {
        std::thread::sleep(std::time::Duration::from_millis(30));
    }

    fn env() -> Vec<(OsString, OsString)> {
        std::env::vars_os().collect()
    }

    /// Asks `gcc B x.o -o x` twice, the second answer from the cache; returns the first.
    fn kept_with(b: &str, cache: &Path) -> Vec<String> {
        let (first, _) = ask(&[b, "x.o", "-o", "x"], &env(), cache);
        assert_eq!(ask(&[b, "x.o", "-o", "x"], &env(), cache).1, Answer::Kept);
        first
    }

    #[test]
    fn a_kept_answer_is_the_drivers_own() {
        let cache = tempfile::tempdir().unwrap();
        let first = ask(&["x.o", "-o", "x"], &env(), cache.path());
        assert_eq!(first.1, Answer::Asked);
        let second = ask(&["x.o", "-o", "x"], &env(), cache.path());
        assert_eq!(
            second.1,
            Answer::Kept,
            "the second run takes the kept answer"
        );
        assert_eq!(first.0, second.0);
        // Other arguments, another answer.
        let shared = ask(&["-shared", "x.o", "-o", "x.so"], &env(), cache.path());
        assert_eq!(shared.1, Answer::Asked);
        assert_ne!(shared.0, first.0);
    }

    #[test]
    fn a_crt_object_added_to_a_searched_directory_is_seen() {
        let cache = tempfile::tempdir().unwrap();
        let prefix = tempfile::tempdir().unwrap();
        let b = format!("-B{}/", prefix.path().display());
        let crt = gcc_file("Scrt1.o");
        let before = kept_with(&b, cache.path());
        assert!(before.iter().any(|w| Path::new(w) == crt), "{before:?}");
        later();
        let added = prefix.path().join("Scrt1.o");
        std::fs::copy(&crt, &added).unwrap();
        let (after, answer) = ask(&[&b, "x.o", "-o", "x"], &env(), cache.path());
        assert_eq!(
            answer,
            Answer::Asked,
            "the directory changed: the driver is asked again"
        );
        assert!(after.iter().any(|w| Path::new(w) == added), "{after:?}");
    }

    #[test]
    fn a_named_file_replaced_in_place_is_seen() {
        let cache = tempfile::tempdir().unwrap();
        let prefix = tempfile::tempdir().unwrap();
        let crt = prefix.path().join("Scrt1.o");
        std::fs::copy(gcc_file("Scrt1.o"), &crt).unwrap();
        let b = format!("-B{}/", prefix.path().display());
        let before = kept_with(&b, cache.path());
        assert!(before.iter().any(|w| Path::new(w) == crt), "{before:?}");
        later();
        // Written in place: the directory's entries, and so its times, stay as they were.
        let bytes = std::fs::read(&crt).unwrap();
        std::fs::write(&crt, &bytes).unwrap();
        let (_, answer) = ask(&[&b, "x.o", "-o", "x"], &env(), cache.path());
        assert_eq!(answer, Answer::Asked, "a file the answer names changed");
    }

    #[test]
    fn a_directory_created_where_one_was_missing_is_seen() {
        let cache = tempfile::tempdir().unwrap();
        let parent = tempfile::tempdir().unwrap();
        // GCC searches `sub/` (missing) and directories under it, not `parent` itself: only
        // the directory's appearance can tell.
        let sub = parent.path().join("sub");
        let b = format!("-B{}/", sub.display());
        kept_with(&b, cache.path());
        later();
        std::fs::create_dir(&sub).unwrap();
        std::fs::copy(gcc_file("Scrt1.o"), sub.join("Scrt1.o")).unwrap();
        let (after, answer) = ask(&[&b, "x.o", "-o", "x"], &env(), cache.path());
        assert_eq!(answer, Answer::Asked);
        assert!(
            after.iter().any(|w| Path::new(w) == sub.join("Scrt1.o")),
            "{after:?}"
        );
    }

    #[test]
    fn the_environment_is_part_of_the_question() {
        let cache = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let collect2 = dir.path().join("collect2");
        std::fs::write(&collect2, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(
            &collect2,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let (plain, _) = ask(&["x.o", "-o", "x"], &env(), cache.path());
        assert_eq!(
            ask(&["x.o", "-o", "x"], &env(), cache.path()).1,
            Answer::Kept
        );
        let mut with_path = env();
        with_path.push(("COMPILER_PATH".into(), dir.path().into()));
        let (other, answer) = ask(&["x.o", "-o", "x"], &with_path, cache.path());
        assert_eq!(answer, Answer::Asked);
        assert_eq!(Path::new(&other[0]), collect2);
        assert_ne!(other[0], plain[0]);
    }

    #[test]
    fn response_files_and_spec_options_are_not_kept() {
        let cache = tempfile::tempdir().unwrap();
        let dir = cache.path();
        let e = env();
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(DriverCache::new(dir, "gcc", &args(&["@r"]), dir, &e, ANY_TIME).is_none());
        let specs = args(&["-specs=x.specs"]);
        assert!(DriverCache::new(dir, "gcc", &specs, dir, &e, ANY_TIME).is_none());
        let plain = args(&["x.o"]);
        let c = DriverCache::new(dir, "gcc", &plain, dir, &e, ANY_TIME).unwrap();
        let dirs = "install: /\nprograms: =/\nlibraries: =/\n";
        // Not GCC's answer (clang's names no COLLECT_GCC_OPTIONS).
        assert!(!c.store(" \"/usr/bin/ld\" \"x.o\"\n", dirs, ""));
        // Specs that test for files by absolute path.
        let gcc = "COLLECT_GCC_OPTIONS='x.o'\n /usr/bin/collect2 x.o\n";
        assert!(!c.store(gcc, dirs, "*link:\n%:if-exists(/x)\n"));
        // A linker line naming a response file.
        assert!(!c.store(
            "COLLECT_GCC_OPTIONS='x.o'\n /usr/bin/collect2 @/tmp/r\n",
            dirs,
            ""
        ));
        // Nothing recorded newer than the cutoff.
        let c = DriverCache::new(dir, "gcc", &plain, dir, &e, (0, 0));
        assert!(c.is_none(), "gcc itself is newer than the epoch");
        let c = DriverCache::new(dir, "gcc", &plain, dir, &e, ANY_TIME).unwrap();
        assert!(c.store(gcc, dirs, ""));
        assert_eq!(c.lookup().as_deref(), Some(gcc));
    }

    #[test]
    fn a_torn_or_foreign_file_is_no_answer() {
        let recorded = vec![
            (PathBuf::from("/usr/lib/"), state_of(Path::new("/usr/lib/"))),
            (PathBuf::from("/no/such/dir/"), None),
        ];
        let bytes = encode(&recorded, "COLLECT_GCC_OPTIONS=''\n /x/collect2\n");
        let (back, answer) = decode(&bytes).unwrap();
        assert_eq!(back, recorded);
        assert_eq!(answer, "COLLECT_GCC_OPTIONS=''\n /x/collect2\n");
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_none(), "cut at {n}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer).is_none());
        let mut foreign = bytes.clone();
        foreign[0] ^= 1;
        assert!(decode(&foreign).is_none());
        let mut huge = bytes;
        huge[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(decode(&huge).is_none());
    }
}
