//! Stage 2, analysis: section garbage collection predicted before linking — the section
//! graph of a resolved link (an edge per relocation, plus group, link-order and `.eh_frame`
//! edges), the roots each linker starts from, the mark from those roots, and the by-name
//! fixed point (strings in live read-only data that name an export keep it).
//!
//! The three linkers differ in their roots; [`Rules`] says which one is modelled:
//! GNU ld keeps what its linker script `KEEP`s (its built-in script by default), notes,
//! `SHF_GNU_RETAIN` in GNU-ABI objects, the non-allocated sections of files that keep any
//! allocated one, and the sections `__start_X`/`__stop_X` references name; lld and mold
//! keep init/fini arrays and `.ctors`/`.dtors`/`.init`/`.fini` by name, every
//! non-allocated section, and (mold) every section named like a C identifier.

use object::elf;
use rayon::prelude::*;

use super::link_model::{Def, Link, Target};
use crate::hash::FxHashMap;
use crate::inputs::ldscript::{Placement, Placer};
use crate::inputs::link_command::Linker;
use crate::inputs::version_rules::{Scope, VersionRules};

/// What the link exports, which decides the exported-symbol roots.
pub struct ExportPolicy<'a> {
    pub shared: bool,
    /// The output has dynamic sections (a shared library or PIE, or a shared library among
    /// the inputs): GNU ld roots no export of an executable without them, whatever
    /// `--export-dynamic` says (`bfd_elf_gc_sections`: `dynamic_sections_created`).
    pub dynamic: bool,
    pub export_dynamic: bool,
    pub gc_keep_exported: bool,
    /// The version scripts in force (the command's, or tailor's plan).
    pub version: &'a VersionRules,
    /// `--dynamic-list` patterns (exports only in an executable).
    pub dynamic_list: &'a VersionRules,
}

/// Everything that decides the roots.
pub struct GcOptions<'a> {
    pub linker: Linker,
    pub entry: Option<String>,
    /// When the script defines the entry symbol: the object symbols its value comes from
    /// ([`crate::inputs::ldscript::Script::defined_from`]).
    pub entry_from: Vec<String>,
    /// Symbols the script's expressions name that the linker keeps (lld's).
    pub script_symbols: Vec<String>,
    pub undefined: Vec<String>,
    pub init: String,
    pub fini: String,
    pub exports: ExportPolicy<'a>,
    /// The script placing sections (`-T`, or GNU ld's built-in one); `KEEP` rules are roots.
    pub script: Option<&'a Placer<'a>>,
    /// `-z start-stop-gc` (GNU ld's default: off; lld's: on).
    pub start_stop_gc: bool,
    /// Run the by-name fixed point.
    pub by_name: bool,
}

/// Why a root is a root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootReason {
    /// `-e`/`ENTRY`, `-u`, `-init`, `-fini`: (option, symbol).
    Symbol { option: &'static str, name: String },
    /// An exported symbol (global id) and why it is exported.
    Export { global: u32, why: &'static str },
    /// A linker-script `KEEP` rule (index in the placer's rules).
    Keep { rule: u32 },
    /// A section the linker always keeps: notes, init/fini arrays, `SHF_GNU_RETAIN`, ...
    Kind(&'static str),
    /// A string in a live read-only section names this export: (global, section id of the
    /// string, offset of the string).
    ByName {
        global: u32,
        section: u32,
        offset: u64,
    },
    /// A `.eh_frame` CIE's personality routine (lld and mold keep them all).
    Personality,
    /// A non-allocated section, kept without following its relocations: GNU ld keeps those
    /// of a file that keeps an allocated section, lld and mold every one.
    NonAlloc,
}

/// How an edge came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// A relocation of the source section (index in its object's relocations).
    Reloc(u32),
    /// A reference to `__start_X`/`__stop_X` keeps every section `X` (relocation index).
    StartStop(u32),
    /// The `.eh_frame` FDE of the source function refers to it (relocation index in the
    /// object's relocations, inside `.eh_frame`): an LSDA or a personality routine.
    EhFrame(u32),
    /// Both are members of one section group.
    Group,
    /// The target is `SHF_LINK_ORDER`-linked to the source.
    LinkOrder,
}

/// One edge of the graph.
#[derive(Debug, Clone, Copy)]
pub struct Edge {
    pub to: u32,
    pub kind: EdgeKind,
}

/// The section graph: edges by source section (compressed rows).
pub struct Graph {
    pub offsets: Vec<u32>,
    pub edges: Vec<Edge>,
}

impl Graph {
    pub fn out(&self, s: u32) -> &[Edge] {
        let a = self.offsets[s as usize] as usize;
        let b = self.offsets[s as usize + 1] as usize;
        &self.edges[a..b]
    }
}

/// A root: the section it keeps and why.
#[derive(Debug, Clone)]
pub struct Root {
    pub section: u32,
    pub reason: RootReason,
}

/// `parent` value of a section no one reached.
pub const UNREACHED: u32 = u32::MAX;
/// `parent` values at or above this are roots: `ROOT_BASE + index in roots`.
pub const ROOT_BASE: u32 = u32::MAX / 2;

/// The outcome: what is live and how it was reached.
pub struct GcResult {
    pub graph: Graph,
    pub roots: Vec<Root>,
    pub live: Vec<bool>,
    /// The predecessor on a shortest path from a root (a section id, `ROOT_BASE + root`,
    /// or [`UNREACHED`]); the edge used is `parent_edge`.
    pub parent: Vec<u32>,
    pub parent_edge: Vec<Option<EdgeKind>>,
    /// Sections the linker reports on (see [`reportable`]).
    pub reportable: Vec<bool>,
    /// Sections the reports count (modelled, not dropped on reading).
    pub counted: Vec<bool>,
    /// The output section (index in the script's placer) of each section, [`UNPLACED`] or
    /// [`DISCARDED`]; empty without a script.
    pub outputs: Vec<u32>,
    /// The exports the by-name fixed point added.
    pub by_name_roots: usize,
}

/// Runs the prediction.
pub fn collect(link: &Link<'_>, opts: &GcOptions<'_>) -> GcResult {
    let graph = build_graph(link, opts);
    let (mut roots, outputs) = section_roots(link, opts);
    roots.extend(symbol_roots(link, opts));
    let n = link.section_count as usize;
    let mut live = vec![false; n];
    let mut parent = vec![UNREACHED; n];
    let mut parent_edge = vec![None; n];
    let mut queue: Vec<u32> = Vec::new();
    mark_roots(&roots, 0, &mut live, &mut parent, &mut queue);
    propagate(&graph, &mut queue, &mut live, &mut parent, &mut parent_edge);
    let mut by_name_roots = 0;
    if opts.by_name {
        let mut scanned = vec![false; n];
        loop {
            let found = by_name_pass(link, &live, &mut scanned, &roots, opts.exports.shared);
            if found.is_empty() {
                break;
            }
            by_name_roots += found.len();
            let start = roots.len();
            roots.extend(found);
            mark_roots(&roots, start, &mut live, &mut parent, &mut queue);
            propagate(&graph, &mut queue, &mut live, &mut parent, &mut parent_edge);
        }
    }
    if opts.linker == Linker::Bfd {
        bfd_keep_non_alloc(link, &mut live, &mut parent, &mut roots);
        bfd_group_liveness(link, &mut live);
    }
    let (reportable, counted) = reportable(link, opts.linker);
    GcResult {
        graph,
        roots,
        live,
        parent,
        parent_edge,
        reportable,
        counted,
        outputs: if opts.script.is_some() {
            outputs
        } else {
            Vec::new()
        },
        by_name_roots,
    }
}

fn mark_roots(
    roots: &[Root],
    from: usize,
    live: &mut [bool],
    parent: &mut [u32],
    queue: &mut Vec<u32>,
) {
    for (i, r) in roots.iter().enumerate().skip(from) {
        let s = r.section as usize;
        if !live[s] {
            live[s] = true;
            parent[s] = ROOT_BASE + i as u32;
            // Non-allocated sections are kept without following their relocations (every
            // linker: GNU ld marks them after the sweep, lld and mold without scanning).
            if !matches!(r.reason, RootReason::NonAlloc) {
                queue.push(r.section);
            }
        }
    }
}

/// Breadth-first marking, so `parent` gives shortest chains.
fn propagate(
    graph: &Graph,
    queue: &mut Vec<u32>,
    live: &mut [bool],
    parent: &mut [u32],
    parent_edge: &mut [Option<EdgeKind>],
) {
    let mut head = 0;
    while head < queue.len() {
        let s = queue[head];
        head += 1;
        for e in graph.out(s) {
            let t = e.to as usize;
            if !live[t] {
                live[t] = true;
                parent[t] = s;
                parent_edge[t] = Some(e.kind);
                queue.push(e.to);
            }
        }
    }
    queue.clear();
}

/// Sections of a COMDAT group another object already brought are dropped on reading by
/// lld and mold; GNU ld keeps them until after GC (unreferenced, they are swept and printed).
fn dropped(linker: Linker, o: &super::link_model::Obj<'_>, i: usize) -> bool {
    linker != Linker::Bfd && o.discarded[i]
}

/// True for `.eh_frame` sections (their relocations are read per FDE, not as edges).
fn is_eh_frame(name: &[u8], sh_type: u32) -> bool {
    name == b".eh_frame" && (sh_type == elf::SHT_PROGBITS || sh_type == elf::SHT_X86_64_UNWIND)
}

/// The edges of every object, built in parallel, then joined into rows.
pub fn build_graph(link: &Link<'_>, opts: &GcOptions<'_>) -> Graph {
    // Sections named like C identifiers, for `__start_X`/`__stop_X`.
    let mut by_c_name: FxHashMap<&[u8], Vec<u32>> = FxHashMap::default();
    for o in &link.objects {
        for (i, s) in o.elf.sections.iter().enumerate() {
            if s.modeled
                && !dropped(opts.linker, o, i)
                && super::link_model::is_c_identifier(s.name)
            {
                by_c_name.entry(s.name).or_default().push(o.base + i as u32);
            }
        }
    }
    // A live reference to `__start_X` keeps every `X`: GNU ld and lld unless
    // `-z start-stop-gc` (lld's default, where only `__libc_*` sections stay, for glibc's
    // libc.a: MarkLive.cpp); mold 1.x always (it roots every such section anyway).
    let start_stop_edges = |name: &[u8]| match opts.linker {
        Linker::Bfd => !opts.start_stop_gc,
        Linker::Lld => !opts.start_stop_gc || name.starts_with(b"__libc_"),
        Linker::Mold => true,
    };
    let per_object: Vec<Vec<(u32, Edge)>> = link
        .objects
        .par_iter()
        .enumerate()
        .map(|(oi, o)| {
            let mut v = Vec::new();
            for (si, s) in o.elf.sections.iter().enumerate() {
                if !s.modeled || dropped(opts.linker, o, si) {
                    continue;
                }
                let from = o.base + si as u32;
                if is_eh_frame(s.name, s.sh_type) {
                    eh_frame_edges(link, oi, si, &mut v);
                    continue;
                }
                for ri in s.relocs.clone() {
                    let r = &o.elf.relocs[ri as usize];
                    match link.target(oi, r.sym) {
                        Target::Section(to) => v.push((
                            from,
                            Edge {
                                to,
                                kind: EdgeKind::Reloc(ri),
                            },
                        )),
                        Target::StartStop(name) if start_stop_edges(name) => {
                            for &to in by_c_name.get(name).map(Vec::as_slice).unwrap_or(&[]) {
                                v.push((
                                    from,
                                    Edge {
                                        to,
                                        kind: EdgeKind::StartStop(ri),
                                    },
                                ));
                            }
                        }
                        _ => {}
                    }
                }
                // mold 1.10 keeps neither an `SHF_LINK_ORDER` section with the section it
                // is linked to nor a group's members together (tests/gc_units.rs).
                if s.flags & u64::from(elf::SHF_LINK_ORDER) != 0 && opts.linker != Linker::Mold {
                    let parent = s.link as usize;
                    if parent != 0 && parent < o.elf.sections.len() {
                        v.push((
                            o.base + parent as u32,
                            Edge {
                                to: from,
                                kind: EdgeKind::LinkOrder,
                            },
                        ));
                    }
                }
            }
            let groups = if opts.linker == Linker::Mold {
                &[][..]
            } else {
                &o.elf.groups[..]
            };
            for (_, _, members) in groups {
                for &a in members {
                    for &b in members {
                        if a != b && !dropped(opts.linker, o, a as usize) {
                            v.push((
                                o.base + a,
                                Edge {
                                    to: o.base + b,
                                    kind: EdgeKind::Group,
                                },
                            ));
                        }
                    }
                }
            }
            v
        })
        .collect();
    let n = link.section_count as usize;
    let mut counts = vec![0u32; n + 1];
    for v in &per_object {
        for (from, _) in v {
            counts[*from as usize + 1] += 1;
        }
    }
    for i in 0..n {
        counts[i + 1] += counts[i];
    }
    let total = counts[n] as usize;
    let mut fill = counts.clone();
    let mut edges = vec![
        Edge {
            to: 0,
            kind: EdgeKind::Group
        };
        total
    ];
    for v in per_object {
        for (from, e) in v {
            let slot = &mut fill[from as usize];
            edges[*slot as usize] = e;
            *slot += 1;
        }
    }
    Graph {
        offsets: counts,
        edges,
    }
}

/// The records of one `.eh_frame`: each FDE's function (its first relocation) gets edges to
/// what the FDE's other relocations and its CIE's relocations name.
fn eh_frame_edges(link: &Link<'_>, oi: usize, si: usize, out: &mut Vec<(u32, Edge)>) {
    let o = &link.objects[oi];
    let eh = EhFrame::read(o, si);
    for &(start, end, cie) in &eh.records {
        let Some(cie_start) = cie else { continue };
        let Some((&first, rest)) = eh.relocs_in(start, end).split_first() else {
            continue;
        };
        let Target::Section(function) = link.target(oi, o.elf.relocs[first as usize].sym) else {
            continue;
        };
        let cie_relocs = eh
            .record_at(cie_start)
            .filter(|r| r.0 == cie_start)
            .map(|r| eh.relocs_in(r.0, r.1))
            .unwrap_or_default();
        for &ri in rest.iter().chain(cie_relocs) {
            if let Target::Section(to) = link.target(oi, o.elf.relocs[ri as usize].sym) {
                out.push((
                    function,
                    Edge {
                        to,
                        kind: EdgeKind::EhFrame(ri),
                    },
                ));
            }
        }
    }
}

/// One `.eh_frame` section read into records, with its relocations by offset.
struct EhFrame {
    /// (start, end, the CIE's start for an FDE or None for a CIE), in file order.
    records: Vec<(usize, usize, Option<usize>)>,
    /// Relocation indices sorted by offset, and their offsets.
    relocs: Vec<u32>,
    offsets: Vec<usize>,
}

impl EhFrame {
    fn read(o: &super::link_model::Obj<'_>, si: usize) -> Self {
        let s = &o.elf.sections[si];
        let (data, big) = (s.data, o.elf.big_endian);
        let read32 = |at: usize| -> Option<u32> {
            let b = data.get(at..at + 4)?;
            let w = [b[0], b[1], b[2], b[3]];
            Some(if big {
                u32::from_be_bytes(w)
            } else {
                u32::from_le_bytes(w)
            })
        };
        let mut records = Vec::new();
        let mut at = 0usize;
        // A zero length ends the section; 64-bit DWARF lengths (0xffffffff) are not produced
        // for ELF objects by gcc or clang, and stop the reading.
        while let Some(len) = read32(at).filter(|&l| l != 0 && l != u32::MAX) {
            let end = at + 4 + len as usize;
            let Some(id) = read32(at + 4) else { break };
            let cie = (id != 0).then(|| (at + 4).wrapping_sub(id as usize));
            records.push((at, end.min(data.len()), cie));
            at = end;
        }
        let mut relocs: Vec<u32> = s.relocs.clone().collect();
        relocs.sort_by_key(|&r| o.elf.relocs[r as usize].offset);
        let offsets = relocs
            .iter()
            .map(|&r| o.elf.relocs[r as usize].offset as usize)
            .collect();
        EhFrame {
            records,
            relocs,
            offsets,
        }
    }

    /// The relocations with offsets in `start..end`.
    fn relocs_in(&self, start: usize, end: usize) -> &[u32] {
        let a = self.offsets.partition_point(|&o| o < start);
        let b = self.offsets.partition_point(|&o| o < end);
        &self.relocs[a..b.max(a)]
    }

    /// The record holding `offset`.
    fn record_at(&self, offset: usize) -> Option<(usize, usize, Option<usize>)> {
        let i = self
            .records
            .partition_point(|r| r.0 <= offset)
            .checked_sub(1)?;
        let r = self.records[i];
        (offset < r.1).then_some(r)
    }
}

/// Sections kept for what they are (by kind or by script rule), and where the script places each section (the output
/// section's index in the placer; [`UNPLACED`] for orphans, discarded and unmodelled ones).
fn section_roots(link: &Link<'_>, opts: &GcOptions<'_>) -> (Vec<Root>, Vec<u32>) {
    let per_object: Vec<(Vec<Root>, Vec<u32>)> = link
        .objects
        .par_iter()
        .enumerate()
        .map(|(oi, o)| {
            let mut v = Vec::new();
            let mut outputs = vec![UNPLACED; o.elf.sections.len()];
            for (i, s) in o.elf.sections.iter().enumerate() {
                if !s.modeled
                    || dropped(opts.linker, o, i)
                    || s.flags & u64::from(elf::SHF_EXCLUDE) != 0
                {
                    continue;
                }
                let id = o.base + i as u32;
                let alloc = s.flags & u64::from(elf::SHF_ALLOC) != 0;
                let in_group = s.group != super::objfile::NONE;
                let link_order = s.flags & u64::from(elf::SHF_LINK_ORDER) != 0;
                let retain = s.flags & u64::from(elf::SHF_GNU_RETAIN) != 0;
                // A `KEEP` rule of the script (GNU ld's built-in one, or `-T`).
                let placed = opts.script.map(|p| p.place(&link.input_section(oi, i)));
                let keep = match placed {
                    Some(Placement::Placed {
                        output, keep_rule, ..
                    }) => {
                        outputs[i] = output;
                        keep_rule.map(|rule| RootReason::Keep { rule })
                    }
                    Some(Placement::Discarded { .. }) => {
                        outputs[i] = DISCARDED;
                        None
                    }
                    _ => None,
                };
                let reason = match opts.linker {
                    Linker::Bfd => {
                        let by_kind = if s.sh_type == elf::SHT_NOTE && !in_group && !link_order {
                            Some(RootReason::Kind("note section"))
                        } else if retain && o.elf.gnu_osabi {
                            Some(RootReason::Kind("SHF_GNU_RETAIN"))
                        } else {
                            None
                        };
                        keep.or(by_kind)
                    }
                    Linker::Lld | Linker::Mold => keep.or_else(|| {
                        if retain {
                            Some(RootReason::Kind("SHF_GNU_RETAIN"))
                        } else if !alloc {
                            // Live, but never scanned: `.debug_info` keeps no code alive
                            // (lld's markLive, mold's `is_visited` without enqueueing).
                            Some(RootReason::NonAlloc)
                        } else if is_eh_frame(s.name, s.sh_type) {
                            Some(RootReason::Kind(".eh_frame"))
                        } else if link_order {
                            None
                        } else if matches!(
                            s.sh_type,
                            elf::SHT_INIT_ARRAY | elf::SHT_FINI_ARRAY | elf::SHT_PREINIT_ARRAY
                        ) {
                            Some(RootReason::Kind("init/fini array"))
                        } else if s.sh_type == elf::SHT_NOTE && !in_group {
                            Some(RootReason::Kind("note section"))
                        } else if [&b".ctors"[..], b".dtors", b".init", b".fini", b".jcr"]
                            .iter()
                            .any(|p| s.name.starts_with(p))
                        {
                            Some(RootReason::Kind(".ctors/.dtors/.init/.fini section"))
                        } else if opts.linker == Linker::Mold
                            && super::link_model::is_c_identifier(s.name)
                        {
                            Some(RootReason::Kind("section named like a C identifier"))
                        } else {
                            None
                        }
                    }),
                };
                if let Some(reason) = reason {
                    v.push(Root {
                        section: id,
                        reason,
                    });
                }
            }
            (v, outputs)
        })
        .collect();
    let mut roots: Vec<Root> = Vec::new();
    let mut outputs = Vec::with_capacity(link.section_count as usize);
    for (r, o) in per_object {
        roots.extend(r);
        outputs.extend(o);
    }
    if opts.linker != Linker::Bfd {
        roots.extend(personality_roots(link, opts.linker == Linker::Lld));
    }
    (roots, outputs)
}

/// `GcResult::outputs` of a section no script rule places (an orphan), or not modelled.
pub const UNPLACED: u32 = u32::MAX;
/// `GcResult::outputs` of a section a `/DISCARD/` rule drops.
pub const DISCARDED: u32 = u32::MAX - 1;

/// lld and mold keep every CIE's personality routine; lld also every section an FDE names that
/// is not code, not `SHF_LINK_ORDER` and in no group — the LSDAs (`.gcc_except_table.f`) of
/// dead functions too (MarkLive.cpp, `resolveReloc` with `fromFDE`).
fn personality_roots(link: &Link<'_>, fde_targets: bool) -> Vec<Root> {
    let mut v = Vec::new();
    for (oi, o) in link.objects.iter().enumerate() {
        for (si, s) in o.elf.sections.iter().enumerate() {
            if !is_eh_frame(s.name, s.sh_type) || o.discarded[si] {
                continue;
            }
            let eh = EhFrame::read(o, si);
            for &(start, end, cie) in &eh.records {
                let is_fde = cie.is_some();
                if is_fde && !fde_targets {
                    continue; // personality relocations sit inside CIEs
                }
                for &ri in eh.relocs_in(start, end) {
                    let Target::Section(to) = link.target(oi, o.elf.relocs[ri as usize].sym) else {
                        continue;
                    };
                    if is_fde && !lsda_like(link, to) {
                        continue;
                    }
                    v.push(Root {
                        section: to,
                        reason: RootReason::Personality,
                    });
                }
            }
        }
    }
    v
}

/// Whether section id `to` is what lld keeps when an FDE names it: not code, not
/// `SHF_LINK_ORDER`, in no section group.
fn lsda_like(link: &Link<'_>, to: u32) -> bool {
    let (o, s) = link.locate(to);
    let sec = &link.objects[o].elf.sections[s];
    sec.flags & (elf::SHF_EXECINSTR as u64 | elf::SHF_LINK_ORDER as u64) == 0
        && sec.group == super::objfile::NONE
}

/// Symbols kept by option (`-e`, `-u`, `-init`, `-fini`) and by export.
fn symbol_roots(link: &Link<'_>, opts: &GcOptions<'_>) -> Vec<Root> {
    let mut v = Vec::new();
    let mut named: Vec<(&'static str, &str)> = Vec::new();
    if let Some(e) = &opts.entry {
        named.push(("entry", e));
    }
    for u in &opts.undefined {
        named.push(("-u", u));
    }
    // GNU ld and lld root `_init`/`_fini` by default; mold only when -init/-fini name them.
    if opts.linker != Linker::Mold || opts.init != "_init" {
        named.push(("-init", &opts.init));
    }
    if opts.linker != Linker::Mold || opts.fini != "_fini" {
        named.push(("-fini", &opts.fini));
    }
    // An entry the script defines (`ENTRY(e)` with `PROVIDE_HIDDEN(e = start - SHIFT)`,
    // OSv's loader.ld): GNU ld places it in the section of the symbol it is relative to.
    let entry_defined = opts
        .entry
        .as_ref()
        .and_then(|e| link.global(e.as_bytes()))
        .and_then(|g| link.def_section(g))
        .is_some();
    if !entry_defined {
        for name in &opts.entry_from {
            named.push(("entry (defined by the script from)", name));
        }
    }
    for name in &opts.script_symbols {
        named.push(("a linker-script expression", name));
    }
    for (option, name) in named {
        if let Some(section) = link
            .global(name.as_bytes())
            .and_then(|g| link.def_section(g))
        {
            v.push(Root {
                section,
                reason: RootReason::Symbol {
                    option,
                    name: name.to_string(),
                },
            });
        }
    }
    for (gi, g) in link.globals.iter().enumerate() {
        let Some(section) = link.def_section(g) else {
            continue;
        };
        if let Some(why) = export_reason(link, opts, gi as u32) {
            v.push(Root {
                section,
                reason: RootReason::Export {
                    global: gi as u32,
                    why,
                },
            });
        }
    }
    v
}

/// Why global `gi` is exported (and so a root), if it is.
pub fn export_reason(link: &Link<'_>, opts: &GcOptions<'_>, gi: u32) -> Option<&'static str> {
    let g = &link.globals[gi as usize];
    let Def::Defined { obj, .. } = g.def else {
        return None;
    };
    let no_export = link.objects[obj as usize].no_export;
    let p = &opts.exports;
    // mold exports what a shared library's --dynamic-list names, whatever the version
    // script says.
    if opts.linker == Linker::Mold
        && p.shared
        && !g.is_hidden()
        && !no_export
        && p.dynamic_list.scope(g.name) == Scope::Global
    {
        return Some("--dynamic-list (mold exports it)");
    }
    let versioned = g.name.contains(&b'@');
    let version_local = !versioned && opts.exports.version.scope(g.name) == Scope::Local;
    let hidden = g.is_hidden() || no_export || version_local;
    if g.ref_dynamic && !hidden {
        return Some("referenced by a shared library");
    }
    if hidden {
        return None;
    }
    if !p.shared && !p.dynamic && opts.linker == Linker::Bfd {
        return p.gc_keep_exported.then_some("--gc-keep-exported");
    }
    if p.shared {
        return Some(if p.version.is_empty() {
            "exported by a shared library"
        } else {
            "global in the version script"
        });
    }
    if p.export_dynamic {
        return Some("--export-dynamic");
    }
    if p.gc_keep_exported {
        return Some("--gc-keep-exported");
    }
    if p.dynamic_list.scope(g.name) == Scope::Global {
        return Some("--dynamic-list");
    }
    None
}

/// One by-name pass: strings referenced from newly live sections that name a defined,
/// not-yet-exported global, and that may reach a lookup ([`super::string_flow`]; `shared`:
/// the output is a shared object, whose exported functions another may interpose).
fn by_name_pass(
    link: &Link<'_>,
    live: &[bool],
    scanned: &mut [bool],
    roots: &[Root],
    shared: bool,
) -> Vec<Root> {
    let mut rooted: Vec<bool> = vec![false; link.globals.len()];
    for r in roots {
        if let RootReason::Export { global, .. } | RootReason::ByName { global, .. } = r.reason {
            rooted[global as usize] = true;
        }
    }
    let mut found = Vec::new();
    let mut flow = super::string_flow::StringFlow::new(link, shared);
    for o in &link.objects {
        let mut names_of_functions: Option<Vec<(u32, u64, u64)>> = None;
        for (si, s) in o.elf.sections.iter().enumerate() {
            let id = (o.base + si as u32) as usize;
            if !live[id] || scanned[id] || !s.modeled || s.flags & u64::from(elf::SHF_ALLOC) == 0 {
                continue;
            }
            scanned[id] = true;
            for ri in s.relocs.clone() {
                let r = &o.elf.relocs[ri as usize];
                let sym = &o.elf.symbols[r.sym as usize];
                let Some(str_sec) = sym.section() else {
                    continue;
                };
                if r.sym >= o.elf.first_global && sym.bind != elf::STB_LOCAL {
                    continue; // strings are local data
                }
                let Some(strings) = o.elf.sections.get(str_sec as usize) else {
                    continue;
                };
                if !is_read_only_data(strings.sh_type, strings.flags) {
                    continue;
                }
                let base = sym.value.wrapping_add(r.addend as u64);
                // PC-relative references carry the instruction's tail in the addend (-4).
                for off in [base, base.wrapping_add(4)] {
                    let Some(name) = string_at(strings.data, off) else {
                        continue;
                    };
                    let Some(&gi) = link.by_name.get(name) else {
                        continue;
                    };
                    // A function's own name (`__func__`, as assertions and log messages
                    // use it: OSv's `device_open`, `taskqueue_free`) names the function
                    // that holds it, for printing: no lookup by name.
                    let function_names =
                        names_of_functions.get_or_insert_with(|| function_name_strings(o));
                    if is_function_name(o, function_names, str_sec, off)
                        || names_its_own_function(o, si as u32, r.offset, strings.name, name)
                    {
                        continue;
                    }
                    let g = &link.globals[gi as usize];
                    if rooted[gi as usize] || g.is_hidden() {
                        continue;
                    }
                    let Def::Defined { obj, .. } = g.def else {
                        continue;
                    };
                    if link.objects[obj as usize].no_export {
                        continue;
                    }
                    let Some(section) = link.def_section(g) else {
                        continue;
                    };
                    if !flow.may_reach_lookup(id as u32, ri) {
                        continue;
                    }
                    rooted[gi as usize] = true;
                    found.push(Root {
                        section,
                        reason: RootReason::ByName {
                            global: gi,
                            section: o.base + str_sec,
                            offset: off,
                        },
                    });
                }
            }
        }
    }
    found
}

/// The names gcc gives the strings of `__func__`, `__FUNCTION__` and `__PRETTY_FUNCTION__`
/// (local objects `__func__.N`; their own section `.rodata.__func__.N` with
/// `-fdata-sections`).
const FUNCTION_NAME_STRINGS: [&[u8]; 3] = [b"__func__.", b"__FUNCTION__.", b"__PRETTY_FUNCTION__."];

/// (section, start, end) of every function-name string object of an object file.
fn function_name_strings(o: &super::link_model::Obj<'_>) -> Vec<(u32, u64, u64)> {
    o.elf
        .symbols
        .iter()
        .filter(|s| !s.is_global() && FUNCTION_NAME_STRINGS.iter().any(|p| s.name.starts_with(p)))
        .filter_map(|s| Some((s.section()?, s.value, s.value.saturating_add(s.size.max(1)))))
        .collect()
}

/// Whether the string at `off` of section `sec` is a function-name string.
fn is_function_name(
    o: &super::link_model::Obj<'_>,
    ranges: &[(u32, u64, u64)],
    sec: u32,
    off: u64,
) -> bool {
    let section_name = o
        .elf
        .sections
        .get(sec as usize)
        .map_or(&b""[..], |s| s.name);
    FUNCTION_NAME_STRINGS.iter().any(|p| {
        section_name
            .strip_prefix(b".rodata.")
            .is_some_and(|n| n.starts_with(p))
    }) || ranges
        .iter()
        .any(|&(s, start, end)| s == sec && (start..end).contains(&off))
}

/// Whether `string` is the name of the function that refers to it (C++'s `__func__` is a
/// plain string literal, in `.rodata.FUNCTION.str1.1` with `-fdata-sections`): the function
/// holding the reference at `offset` of section `sec`, or the one the string section is named
/// after. Code printing its own name looks nothing up by it.
fn names_its_own_function(
    o: &super::link_model::Obj<'_>,
    sec: u32,
    offset: u64,
    string_section: &[u8],
    string: &[u8],
) -> bool {
    let named_after = string_section
        .strip_prefix(b".rodata.")
        .and_then(|n| n.rsplit_once_str(b".str"))
        .map(|(f, _)| f);
    if named_after.is_some_and(|f| own_names(f).contains(&string)) {
        return true;
    }
    o.elf.symbols.iter().any(|s| {
        s.sym_type == elf::STT_FUNC
            && s.section() == Some(sec)
            && (s.value..s.value.saturating_add(s.size)).contains(&offset)
            && own_names(s.name).contains(&string)
    })
}

/// A function's name as its `__func__` spells it: the symbol itself, and for a mangled C++
/// name its unqualified name (`_ZN7condvar4waitEPN...` → `wait`). Names this small parser
/// does not follow (templates, substitutions, special members) give only the symbol.
fn own_names(symbol: &[u8]) -> Vec<&[u8]> {
    let mut out = vec![symbol];
    let Some(rest) = symbol.strip_prefix(b"_Z") else {
        return out;
    };
    let (nested, mut rest) = match rest.strip_prefix(b"N") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if nested {
        while let Some((&c, r)) = rest.split_first() {
            if matches!(c, b'r' | b'V' | b'K') {
                rest = r;
            } else {
                break;
            }
        }
    }
    let mut last = None;
    loop {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            break;
        }
        let Some(len) = std::str::from_utf8(&rest[..digits])
            .ok()
            .and_then(|d| d.parse::<usize>().ok())
        else {
            break;
        };
        let Some(ident) = rest.get(digits..digits + len) else {
            break;
        };
        last = Some(ident);
        rest = &rest[digits + len..];
        if !nested {
            break;
        }
    }
    if let Some(ident) = last.filter(|_| !nested || rest.first() == Some(&b'E')) {
        out.push(ident);
    }
    out
}

/// `rsplit_once` on bytes.
trait RsplitOnceStr {
    fn rsplit_once_str(&self, sep: &[u8]) -> Option<(&[u8], &[u8])>;
}

impl RsplitOnceStr for [u8] {
    fn rsplit_once_str(&self, sep: &[u8]) -> Option<(&[u8], &[u8])> {
        let i = self.windows(sep.len()).rposition(|w| w == sep)?;
        Some((&self[..i], &self[i + sep.len()..]))
    }
}

fn is_read_only_data(sh_type: u32, flags: u64) -> bool {
    sh_type == elf::SHT_PROGBITS
        && flags & u64::from(elf::SHF_ALLOC) != 0
        && flags & u64::from(elf::SHF_WRITE | elf::SHF_EXECINSTR) == 0
}

/// The whole NUL-terminated string starting at `offset` (offset 0 or right after a NUL).
fn string_at(bytes: &[u8], offset: u64) -> Option<&[u8]> {
    let o = usize::try_from(offset).ok()?;
    if o >= bytes.len() || (o > 0 && bytes[o - 1] != 0) {
        return None;
    }
    let len = bytes[o..].iter().position(|&b| b == 0)?;
    (len > 0).then(|| &bytes[o..o + len])
}

/// GNU ld keeps the non-allocated sections (not in groups, not link-ordered, debugging or
/// without relocations) of every file that keeps an allocated, non-note section.
fn bfd_keep_non_alloc(
    link: &Link<'_>,
    live: &mut [bool],
    parent: &mut [u32],
    roots: &mut Vec<Root>,
) {
    for o in &link.objects {
        let secs = &o.elf.sections;
        let some_kept = secs.iter().enumerate().any(|(i, s)| {
            live[(o.base + i as u32) as usize]
                && s.flags & u64::from(elf::SHF_ALLOC) != 0
                && s.sh_type != elf::SHT_NOTE
        });
        if !some_kept {
            continue;
        }
        for (i, s) in secs.iter().enumerate() {
            let id = (o.base + i as u32) as usize;
            if live[id] || !s.modeled || s.flags & u64::from(elf::SHF_ALLOC) != 0 {
                continue;
            }
            let debug = [
                &b".debug"[..],
                b".zdebug",
                b".stab",
                b".line",
                b".gnu.linkonce.wi.",
            ]
            .iter()
            .any(|p| s.name.starts_with(p));
            if s.group == super::objfile::NONE
                && s.flags & u64::from(elf::SHF_LINK_ORDER) == 0
                && (debug || s.relocs.is_empty())
            {
                live[id] = true;
                parent[id] = ROOT_BASE + roots.len() as u32;
                roots.push(Root {
                    section: id as u32,
                    reason: RootReason::NonAlloc,
                });
            }
        }
    }
}

/// Sections the linker would name in `--print-gc-sections` if removed, and the sections the
/// reports count: GNU ld names every non-empty section, its `.group` sections included (a
/// group member as `name[signature]`); lld and mold also empty ones, but never `.eh_frame`,
/// non-allocated sections or those they drop on reading (`.note.GNU-stack`, duplicate COMDAT
/// groups, mold's mergeable sections).
pub fn reportable(link: &Link<'_>, linker: Linker) -> (Vec<bool>, Vec<bool>) {
    let mut v = vec![false; link.section_count as usize];
    let mut counted = vec![false; link.section_count as usize];
    for o in &link.objects {
        for (i, s) in o.elf.sections.iter().enumerate() {
            let id = (o.base + i as u32) as usize;
            if linker == Linker::Bfd && s.sh_type == elf::SHT_GROUP {
                counted[id] = true;
                v[id] = s.size != 0;
                continue;
            }
            if !s.modeled || dropped(linker, o, i) || s.flags & u64::from(elf::SHF_EXCLUDE) != 0 {
                continue;
            }
            counted[id] = true;
            let alloc = s.flags & u64::from(elf::SHF_ALLOC) != 0;
            let yes = match linker {
                Linker::Bfd => s.size != 0,
                Linker::Lld => {
                    alloc
                        && !is_eh_frame(s.name, s.sh_type)
                        && s.name != b".note.GNU-stack"
                        && s.name != b".note.gnu.property"
                }
                Linker::Mold => {
                    alloc
                        && !is_eh_frame(s.name, s.sh_type)
                        && s.flags & u64::from(elf::SHF_MERGE) == 0
                        && s.name != b".note.GNU-stack"
                        && s.name != b".note.gnu.property"
                }
            };
            v[id] = yes;
        }
    }
    (v, counted)
}

/// GNU ld sweeps a `.group` section with its first member.
fn bfd_group_liveness(link: &Link<'_>, live: &mut [bool]) {
    for o in &link.objects {
        for (g, _, members) in &o.elf.groups {
            if let Some(&first) = members.first() {
                live[(o.base + g) as usize] = live[(o.base + first) as usize];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::own_names;

    #[test]
    fn own_names_of_c_and_cpp_functions() {
        assert_eq!(own_names(b"device_open"), vec![&b"device_open"[..]]);
        assert_eq!(
            own_names(b"_ZN7condvar4waitEPN8lockfree5mutexEPN5sched5timerE"),
            vec![
                &b"_ZN7condvar4waitEPN8lockfree5mutexEPN5sched5timerE"[..],
                b"wait"
            ]
        );
        assert_eq!(
            own_names(b"_Z7_msleepPv"),
            vec![&b"_Z7_msleepPv"[..], b"_msleep"]
        );
        // Templates and substitutions are not followed.
        assert_eq!(own_names(b"_ZN3fooIiE3barEv").len(), 1);
    }
}
