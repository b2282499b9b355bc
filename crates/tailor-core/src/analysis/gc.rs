//! Stage 2, analysis: section garbage collection predicted before linking — the section
//! graph of a resolved link (an edge per relocation, plus group, link-order and `.eh_frame`
//! edges), the roots each linker starts from, the mark from those roots, and the by-name
//! fixed point (strings in live read-only data that name an export keep it).
//!
//! The three linkers differ in their roots; [`GcRules`] says which one is modelled:
//! GNU ld keeps what its linker script `KEEP`s (its built-in script by default), notes,
//! `SHF_GNU_RETAIN` in GNU-ABI objects, the non-allocated sections of files that keep any
//! allocated one, and the sections `__start_X`/`__stop_X` references name; lld and mold
//! keep init/fini arrays and `.ctors`/`.dtors`/`.init`/`.fini` by name, every
//! non-allocated section, and (mold) every section named like a C identifier.

use object::elf;
use rayon::prelude::*;

pub use super::gc_rules::GcRules;
use super::gc_rules::{NonAllocKept, Reported};
use super::ids::{GlobalId, ObjId, RootId, SectionId};
use super::link_model::{Def, Link, Obj, Target};
use super::objfile::ObjSection;
use crate::hash::FxHashMap;
use crate::inputs::ldscript::{Placement, Placer};
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
    /// The linker's rules.
    pub rules: GcRules,
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
    /// `-z start-stop-gc` (the default is [`GcRules::start_stop_gc_default`]).
    pub start_stop_gc: bool,
    /// Run the by-name fixed point.
    pub by_name: bool,
}

/// Why a root is a root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootReason {
    /// `-e`/`ENTRY`, `-u`, `-init`, `-fini`: (option, symbol).
    Symbol { option: &'static str, name: String },
    /// An exported symbol and why it is exported.
    Export { global: GlobalId, why: &'static str },
    /// A linker-script `KEEP` rule (index in the placer's rules).
    Keep { rule: u32 },
    /// A section the linker always keeps: notes, init/fini arrays, `SHF_GNU_RETAIN`, ...
    Kind(&'static str),
    /// A string in a live read-only section names this export: the export, the section of
    /// the string and the string's offset in it.
    ByName {
        global: GlobalId,
        section: SectionId,
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
    pub to: SectionId,
    pub kind: EdgeKind,
}

/// The section graph: edges by source section (compressed rows).
pub struct Graph {
    pub offsets: Vec<u32>,
    pub edges: Vec<Edge>,
}

impl Graph {
    pub fn out(&self, s: SectionId) -> &[Edge] {
        let a = self.offsets[s.index()] as usize;
        let b = self.offsets[s.index() + 1] as usize;
        &self.edges[a..b]
    }
}

/// A root: the section it keeps and why.
#[derive(Debug, Clone)]
pub struct Root {
    pub section: SectionId,
    pub reason: RootReason,
}

/// How the mark first reached a section: the last step of a shortest chain from a root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reached {
    /// Not by the mark (dead, or live by a rule applied after it: GNU ld's `.group`
    /// sections).
    #[default]
    Unreached,
    /// A root keeps it.
    Root(RootId),
    /// An edge from a section the mark reached before.
    Section { from: SectionId, edge: EdgeKind },
}

impl Reached {
    /// The section it was reached from, if an edge reached it.
    pub fn from_section(self) -> Option<SectionId> {
        match self {
            Reached::Section { from, .. } => Some(from),
            _ => None,
        }
    }
}

// As dense as the section id and edge it replaces (no separate tag).
const _: () = assert!(std::mem::size_of::<Reached>() == 12);

/// Where a linker script places a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Destination {
    /// No rule places it (an orphan, placed by the linker's orphan rules), or it is not
    /// modelled.
    #[default]
    Orphan,
    /// In this output section (index in the script's placer).
    Output(u32),
    /// A `/DISCARD/` rule drops it.
    Discarded,
}

/// The outcome: what is live and how it was reached.
pub struct GcResult {
    pub graph: Graph,
    pub roots: Vec<Root>,
    pub live: Vec<bool>,
    /// How each section was reached, by section id: its predecessor on a shortest chain
    /// from a root.
    pub reached: Vec<Reached>,
    /// Sections the linker reports on (see [`reportable`]).
    pub reportable: Vec<bool>,
    /// Sections the reports count (modelled, not dropped on reading).
    pub counted: Vec<bool>,
    /// Where the script places each section, by section id; empty without a script.
    pub outputs: Vec<Destination>,
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
    let mut reached = vec![Reached::Unreached; n];
    let mut queue: Vec<SectionId> = Vec::new();
    mark_roots(&roots, 0, &mut live, &mut reached, &mut queue);
    propagate(&graph, &mut queue, &mut live, &mut reached);
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
            mark_roots(&roots, start, &mut live, &mut reached, &mut queue);
            propagate(&graph, &mut queue, &mut live, &mut reached);
        }
    }
    if opts.rules.non_alloc == NonAllocKept::OfFilesKeepingCode {
        keep_non_alloc_of_kept_files(link, &mut live, &mut reached, &mut roots);
    }
    if opts.rules.group_section_follows_first_member {
        group_section_liveness(link, &mut live);
    }
    let (reportable, counted) = reportable(link, &opts.rules);
    GcResult {
        graph,
        roots,
        live,
        reached,
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
    reached: &mut [Reached],
    queue: &mut Vec<SectionId>,
) {
    for (i, r) in roots.iter().enumerate().skip(from) {
        let s = r.section.index();
        if !live[s] {
            live[s] = true;
            reached[s] = Reached::Root(RootId::from_index(i));
            // Non-allocated sections are kept without following their relocations (every
            // linker: GNU ld marks them after the sweep, lld and mold without scanning).
            if !matches!(r.reason, RootReason::NonAlloc) {
                queue.push(r.section);
            }
        }
    }
}

/// Breadth-first marking, so `reached` gives shortest chains.
fn propagate(
    graph: &Graph,
    queue: &mut Vec<SectionId>,
    live: &mut [bool],
    reached: &mut [Reached],
) {
    let mut head = 0;
    while head < queue.len() {
        let s = queue[head];
        head += 1;
        for e in graph.out(s) {
            let t = e.to.index();
            if !live[t] {
                live[t] = true;
                reached[t] = Reached::Section {
                    from: s,
                    edge: e.kind,
                };
                queue.push(e.to);
            }
        }
    }
    queue.clear();
}

/// Whether section `i` of `o` is dropped on reading: of a COMDAT group another object
/// already brought, under [`GcRules::drops_duplicate_comdats`].
fn dropped(rules: &GcRules, o: &Obj<'_>, i: usize) -> bool {
    rules.drops_duplicate_comdats && o.discarded[i]
}

/// True for `.eh_frame` sections (their relocations are read per FDE, not as edges).
fn is_eh_frame(name: &[u8], sh_type: u32) -> bool {
    name == b".eh_frame" && (sh_type == elf::SHT_PROGBITS || sh_type == elf::SHT_X86_64_UNWIND)
}

/// The edges of every object, built in parallel, then joined into rows.
pub fn build_graph(link: &Link<'_>, opts: &GcOptions<'_>) -> Graph {
    // Sections named like C identifiers, for `__start_X`/`__stop_X`.
    let rules = &opts.rules;
    let mut by_c_name: FxHashMap<&[u8], Vec<SectionId>> = FxHashMap::default();
    for o in &link.objects {
        for (i, s) in o.elf.sections.iter().enumerate() {
            if s.modeled && !dropped(rules, o, i) && super::link_model::is_c_identifier(s.name) {
                by_c_name
                    .entry(s.name)
                    .or_default()
                    .push(o.base.offset(i as u32));
            }
        }
    }
    let start_stop_edges = |name: &[u8]| rules.start_stop_keeps(opts.start_stop_gc, name);
    let per_object: Vec<Vec<(SectionId, Edge)>> = link
        .objects
        .par_iter()
        .enumerate()
        .map(|(oi, o)| {
            let oi = ObjId::from_index(oi);
            let mut v = Vec::new();
            for (si, s) in o.elf.sections.iter().enumerate() {
                if !s.modeled || dropped(rules, o, si) {
                    continue;
                }
                let from = o.base.offset(si as u32);
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
                if s.flags & u64::from(elf::SHF_LINK_ORDER) != 0 && rules.link_order_edges {
                    let parent = s.link as usize;
                    if parent != 0 && parent < o.elf.sections.len() {
                        v.push((
                            o.base.offset(parent as u32),
                            Edge {
                                to: from,
                                kind: EdgeKind::LinkOrder,
                            },
                        ));
                    }
                }
            }
            let groups = if rules.group_edges {
                &o.elf.groups[..]
            } else {
                &[][..]
            };
            for (_, _, members) in groups {
                for &a in members {
                    for &b in members {
                        if a != b && !dropped(rules, o, a as usize) {
                            v.push((
                                o.base.offset(a),
                                Edge {
                                    to: o.base.offset(b),
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
            counts[from.index() + 1] += 1;
        }
    }
    for i in 0..n {
        counts[i + 1] += counts[i];
    }
    let total = counts[n] as usize;
    let mut fill = counts.clone();
    let mut edges = vec![
        Edge {
            to: SectionId(0),
            kind: EdgeKind::Group
        };
        total
    ];
    for v in per_object {
        for (from, e) in v {
            let slot = &mut fill[from.index()];
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
fn eh_frame_edges(link: &Link<'_>, oi: ObjId, si: usize, out: &mut Vec<(SectionId, Edge)>) {
    let o = link.obj(oi);
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
    fn read(o: &Obj<'_>, si: usize) -> Self {
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

/// Sections kept for what they are (by kind or by script rule), and where the script places
/// each section.
fn section_roots(link: &Link<'_>, opts: &GcOptions<'_>) -> (Vec<Root>, Vec<Destination>) {
    let rules = &opts.rules;
    let per_object: Vec<(Vec<Root>, Vec<Destination>)> = link
        .objects
        .par_iter()
        .enumerate()
        .map(|(oi, o)| {
            let mut v = Vec::new();
            let mut outputs = vec![Destination::Orphan; o.elf.sections.len()];
            for (i, s) in o.elf.sections.iter().enumerate() {
                if !s.modeled || dropped(rules, o, i) || s.flags & u64::from(elf::SHF_EXCLUDE) != 0
                {
                    continue;
                }
                // A `KEEP` rule of the script (GNU ld's built-in one, or `-T`).
                let placed = opts
                    .script
                    .map(|p| p.place(&link.input_section(ObjId::from_index(oi), i)));
                let keep = match placed {
                    Some(Placement::Placed {
                        output, keep_rule, ..
                    }) => {
                        outputs[i] = Destination::Output(output);
                        keep_rule.map(|rule| RootReason::Keep { rule })
                    }
                    Some(Placement::Discarded { .. }) => {
                        outputs[i] = Destination::Discarded;
                        None
                    }
                    _ => None,
                };
                if let Some(reason) = keep.or_else(|| kind_root(rules, o, s)) {
                    v.push(Root {
                        section: o.base.offset(i as u32),
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
    if rules.personality_roots {
        roots.extend(personality_roots(link, rules.fde_lsda_roots));
    }
    (roots, outputs)
}

/// Why section `s` of `o` is a root by its kind, if it is.
fn kind_root(rules: &GcRules, o: &Obj<'_>, s: &ObjSection<'_>) -> Option<RootReason> {
    let alloc = s.flags & u64::from(elf::SHF_ALLOC) != 0;
    let in_group = s.group.is_some();
    let link_order = s.flags & u64::from(elf::SHF_LINK_ORDER) != 0;
    let retain = s.flags & u64::from(elf::SHF_GNU_RETAIN) != 0
        && (o.elf.gnu_osabi || !rules.retain_needs_gnu_osabi);
    if retain {
        Some(RootReason::Kind("SHF_GNU_RETAIN"))
    } else if !alloc && rules.non_alloc == NonAllocKept::Every {
        // Live, but never scanned: `.debug_info` keeps no code alive.
        Some(RootReason::NonAlloc)
    } else if rules.eh_frame_is_root && is_eh_frame(s.name, s.sh_type) {
        Some(RootReason::Kind(".eh_frame"))
    } else if link_order {
        None
    } else if rules.init_fini_by_kind
        && matches!(
            s.sh_type,
            elf::SHT_INIT_ARRAY | elf::SHT_FINI_ARRAY | elf::SHT_PREINIT_ARRAY
        )
    {
        Some(RootReason::Kind("init/fini array"))
    } else if s.sh_type == elf::SHT_NOTE && !in_group {
        Some(RootReason::Kind("note section"))
    } else if rules.init_fini_by_kind
        && [&b".ctors"[..], b".dtors", b".init", b".fini", b".jcr"]
            .iter()
            .any(|p| s.name.starts_with(p))
    {
        Some(RootReason::Kind(".ctors/.dtors/.init/.fini section"))
    } else if rules.c_identifier_sections_are_roots && super::link_model::is_c_identifier(s.name) {
        Some(RootReason::Kind("section named like a C identifier"))
    } else {
        None
    }
}

/// lld and mold keep every CIE's personality routine; lld also every section an FDE names that
/// is not code, not `SHF_LINK_ORDER` and in no group — the LSDAs (`.gcc_except_table.f`) of
/// dead functions too (MarkLive.cpp, `resolveReloc` with `fromFDE`).
fn personality_roots(link: &Link<'_>, fde_targets: bool) -> Vec<Root> {
    let mut v = Vec::new();
    for (oi, o) in link.objects.iter().enumerate() {
        let oi = ObjId::from_index(oi);
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
fn lsda_like(link: &Link<'_>, to: SectionId) -> bool {
    let sec = link.section(to);
    sec.flags & (elf::SHF_EXECINSTR as u64 | elf::SHF_LINK_ORDER as u64) == 0 && sec.group.is_none()
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
    if opts.rules.default_init_fini_roots || opts.init != "_init" {
        named.push(("-init", &opts.init));
    }
    if opts.rules.default_init_fini_roots || opts.fini != "_fini" {
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
        let global = GlobalId::from_index(gi);
        if let Some(why) = export_reason(link, opts, global) {
            v.push(Root {
                section,
                reason: RootReason::Export { global, why },
            });
        }
    }
    v
}

/// Why global `gi` is exported (and so a root), if it is.
pub fn export_reason(link: &Link<'_>, opts: &GcOptions<'_>, gi: GlobalId) -> Option<&'static str> {
    let g = link.global_at(gi);
    let Def::Defined { obj, .. } = g.def else {
        return None;
    };
    let no_export = link.obj(obj).no_export;
    let p = &opts.exports;
    if opts.rules.dynamic_list_exports_in_shared
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
    if !p.shared && !p.dynamic && opts.rules.exports_need_dynamic_sections {
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
            rooted[global.index()] = true;
        }
    }
    let mut found = Vec::new();
    let mut flow = super::string_flow::StringFlow::new(link, shared);
    for o in &link.objects {
        let mut names_of_functions: Option<Vec<(u32, u64, u64)>> = None;
        for (si, s) in o.elf.sections.iter().enumerate() {
            let id = o.base.offset(si as u32).index();
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
                    let g = link.global_at(gi);
                    if rooted[gi.index()] || g.is_hidden() {
                        continue;
                    }
                    let Def::Defined { obj, .. } = g.def else {
                        continue;
                    };
                    if link.obj(obj).no_export {
                        continue;
                    }
                    let Some(section) = link.def_section(g) else {
                        continue;
                    };
                    if !flow.may_reach_lookup(o.base.offset(si as u32), ri) {
                        continue;
                    }
                    rooted[gi.index()] = true;
                    found.push(Root {
                        section,
                        reason: RootReason::ByName {
                            global: gi,
                            section: o.base.offset(str_sec),
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
fn function_name_strings(o: &Obj<'_>) -> Vec<(u32, u64, u64)> {
    o.elf
        .symbols
        .iter()
        .filter(|s| !s.is_global() && FUNCTION_NAME_STRINGS.iter().any(|p| s.name.starts_with(p)))
        .filter_map(|s| Some((s.section()?, s.value, s.value.saturating_add(s.size.max(1)))))
        .collect()
}

/// Whether the string at `off` of section `sec` is a function-name string.
fn is_function_name(o: &Obj<'_>, ranges: &[(u32, u64, u64)], sec: u32, off: u64) -> bool {
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
    o: &Obj<'_>,
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

/// [`NonAllocKept::OfFilesKeepingCode`]: the non-allocated sections (not in groups, not
/// link-ordered, debugging or without relocations) of every file that keeps an allocated,
/// non-note section.
fn keep_non_alloc_of_kept_files(
    link: &Link<'_>,
    live: &mut [bool],
    reached: &mut [Reached],
    roots: &mut Vec<Root>,
) {
    for o in &link.objects {
        let secs = &o.elf.sections;
        let some_kept = secs.iter().enumerate().any(|(i, s)| {
            live[o.base.offset(i as u32).index()]
                && s.flags & u64::from(elf::SHF_ALLOC) != 0
                && s.sh_type != elf::SHT_NOTE
        });
        if !some_kept {
            continue;
        }
        for (i, s) in secs.iter().enumerate() {
            let section = o.base.offset(i as u32);
            let id = section.index();
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
            if s.group.is_none()
                && s.flags & u64::from(elf::SHF_LINK_ORDER) == 0
                && (debug || s.relocs.is_empty())
            {
                live[id] = true;
                reached[id] = Reached::Root(RootId::from_index(roots.len()));
                roots.push(Root {
                    section,
                    reason: RootReason::NonAlloc,
                });
            }
        }
    }
}

/// Sections the linker would name in `--print-gc-sections` if removed ([`Reported`]), and
/// the sections the reports count: modelled ones the linker does not drop on reading
/// (`.group` sections too where the linker prints them).
pub fn reportable(link: &Link<'_>, rules: &GcRules) -> (Vec<bool>, Vec<bool>) {
    let mut v = vec![false; link.section_count as usize];
    let mut counted = vec![false; link.section_count as usize];
    for o in &link.objects {
        for (i, s) in o.elf.sections.iter().enumerate() {
            let id = o.base.offset(i as u32).index();
            if rules.reported == Reported::NonEmpty && s.sh_type == elf::SHT_GROUP {
                counted[id] = true;
                v[id] = s.size != 0;
                continue;
            }
            if !s.modeled || dropped(rules, o, i) || s.flags & u64::from(elf::SHF_EXCLUDE) != 0 {
                continue;
            }
            counted[id] = true;
            v[id] = is_reported(rules.reported, s);
        }
    }
    (v, counted)
}

/// Whether `--print-gc-sections` names section `s` (modelled, not dropped) if removed.
fn is_reported(reported: Reported, s: &ObjSection<'_>) -> bool {
    match reported {
        Reported::NonEmpty => s.size != 0,
        Reported::Allocated { mergeable } => {
            s.flags & u64::from(elf::SHF_ALLOC) != 0
                && !is_eh_frame(s.name, s.sh_type)
                && (mergeable || s.flags & u64::from(elf::SHF_MERGE) == 0)
                && s.name != b".note.GNU-stack"
                && s.name != b".note.gnu.property"
        }
    }
}

/// [`GcRules::group_section_follows_first_member`]: a `.group` section is as live as its
/// first member.
fn group_section_liveness(link: &Link<'_>, live: &mut [bool]) {
    for o in &link.objects {
        for (g, _, members) in &o.elf.groups {
            if let Some(&first) = members.first() {
                live[o.base.offset(*g).index()] = live[o.base.offset(first).index()];
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
