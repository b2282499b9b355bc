//! Stage 2, analysis: the union of what every consumer needs, per (name, version), with who
//! needs it, whether the provider exports it, whether another input defines it, and the
//! exports looked up by name.

use rayon::prelude::*;

use super::byname::{self, ByNameHit};
use super::elf::ElfFacts;
use super::exports::Exports;
pub use super::ids::FileId;
use crate::hash::FxHashMap;
use hashbrown::HashTable;

/// One needed symbol, merged over all consumers.
#[derive(Debug, Clone)]
pub struct Need<'a> {
    pub name: &'a [u8],
    pub version: Option<&'a [u8]>,
    /// The library the version is needed from (first consumer's), if versioned.
    pub library: Option<&'a [u8]>,
    /// Every reference is weak: the consumers run without it.
    pub weak: bool,
    /// Largest size among COPY relocations binding it, if any consumer copy-relocates it.
    pub copy_size: Option<u64>,
    /// The provider exports the name.
    pub provided: bool,
}

/// Where a by-name candidate was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitSource {
    /// In a consumer (one that imports `dlsym`/`dlvsym`).
    Consumer(FileId),
    /// In the provider's own read-only data.
    Provider,
}

/// A by-name candidate with where it came from.
#[derive(Debug, Clone, Copy)]
pub struct ByName<'a> {
    pub hit: ByNameHit<'a>,
    pub source: HitSource,
}

/// The merged needs of a set of consumers.
#[derive(Debug, Default)]
pub struct Needs<'a> {
    /// Sorted by (name, version).
    pub symbols: Vec<Need<'a>>,
    /// (symbol index, consumer) pairs, sorted.
    pub consumers: Vec<(u32, FileId)>,
    /// (symbol index, input file that defines it) pairs, sorted.
    pub defined_in: Vec<(u32, FileId)>,
    /// By-name candidates, consumers' first (in input order), then the provider's.
    pub by_name: Vec<ByName<'a>>,
}

/// What [`compute`] needs to know about the provider.
#[derive(Clone, Copy)]
pub struct ProviderView<'p, 'a> {
    pub exports: &'p Exports<'a>,
    /// The provider's own facts, when it is an ELF file (for its by-name scan).
    pub facts: Option<&'p ElfFacts<'a>>,
    /// The provider's by-name hits, found in the live sections of its link (`tailor gc`'s fixed
    /// point, [`super::gc`]): used instead of scanning the linked image.
    pub object_hits: Option<&'p [ByNameHit<'a>]>,
}

/// Merges the consumers' imports. `scan_by_name` enables the by-name scan.
///
/// The imports are merged in parallel, one run of files per thread, and the runs' symbols
/// folded into the first run's in file order (only distinct symbols are looked up again);
/// the (symbol, consumer) pairs are then put in symbol order by a counting sort, since they
/// come in file order. (A global map and a comparison sort of the pairs were 187 M of the
/// 456 M instructions of `version-script` over /usr, all on one thread.)
pub fn compute<'a>(
    files: &[ElfFacts<'a>],
    provider: Option<ProviderView<'_, 'a>>,
    scan_by_name: bool,
) -> Needs<'a> {
    let runs = rayon::current_num_threads().clamp(1, 16);
    let per_run = files.len().div_ceil(runs).max(1);
    let mut partials: Vec<Partial<'a>> = files
        .par_chunks(per_run)
        .enumerate()
        .map(|(run, files)| Partial::of(files, run * per_run))
        .collect();
    let mut merged = match partials.is_empty() {
        true => Partial::default(),
        false => partials.remove(0),
    };
    for p in partials {
        merged.fold(p);
    }
    let Partial {
        mut symbols,
        pairs: consumers,
        ..
    } = merged;
    // Which needed names other inputs define: one lookup per definition, in parallel by file.
    let defined_in = definers(files, &symbols);
    if let Some(p) = provider {
        for need in &mut symbols {
            need.provided = p.exports.contains(need.name);
        }
    }
    let by_name = match provider {
        Some(p) if scan_by_name => scan_all(files, p),
        _ => Vec::new(),
    };
    // Renumber symbols in sorted order so every output is sorted and stable.
    let mut order: Vec<u32> = (0..symbols.len() as u32).collect();
    order.par_sort_unstable_by(|&a, &b| {
        let (a, b) = (&symbols[a as usize], &symbols[b as usize]);
        (a.name, a.version).cmp(&(b.name, b.version))
    });
    let mut rank = vec![0u32; order.len()];
    for (new, &old) in order.iter().enumerate() {
        rank[old as usize] = new as u32;
    }
    let symbols = order
        .iter()
        .map(|&old| symbols[old as usize].clone())
        .collect();
    Needs {
        symbols,
        consumers: by_rank(&consumers, &rank),
        defined_in: by_rank(&defined_in, &rank),
        by_name,
    }
}

/// The imports of a run of files merged: symbols by (name, version), and (symbol, file) pairs
/// in file order.
///
/// The table holds symbol ids, found by a hash of the key and compared on a copy of the keys
/// kept together here: comparing with the first import's name, in another file's arena, was
/// a cache miss a lookup (35 ms for the 228 K imports of /usr on one thread).
#[derive(Default)]
struct Partial<'a> {
    table: HashTable<u32>,
    /// Per symbol: its key's hash and where its name and version are in `keys`.
    hashes: Vec<u64>,
    spans: Vec<KeySpan>,
    keys: Vec<u8>,
    symbols: Vec<Need<'a>>,
    pairs: Vec<(u32, FileId)>,
}

/// A symbol's name and version in [`Partial::keys`]: `name_len` bytes at `start`, then the
/// version's (`None`: unversioned).
#[derive(Clone, Copy)]
struct KeySpan {
    start: u32,
    name_len: u32,
    version_len: Option<u32>,
}

fn key_hash(name: &[u8], version: Option<&[u8]>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = crate::hash::FxHasher::default();
    (name, version).hash(&mut h);
    h.finish()
}

impl<'a> Partial<'a> {
    /// The imports of `files`, the first of which is file `first`.
    fn of(files: &[ElfFacts<'a>], first: usize) -> Self {
        let imports: usize = files.iter().map(|f| f.imports.len()).sum();
        let mut p = Partial {
            table: HashTable::with_capacity(imports / 4),
            pairs: Vec::with_capacity(imports),
            ..Partial::default()
        };
        for (i, facts) in files.iter().enumerate() {
            let file = FileId::from_index(first + i);
            for imp in &facts.imports {
                let need = Need {
                    name: imp.name,
                    version: imp.version,
                    library: imp.library,
                    weak: imp.weak,
                    copy_size: imp.copy_size,
                    provided: false,
                };
                let id = p.add(key_hash(imp.name, imp.version), need);
                p.pairs.push((id, file));
            }
        }
        p
    }

    /// The name and version of symbol `id`, from the copy in `keys`.
    fn key(&self, id: u32) -> (&[u8], Option<&[u8]>) {
        let s = self.spans[id as usize];
        let (start, name_end) = (s.start as usize, (s.start + s.name_len) as usize);
        let version = s
            .version_len
            .map(|l| &self.keys[name_end..name_end + l as usize]);
        (&self.keys[start..name_end], version)
    }

    /// Adds one reference to (`need.name`, `need.version`), whose key hashes to `hash`: the
    /// first one's library stays, the symbol is weak while every reference is, and its COPY
    /// size is the largest.
    fn add(&mut self, hash: u64, need: Need<'a>) -> u32 {
        let key = (need.name, need.version);
        let found = self.table.find(hash, |&id| {
            self.hashes[id as usize] == hash && {
                let s = self.spans[id as usize];
                let (start, name_end) = (s.start as usize, (s.start + s.name_len) as usize);
                self.keys[start..name_end] == *key.0
                    && s.version_len
                        .map(|l| &self.keys[name_end..name_end + l as usize])
                        == key.1
            }
        });
        let id = match found {
            Some(&id) => id,
            None => {
                let id = self.symbols.len() as u32;
                let start = self.keys.len() as u32;
                self.keys.extend_from_slice(need.name);
                if let Some(v) = need.version {
                    self.keys.extend_from_slice(v);
                }
                self.spans.push(KeySpan {
                    start,
                    name_len: need.name.len() as u32,
                    version_len: need.version.map(|v| v.len() as u32),
                });
                self.hashes.push(hash);
                self.symbols.push(Need {
                    weak: true,
                    copy_size: None,
                    ..need.clone()
                });
                let hashes = &self.hashes;
                self.table.insert_unique(hash, id, |&i| hashes[i as usize]);
                id
            }
        };
        let merged = &mut self.symbols[id as usize];
        merged.weak &= need.weak;
        if let Some(size) = need.copy_size {
            merged.copy_size = Some(merged.copy_size.map_or(size, |s: u64| s.max(size)));
        }
        id
    }

    /// Appends `later`, the run of files after this one's.
    fn fold(&mut self, later: Partial<'a>) {
        let ids: Vec<u32> = later
            .symbols
            .iter()
            .enumerate()
            .map(|(i, s)| {
                debug_assert!(later.key(i as u32) == (s.name, s.version));
                self.add(later.hashes[i], s.clone())
            })
            .collect();
        self.pairs.extend(
            later
                .pairs
                .iter()
                .map(|&(id, file)| (ids[id as usize], file)),
        );
    }
}

/// `pairs` (in file order) with their symbols renumbered by `rank`, sorted by (symbol, file)
/// and without duplicates: a counting sort by symbol keeps the file order within each.
fn by_rank(pairs: &[(u32, FileId)], rank: &[u32]) -> Vec<(u32, FileId)> {
    debug_assert!(pairs.windows(2).all(|w| w[0].1 <= w[1].1));
    let mut start = vec![0u32; rank.len() + 1];
    for &(id, _) in pairs {
        start[rank[id as usize] as usize + 1] += 1;
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let mut out = vec![(0u32, FileId::default()); pairs.len()];
    for &(id, file) in pairs {
        let r = rank[id as usize];
        let at = &mut start[r as usize];
        out[*at as usize] = (r, file);
        *at += 1;
    }
    out.dedup();
    out
}

/// (symbol, input file) pairs for every needed symbol another input defines: one lookup per
/// definition, files in parallel. Nothing to do when no definitions were read.
fn definers<'a>(files: &[ElfFacts<'_>], symbols: &[Need<'a>]) -> Vec<(u32, FileId)> {
    if files.iter().all(|f| f.definitions.is_empty()) {
        return Vec::new();
    }
    // Versions of one name form a chain: `heads[name]` → id → `next[id]` → ... → None.
    let mut heads: FxHashMap<&'a [u8], u32> = FxHashMap::default();
    let mut next: Vec<Option<u32>> = vec![None; symbols.len()];
    for (id, s) in symbols.iter().enumerate() {
        next[id] = heads.insert(s.name, id as u32);
    }
    files
        .par_iter()
        .enumerate()
        .flat_map_iter(|(file_id, facts)| {
            let (heads, next) = (&heads, &next);
            facts
                .definitions
                .iter()
                .filter_map(move |d| heads.get(d.name).copied())
                .flat_map(move |head| {
                    std::iter::successors(Some(head), move |&id| {
                        next.get(id as usize).copied().flatten()
                    })
                })
                .map(move |id| (id, FileId::from_index(file_id)))
        })
        .collect()
}

/// By-name hits: the consumers' (found when they were read), then the provider's own.
fn scan_all<'a>(files: &[ElfFacts<'a>], p: ProviderView<'_, 'a>) -> Vec<ByName<'a>> {
    let mut out: Vec<ByName<'a>> = files
        .iter()
        .enumerate()
        .flat_map(|(id, f)| {
            f.by_name.iter().map(move |&hit| ByName {
                hit,
                source: HitSource::Consumer(FileId::from_index(id)),
            })
        })
        .collect();
    if let Some(hits) = p.object_hits {
        out.extend(hits.iter().map(|&hit| ByName {
            hit,
            source: HitSource::Provider,
        }));
    } else if let Some(facts) = p.facts {
        out.extend(
            byname::scan(&facts.rodata, p.exports)
                .into_iter()
                .map(|hit| ByName {
                    hit,
                    source: HitSource::Provider,
                }),
        );
    }
    out
}

impl<'a> Needs<'a> {
    /// Consumers of symbol `id`.
    pub fn consumers_of(&self, id: u32) -> impl Iterator<Item = FileId> + '_ {
        pairs_of(&self.consumers, id)
    }

    /// Input files that define symbol `id`.
    pub fn definers_of(&self, id: u32) -> impl Iterator<Item = FileId> + '_ {
        pairs_of(&self.defined_in, id)
    }

    /// Distinct names needed.
    pub fn distinct_names(&self) -> usize {
        let mut n = 0;
        let mut last: Option<&[u8]> = None;
        for s in &self.symbols {
            if last != Some(s.name) {
                n += 1;
                last = Some(s.name);
            }
        }
        n
    }
}

fn pairs_of(pairs: &[(u32, FileId)], id: u32) -> impl Iterator<Item = FileId> + '_ {
    let start = pairs.partition_point(|p| p.0 < id);
    pairs[start..]
        .iter()
        .take_while(move |p| p.0 == id)
        .map(|p| p.1)
}
