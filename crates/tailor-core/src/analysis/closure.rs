//! Stage 2, analysis: the rest of each consumer's closure — its `DT_NEEDED` libraries other
//! than the provider, found where glibc's ld.so looks for them — for the strong imports the
//! provider cannot bind. An import that nothing in the closure defines fails at run time with
//! the generic image as with the tailored one: it is reported, not blamed on tailoring.

use std::path::{Path, PathBuf};

use super::elf::{self, ElfFacts, ElfKind, ReadOptions};
use super::exports::Exports;
use super::needs::Needs;
use crate::hash::{FxHashMap, FxHashSet};
use crate::inputs::Mapped;

/// Why a needed symbol cannot be bound, with the generic image as with the tailored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unbound {
    /// No library of the consumer's closure (nor the provider) defines the name.
    Undefined,
    /// The reference asks the provider (by its soname) for a version it does not define.
    ProviderVersion,
}

/// Needs (by id in [`Needs::symbols`]) that no part of their consumers' closures binds.
///
/// `consumer_paths` are the consumers' files, by file id (for `$ORIGIN`); `provider_soname`
/// names the provider in `DT_NEEDED` entries (its system copy is not the one that counts).
pub fn unbound(
    needs: &Needs<'_>,
    consumers: &[ElfFacts<'_>],
    consumer_paths: &[PathBuf],
    provider: &Exports<'_>,
    provider_soname: Option<&[u8]>,
) -> Vec<(u32, Unbound)> {
    let mut out = Vec::new();
    // Candidates: strong imports the provider cannot bind and no other input defines.
    let mut open: Vec<u32> = Vec::new();
    for (id, need) in needs.symbols.iter().enumerate() {
        let id = id as u32;
        if need.weak
            || provider.binding(need.name, need.version).is_some()
            || needs.definers_of(id).next().is_some()
        {
            continue;
        }
        if need.library.is_some() && need.library == provider_soname {
            out.push((id, Unbound::ProviderVersion));
        } else {
            open.push(id);
        }
    }
    if open.is_empty() {
        return out;
    }
    let mut libraries = Libraries::default();
    let mut resolved: FxHashSet<u32> = FxHashSet::default();
    for (file, facts) in consumers.iter().enumerate() {
        if !matches!(facts.kind, ElfKind::Exec | ElfKind::Dyn) {
            // An object's imports are resolved by the link it goes into.
            resolved.extend(
                open.iter()
                    .copied()
                    .filter(|&id| needs.consumers_of(id).any(|c| c.index() == file)),
            );
            continue;
        }
        let wanted: Vec<u32> = open
            .iter()
            .copied()
            .filter(|&id| needs.consumers_of(id).any(|c| c.index() == file))
            .filter(|id| !resolved.contains(id))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let Some(path) = consumer_paths.get(file) else {
            continue;
        };
        for lib in libraries.closure(path, facts, provider_soname) {
            let defined = libraries.binds(&lib, needs, &open);
            resolved.extend(wanted.iter().copied().filter(|id| defined.contains(id)));
        }
    }
    out.extend(
        open.into_iter()
            .filter(|id| !resolved.contains(id))
            .map(|id| (id, Unbound::Undefined)),
    );
    out.sort_unstable();
    out
}

/// One library of a closure, read once.
struct Library {
    map: Mapped,
    needed: Vec<String>,
    rpath: Option<String>,
    runpath: Option<String>,
}

/// The libraries met so far, by path; `None` for a file that is not a usable ELF library.
#[derive(Default)]
struct Libraries {
    by_path: FxHashMap<PathBuf, Option<Library>>,
    /// The open needs each library binds.
    binds: FxHashMap<PathBuf, FxHashSet<u32>>,
    default_dirs: Option<Vec<PathBuf>>,
}

impl Libraries {
    /// The consumer's `DT_NEEDED` closure, breadth first as ld.so loads it, the provider left
    /// out; libraries not found are skipped.
    fn closure(
        &mut self,
        consumer: &Path,
        facts: &ElfFacts<'_>,
        provider_soname: Option<&[u8]>,
    ) -> Vec<PathBuf> {
        let origin = match consumer.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let lossy = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
        let exe_rpath = lossy(facts.rpath).map(|r| expand(&r, origin));
        let mut queue: Vec<(String, Option<String>, Option<String>)> = facts
            .needed
            .iter()
            .map(|n| {
                (
                    String::from_utf8_lossy(n).into_owned(),
                    exe_rpath.clone().filter(|_| facts.runpath.is_none()),
                    lossy(facts.runpath).map(|r| expand(&r, origin)),
                )
            })
            .collect();
        let mut seen: FxHashSet<String> = FxHashSet::default();
        let mut out = Vec::new();
        let mut i = 0;
        while let Some((name, rpath, runpath)) = queue.get(i).cloned() {
            i += 1;
            if Some(name.as_bytes()) == provider_soname || !seen.insert(name.clone()) {
                continue;
            }
            let Some(path) = self.find(&name, rpath.as_deref(), runpath.as_deref(), facts) else {
                continue;
            };
            if let Some(Some(lib)) = self.by_path.get(&path) {
                let lib_origin = match path.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                for n in &lib.needed {
                    let own_rpath = lib
                        .rpath
                        .as_deref()
                        .filter(|_| lib.runpath.is_none())
                        .map(|r| expand(r, &lib_origin));
                    queue.push((
                        n.clone(),
                        own_rpath.or(exe_rpath.clone()),
                        lib.runpath.as_deref().map(|r| expand(r, &lib_origin)),
                    ));
                }
            }
            out.push(path);
        }
        out
    }

    /// Where ld.so finds `name`: a path as given; else DT_RPATH, `LD_LIBRARY_PATH`,
    /// DT_RUNPATH, the directories of `/etc/ld.so.conf`, the default directories. Only a
    /// library of the consumer's machine and class counts.
    fn find(
        &mut self,
        name: &str,
        rpath: Option<&str>,
        runpath: Option<&str>,
        consumer: &ElfFacts<'_>,
    ) -> Option<PathBuf> {
        let mut dirs: Vec<PathBuf> = Vec::new();
        if name.contains('/') {
            return self.usable(PathBuf::from(name), consumer);
        }
        let split = |s: &str| -> Vec<PathBuf> {
            s.split(':')
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .collect()
        };
        dirs.extend(rpath.map(split).unwrap_or_default());
        if let Ok(env) = std::env::var("LD_LIBRARY_PATH") {
            dirs.extend(split(&env));
        }
        dirs.extend(runpath.map(split).unwrap_or_default());
        dirs.extend(self.default_dirs().iter().cloned());
        dirs.into_iter()
            .find_map(|d| self.usable(d.join(name), consumer))
    }

    /// `path`, read and kept, when it is an ELF shared object of the consumer's kind.
    fn usable(&mut self, path: PathBuf, consumer: &ElfFacts<'_>) -> Option<PathBuf> {
        if !self.by_path.contains_key(&path) {
            let lib = read_library(&path, consumer);
            self.by_path.insert(path.clone(), lib);
        }
        matches!(self.by_path.get(&path), Some(Some(_))).then_some(path)
    }

    /// Which of the `open` needs the library binds, read once per library.
    fn binds(&mut self, lib: &Path, needs: &Needs<'_>, open: &[u32]) -> &FxHashSet<u32> {
        if !self.binds.contains_key(lib) {
            let mut set = FxHashSet::default();
            if let Some(Some(library)) = self.by_path.get(lib) {
                if let Ok(f) = elf::read_facts_with(lib, library.map.bytes(), ReadOptions::ALL) {
                    let exports = Exports::from_provider(lib, &f);
                    set.extend(open.iter().copied().filter(|&id| {
                        needs
                            .symbols
                            .get(id as usize)
                            .is_some_and(|n| exports.binding(n.name, n.version).is_some())
                    }));
                }
            }
            self.binds.insert(lib.to_path_buf(), set);
        }
        &self.binds[lib]
    }

    fn default_dirs(&mut self) -> &[PathBuf] {
        self.default_dirs.get_or_insert_with(|| {
            let mut dirs = Vec::new();
            read_ld_so_conf(Path::new("/etc/ld.so.conf"), &mut dirs, 0);
            for d in ["/lib64", "/usr/lib64", "/lib", "/usr/lib"] {
                dirs.push(PathBuf::from(d));
            }
            dirs
        })
    }
}

/// `$ORIGIN` (and `${ORIGIN}`) replaced by the object's directory.
fn expand(path: &str, origin: &Path) -> String {
    let o = origin.to_string_lossy();
    path.replace("${ORIGIN}", &o).replace("$ORIGIN", &o)
}

fn read_library(path: &Path, consumer: &ElfFacts<'_>) -> Option<Library> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let map = Mapped::open(path).ok()?;
    let facts = elf::read_facts_with(path, map.bytes(), ReadOptions::IMPORTS).ok()?;
    if facts.kind != ElfKind::Dyn
        || facts.machine != consumer.machine
        || facts.is_64 != consumer.is_64
    {
        return None;
    }
    let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let needed = facts.needed.iter().map(|n| lossy(n)).collect();
    let rpath = facts.rpath.map(lossy);
    let runpath = facts.runpath.map(lossy);
    drop(facts);
    Some(Library {
        map,
        needed,
        rpath,
        runpath,
    })
}

/// The directories of an `ld.so.conf`, following `include` globs (`*.conf` in a directory).
fn read_ld_so_conf(path: &Path, dirs: &mut Vec<PathBuf>, depth: usize) {
    if depth > 8 {
        return;
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some(pattern) = line.strip_prefix("include") {
            let pattern = pattern.trim();
            let pattern = if Path::new(pattern).is_absolute() {
                PathBuf::from(pattern)
            } else {
                path.parent().unwrap_or(Path::new("/")).join(pattern)
            };
            let (Some(dir), Some(file)) = (pattern.parent(), pattern.file_name()) else {
                continue;
            };
            let file = file.to_string_lossy();
            let (prefix, suffix) = file.split_once('*').unwrap_or((&file, ""));
            let mut matched: Vec<PathBuf> = std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name().is_some_and(|n| {
                        let n = n.to_string_lossy();
                        n.starts_with(prefix) && n.ends_with(suffix)
                    })
                })
                .collect();
            matched.sort();
            for m in matched {
                read_ld_so_conf(&m, dirs, depth + 1);
            }
        } else if line.starts_with('/') {
            dirs.push(PathBuf::from(line));
        }
    }
}
