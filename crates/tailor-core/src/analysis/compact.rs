//! Stage 2, analysis: a consumer's facts copied into one arena per file, so the file can be
//! unmapped as soon as it is read.
//!
//! On Linux 6.x the page cache maps whole large folios on a fault, whatever `madvise` says, so
//! keeping 3,200 files of /usr mapped while they were analysed cost 260 MB of (file-backed)
//! RSS. Copying the few bytes later stages need — import names and versions, definitions,
//! by-name hits — into one `Vec<u8>` per file (no per-symbol allocation) and dropping the map
//! keeps the peak at about two open maps plus the arenas.

use std::ops::Range;

use super::byname::ByNameHit;
use super::elf::{Definition, ElfFacts, ElfKind, Import};

type Span = Range<u32>;

/// [`ElfFacts`] that own their bytes; [`CompactFacts::view`] borrows them back.
#[derive(Debug, Clone)]
pub struct CompactFacts {
    arena: Vec<u8>,
    kind: ElfKind,
    is_64: bool,
    big_endian: bool,
    machine: u16,
    imports: Vec<ImportRec>,
    definitions: Vec<DefinitionRec>,
    needed: Vec<Span>,
    soname: Option<Span>,
    rpath: Option<Span>,
    runpath: Option<Span>,
    by_name: Vec<HitRec>,
}

/// [`Import`] with names as arena spans.
#[derive(Debug, Clone)]
struct ImportRec {
    name: Span,
    version: Option<Span>,
    library: Option<Span>,
    weak: bool,
    sym_type: u8,
    copy_size: Option<u64>,
}

/// [`Definition`] with names as arena spans.
#[derive(Debug, Clone)]
struct DefinitionRec {
    name: Span,
    version: Option<Span>,
    default_version: bool,
    weak: bool,
    sym_type: u8,
    size: u64,
}

/// [`ByNameHit`] with names as arena spans.
#[derive(Debug, Clone)]
struct HitRec {
    name: Span,
    section: Span,
    offset: u64,
    suffix: bool,
}

struct Arena {
    bytes: Vec<u8>,
}

impl Arena {
    fn put(&mut self, s: &[u8]) -> Span {
        let start = self.bytes.len() as u32;
        self.bytes.extend_from_slice(s);
        start..self.bytes.len() as u32
    }
}

impl CompactFacts {
    /// Copies what later stages read (rodata is left behind: the by-name scan has run).
    pub fn from_facts(f: &ElfFacts<'_>) -> Self {
        let size: usize = f.imports.iter().map(|i| i.name.len() + 8).sum::<usize>()
            + f.definitions.iter().map(|d| d.name.len()).sum::<usize>();
        let mut a = Arena {
            bytes: Vec::with_capacity(size),
        };
        let imports = f
            .imports
            .iter()
            .map(|i| ImportRec {
                name: a.put(i.name),
                version: i.version.map(|v| a.put(v)),
                library: i.library.map(|l| a.put(l)),
                weak: i.weak,
                sym_type: i.sym_type,
                copy_size: i.copy_size,
            })
            .collect();
        let definitions = f
            .definitions
            .iter()
            .map(|d| DefinitionRec {
                name: a.put(d.name),
                version: d.version.map(|v| a.put(v)),
                default_version: d.default_version,
                weak: d.weak,
                sym_type: d.sym_type,
                size: d.size,
            })
            .collect();
        let needed = f.needed.iter().map(|n| a.put(n)).collect();
        let soname = f.soname.map(|s| a.put(s));
        let rpath = f.rpath.map(|s| a.put(s));
        let runpath = f.runpath.map(|s| a.put(s));
        let by_name = f
            .by_name
            .iter()
            .map(|h| HitRec {
                name: a.put(h.name),
                section: a.put(h.section),
                offset: h.offset,
                suffix: h.suffix,
            })
            .collect();
        CompactFacts {
            arena: a.bytes,
            kind: f.kind,
            is_64: f.is_64,
            big_endian: f.big_endian,
            machine: f.machine,
            imports,
            definitions,
            needed,
            soname,
            rpath,
            runpath,
            by_name,
        }
    }

    fn get(&self, s: &Span) -> &[u8] {
        self.arena
            .get(s.start as usize..s.end as usize)
            .unwrap_or_default()
    }

    /// The facts, borrowing from this arena.
    pub fn view(&self) -> ElfFacts<'_> {
        ElfFacts {
            kind: self.kind,
            is_64: self.is_64,
            big_endian: self.big_endian,
            machine: self.machine,
            imports: self
                .imports
                .iter()
                .map(|i| Import {
                    name: self.get(&i.name),
                    version: i.version.as_ref().map(|v| self.get(v)),
                    library: i.library.as_ref().map(|l| self.get(l)),
                    weak: i.weak,
                    sym_type: i.sym_type,
                    copy_size: i.copy_size,
                })
                .collect(),
            definitions: self
                .definitions
                .iter()
                .map(|d| Definition {
                    name: self.get(&d.name),
                    version: d.version.as_ref().map(|v| self.get(v)),
                    default_version: d.default_version,
                    weak: d.weak,
                    sym_type: d.sym_type,
                    size: d.size,
                })
                .collect(),
            version_defs: Vec::new(),
            needed: self.needed.iter().map(|n| self.get(n)).collect(),
            soname: self.soname.as_ref().map(|s| self.get(s)),
            rpath: self.rpath.as_ref().map(|s| self.get(s)),
            runpath: self.runpath.as_ref().map(|s| self.get(s)),
            rodata: Vec::new(),
            by_name: self
                .by_name
                .iter()
                .map(|h| ByNameHit {
                    name: self.get(&h.name),
                    section: self.get(&h.section),
                    offset: h.offset,
                    suffix: h.suffix,
                })
                .collect(),
        }
    }
}
