//! Stage 2, analysis: the prediction of a link — its command line read once (the linker's
//! options, its script, every input), resolved and marked as the linker's section garbage
//! collection marks it, with names for what it found. `tailor link` computes one and shares
//! it between its by-name fixed point and its report; `gc`, `why`, `top` and
//! `version-script -- LINK` only render what it holds.

use std::path::{Path, PathBuf};

use object::elf;
use serde::Serialize;

use super::exports::{self, Export, Exports};
use super::gc::{self, Destination, EdgeKind, GcOptions, GcResult, GcRules, Reached, RootReason};
use super::ids::{GlobalId, SectionId};
use super::link_model::{self, Link, LinkFiles};
use super::retained;
use crate::error::{Error, Result};
use crate::inputs::ldscript::{self, Placer, Script};
use crate::inputs::link_command::{LinkCommand, Linker, ToolKind};
use crate::inputs::linker_args::{self, LinkerArgs};
use crate::inputs::version_rules::VersionRules;
use crate::trace::Timings;

/// A link command, read as its linker reads it: options, script, dynamic lists and every
/// input file (mapped once).
pub struct LinkRead {
    pub args: LinkerArgs,
    pub linker: Linker,
    pub script: Option<Script>,
    /// The command's own `--dynamic-list` patterns.
    pub dynamic_list: VersionRules,
    pub files: LinkFiles,
    /// The directory the command runs in (relative paths are read from it).
    pub cwd: PathBuf,
    /// Symbols the command line makes undefined: `-u`, and for lld and mold the entry.
    pub undefined: Vec<String>,
}

impl LinkRead {
    /// Reads `link_cmd`'s link; `linker` overrides the linker the command runs. Errors are
    /// tailor's reading of the command: the commands ask the linker to explain them.
    pub fn read(link_cmd: &LinkCommand, linker: Option<Linker>, t: &mut Timings) -> Result<Self> {
        let cwd = std::env::current_dir().map_err(|e| Error::io("reading", Path::new("."), e))?;
        // The files the command names are read while the driver is asked for its linker line.
        let named = &link_cmd.inputs;
        // So is GNU ld's built-in script, for the emulation ld defaults to (checked below).
        let wants_default_script = linker.is_none_or(|l| GcRules::of(l).builtin_script);
        let (words, prefetched, speculative) = std::thread::scope(|s| {
            let driver = s.spawn(|| linker_args::linker_command(link_cmd));
            let script = s.spawn(|| {
                wants_default_script.then(|| {
                    let program = match link_cmd.kind {
                        ToolKind::Linker => link_cmd.argv()[0].clone(),
                        ToolKind::Driver => "ld".to_string(),
                    };
                    linker_args::default_script(
                        &program,
                        None,
                        link_cmd.shared,
                        guess_pie(link_cmd),
                    )
                    .map(linker_args::DefaultScript::parsed)
                })
            });
            // The longest of the three (stating 1,343 objects, where a kept driver answer takes
            // half a millisecond) on the thread already running: a third thread started for
            // it waited up to 1.8 ms for a core.
            let prefetched = link_model::prefetch(&cwd, named);
            let words = driver
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            (words, prefetched, script.join())
        });
        // What follows (parsing arguments, naming inputs) is mostly one thread's work: the
        // other core builds the decoder tables the by-name fixed point uses.
        super::string_flow::warm_decoder();
        let speculative = speculative.ok().flatten().and_then(|r| r.ok());
        let (words, detected): (Vec<String>, Option<Linker>) = words?;
        let mut args = LinkerArgs::parse(&words, detected)?;
        let linker = linker.or(detected).unwrap_or(Linker::Bfd);
        args.linker = Some(linker);
        let builtin_script = GcRules::of(linker).builtin_script;
        t.phase("linker command, named inputs read");
        // Without a built-in script, only a `-T` one places (and KEEPs) sections.
        let script = if builtin_script || !args.scripts.is_empty() {
            Some(linker_args::linker_script(&args, &cwd, None, speculative)?.0)
        } else {
            None
        };
        let search = match &script {
            Some(s) if builtin_script => linker_args::search_dirs(s),
            _ => Vec::new(),
        };
        t.phase("linker script");
        let mut dynamic_list = VersionRules::default();
        for p in &args.dynamic_lists {
            let p = linker_args::in_dir(&cwd, p);
            let text = crate::inputs::read_text(&p)?;
            dynamic_list.add_dynamic_list(&p, &text)?;
        }
        let files = link_model::read_files(&args, &cwd, &search, &prefetched)?;
        t.phase("inputs read");
        let undefined = undefined_symbols(&args, linker);
        Ok(LinkRead {
            args,
            linker,
            script,
            dynamic_list,
            files,
            cwd,
            undefined,
        })
    }

    /// A link already read: `files` in memory (the unit tests' links), `args` as parsed.
    pub fn from_parts(
        args: LinkerArgs,
        linker: Linker,
        script: Option<Script>,
        files: LinkFiles,
    ) -> Self {
        let undefined = undefined_symbols(&args, linker);
        LinkRead {
            args,
            linker,
            script,
            dynamic_list: VersionRules::default(),
            files,
            cwd: PathBuf::from("."),
            undefined,
        }
    }

    /// The command's own version scripts, as its linker reads them.
    pub fn own_version_rules(&self) -> Result<VersionRules> {
        let mut version = VersionRules::for_linker(self.linker);
        for p in &self.args.version_scripts {
            let p = linker_args::in_dir(&self.cwd, p);
            let text = crate::inputs::read_text(&p)?;
            version.add_script(&p, &text)?;
        }
        Ok(version)
    }

    /// The script's rules, compiled to place sections (none without a script).
    pub fn placer(&self) -> Option<Placer<'_>> {
        self.script.as_ref().map(Placer::new)
    }

    /// The symbols tailor's model of this link resolves (`tailor diff -- LINK`).
    pub fn resolve(&self) -> Result<Link<'_>> {
        let mut link = link_model::resolve(&self.files, &self.undefined)?;
        if let Some(script) = &self.script {
            link.apply_script_definitions(script);
        }
        Ok(link)
    }
}

/// Symbols the command line makes undefined: `-u`, and the entry where it pulls archive
/// members ([`GcRules::entry_pulls_members`]).
/// Whether the command links a position-independent executable, guessed before the driver
/// says (the guess only chooses which built-in script is fetched ahead): a linker's `-pie`;
/// a driver's default (gcc and clang build PIE by default on Debian and most distributions)
/// unless it is told `-no-pie`, `-static` or `-r`.
fn guess_pie(link_cmd: &LinkCommand) -> bool {
    match link_cmd.kind {
        ToolKind::Linker => link_cmd.has_plain("-pie") || link_cmd.has_plain("--pic-executable"),
        ToolKind::Driver => {
            link_cmd.has_plain("-static-pie")
                || !["-no-pie", "-nopie", "-static", "-r"]
                    .iter()
                    .any(|w| link_cmd.has_plain(w))
        }
    }
}

fn undefined_symbols(args: &LinkerArgs, linker: Linker) -> Vec<String> {
    let rules = GcRules::of(linker);
    let mut undefined = args.undefined.clone();
    if rules.entry_pulls_members {
        let entry = args
            .entry
            .clone()
            .or_else(|| rules.default_entry.map(str::to_string));
        undefined.extend(entry);
    }
    undefined
}

/// The exports the command's own link gives its output, read off the model before that link
/// has run: what the plan needs of the generic image, so that the tailored link can be planned
/// (and started) while the generic one still runs. `None` where the model does not say: an
/// executable, symbol versions (`.symver` names, named version nodes), options it does not
/// read. The caller compares the guess with the linked image's exports.
pub fn generic_exports<'r>(read: &'r LinkRead, link: &Link<'r>) -> Result<Option<Exports<'r>>> {
    if !read.args.shared || !read.args.unmodelled.is_empty() {
        return Ok(None);
    }
    let mut version = VersionRules::for_linker(read.linker);
    for p in &read.args.version_scripts {
        let p = linker_args::in_dir(&read.cwd, p);
        let text = crate::inputs::read_text(&p)?;
        if crate::inputs::version_rules::names_versions(&text) {
            return Ok(None);
        }
        version.add_script(&p, &text)?;
    }
    let policy = PredictedExports {
        version,
        dynamic_list: read.dynamic_list.clone(),
        by_name: false,
    };
    let opts = options(read, &policy, None);
    let mut list = Vec::new();
    for (gi, g) in link.globals.iter().enumerate() {
        if g.name.contains(&b'@') {
            return Ok(None);
        }
        if gc::export_reason(link, &opts, GlobalId::from_index(gi)).is_none() {
            continue;
        }
        let (obj, sym, weak) = match g.def {
            link_model::Def::Defined { obj, sym, weak } => (obj, sym, weak),
            link_model::Def::Common { obj, sym, .. } => (obj, sym, false),
            link_model::Def::Undefined => continue,
        };
        let s = &link.obj(obj).elf.symbols[sym as usize];
        let kind = match g.def {
            link_model::Def::Common { .. } => "object",
            _ => exports::type_name(s.sym_type),
        };
        list.push(Export {
            name: g.name,
            version: None,
            default_version: true,
            weak,
            kind,
            size: s.size,
        });
    }
    let source = read.args.output.clone().unwrap_or_default();
    Ok(Some(Exports::unversioned(list, vec![source])))
}

/// What the predicted link exports.
pub struct PredictedExports {
    /// The version scripts in force: the command's own, or tailor's plan.
    pub version: VersionRules,
    /// The `--dynamic-list` in force (tailor's link narrows the command's to its plan).
    pub dynamic_list: VersionRules,
    /// Run the by-name fixed point: exports that strings of live read-only data name.
    pub by_name: bool,
}

/// A link predicted: resolved, marked, and the names of what it holds.
pub struct Prediction<'r> {
    pub read: &'r LinkRead,
    pub link: Link<'r>,
    pub linker: Linker,
    pub version: VersionRules,
    pub gc: GcResult,
    pub placer: Option<Placer<'r>>,
}

/// Resolves and marks `read`'s link with `exports` in force.
pub fn predict<'r>(
    read: &'r LinkRead,
    exports: PredictedExports,
    t: &mut Timings,
) -> Result<Prediction<'r>> {
    let link = read.resolve()?;
    t.phase("resolved");
    Ok(mark(read, link, exports, t))
}

/// Marks `read`'s link, already resolved ([`LinkRead::resolve`]), with `exports` in force.
pub fn mark<'r>(
    read: &'r LinkRead,
    link: Link<'r>,
    exports: PredictedExports,
    t: &mut Timings,
) -> Prediction<'r> {
    mark_placed(read, link, read.placer(), exports, t)
}

/// [`mark`] with the script's rules already compiled (`placer`: [`LinkRead::placer`], built
/// while the link resolves).
pub fn mark_placed<'r>(
    read: &'r LinkRead,
    link: Link<'r>,
    placer: Option<Placer<'r>>,
    exports: PredictedExports,
    t: &mut Timings,
) -> Prediction<'r> {
    let result = gc::collect(&link, &options(read, &exports, placer.as_ref()));
    t.phase("marked");
    Prediction {
        read,
        link,
        linker: read.linker,
        version: exports.version,
        gc: result,
        placer,
    }
}

fn options<'a>(
    p: &'a LinkRead,
    exports: &'a PredictedExports,
    placer: Option<&'a Placer<'a>>,
) -> GcOptions<'a> {
    let rules = GcRules::of(p.linker);
    let entry = p
        .args
        .entry
        .clone()
        .or_else(|| {
            p.script
                .as_ref()
                .and_then(|s| s.entry().map(str::to_string))
        })
        .or_else(|| rules.default_entry.map(str::to_string));
    let entry_from = match (&p.script, &entry) {
        (Some(s), Some(e)) => s.defined_from(e, rules.entry_defined_in_output_sections_only),
        _ => Vec::new(),
    };
    let script_symbols = match &p.script {
        Some(s) if rules.script_symbols_are_roots => s.referenced_symbols(),
        _ => Vec::new(),
    };
    GcOptions {
        rules,
        entry,
        entry_from,
        script_symbols,
        undefined: p.args.undefined.clone(),
        init: p.args.init.clone().unwrap_or_else(|| "_init".into()),
        fini: p.args.fini.clone().unwrap_or_else(|| "_fini".into()),
        exports: gc::ExportPolicy {
            shared: p.args.shared,
            dynamic: p.args.shared
                || p.args.pie
                || p.files
                    .files
                    .iter()
                    .any(|f| f.kind == link_model::FileKind::Shared),
            export_dynamic: p.args.export_dynamic,
            gc_keep_exported: p.args.gc_keep_exported,
            version: &exports.version,
            dynamic_list: &exports.dynamic_list,
        },
        script: placer,
        start_stop_gc: p.args.start_stop_gc.unwrap_or(rules.start_stop_gc_default),
        by_name: exports.by_name,
    }
}

/// A by-name root of the fixed point: the export, where its string is, and the offset.
pub struct ByNameRoot {
    pub name: Vec<u8>,
    pub place: String,
    pub offset: u64,
}

/// What the HTML report draws, in the JSON report too: every allocated section of the link
/// (kept or removed) under its object and archive, how each kept one is reached (its parent
/// on a shortest chain from a root, and the edge), the roots, and the exports with the bytes
/// each alone keeps alive.
#[derive(Debug, Serialize)]
pub struct SectionMap {
    pub objects: Vec<MapObject>,
    pub sections: Vec<MapSection>,
    /// The roots' reasons in words.
    pub roots: Vec<String>,
    pub exports: Vec<MapExport>,
    pub kept_bytes: u64,
    pub removed_bytes: u64,
}

/// An object of the link: a plain object, or an archive's member.
#[derive(Debug, Serialize)]
pub struct MapObject {
    pub archive: Option<String>,
    pub object: String,
}

/// An allocated input section.
#[derive(Debug, Serialize)]
pub struct MapSection {
    /// Index in [`SectionMap::objects`].
    pub object: u32,
    pub name: String,
    pub size: u64,
    pub kept: bool,
    /// The section (index in [`SectionMap::sections`]) that keeps it, on a shortest chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<u32>,
    /// The root (index in [`SectionMap::roots`]) that keeps it directly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<u32>,
    /// The edge from the parent, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// An exported symbol of the link.
#[derive(Debug, Serialize)]
pub struct MapExport {
    pub name: String,
    pub reason: String,
    /// The consumers that need it (filled in by `tailor link`, which knows them).
    pub consumers: Vec<String>,
    /// Its section's bytes.
    pub size: u64,
    /// The bytes it alone keeps alive (the dominator tree's).
    pub retained: u64,
}

/// The report's map of the prediction.
pub fn section_map(n: &Prediction<'_>) -> SectionMap {
    let mut objects = Vec::with_capacity(n.link.objects.len());
    for o in &n.link.objects {
        let archive = o
            .member
            .map(|_| n.link.files.files[o.file.index()].display.clone());
        let object = match o.member {
            Some(m) => String::from_utf8_lossy(m).into_owned(),
            None => o.display.clone(),
        };
        objects.push(MapObject { archive, object });
    }
    let shown =
        |s: SectionId| n.modeled(s) && n.alloc(s) && (n.live(s) || n.gc.reportable[s.index()]);
    // Map index of each shown section id.
    let mut index: Vec<Option<u32>> = vec![None; n.link.section_count as usize];
    let mut ids = Vec::new();
    for s in n.link.section_ids() {
        if shown(s) {
            index[s.index()] = Some(ids.len() as u32);
            ids.push(s);
        }
    }
    let sizes = n.allocated_sizes();
    let r = retained::retained_sizes(&n.gc, &sizes);
    let mut sections = Vec::with_capacity(ids.len());
    let (mut kept_bytes, mut removed_bytes) = (0, 0);
    for &s in &ids {
        let kept = n.live(s);
        if kept {
            kept_bytes += n.size(s);
        } else {
            removed_bytes += n.size(s);
        }
        let (parent, root, via) = if kept {
            reached_from(n, &index, s)
        } else {
            (None, None, None)
        };
        sections.push(MapSection {
            object: n.link.locate(s).0 .0,
            name: n.name(s),
            size: n.size(s),
            kept,
            parent,
            root,
            via,
        });
    }
    let roots = n.gc.roots.iter().map(|r| n.reason(&r.reason)).collect();
    let mut exports: Vec<MapExport> = Vec::new();
    for (i, root) in n.gc.roots.iter().enumerate() {
        if let RootReason::Export { global, .. } | RootReason::ByName { global, .. } = root.reason {
            let name = n.global_name(global);
            if exports.iter().any(|e| e.name == name) {
                continue;
            }
            exports.push(MapExport {
                consumers: n
                    .version
                    .consumer_of
                    .get(&name)
                    .cloned()
                    .into_iter()
                    .collect(),
                name,
                reason: n.reason(&root.reason),
                size: sizes[root.section.index()],
                retained: r.retained[r.root_node(i)],
            });
        }
    }
    exports.sort_by(|a, b| {
        b.retained
            .cmp(&a.retained)
            .then_with(|| a.name.cmp(&b.name))
    });
    SectionMap {
        objects,
        sections,
        roots,
        exports,
        kept_bytes,
        removed_bytes,
    }
}

/// How the map shows what keeps kept section `s`: up the shortest-chain tree to a shown
/// section (`parent`, index in the map) or to the root that keeps `s` itself (`root`), and
/// the edge into `s` in words.
fn reached_from(
    n: &Prediction<'_>,
    index: &[Option<u32>],
    s: SectionId,
) -> (Option<u32>, Option<u32>, Option<String>) {
    let mut via = None;
    let mut at = s;
    loop {
        match n.gc.reached[at.index()] {
            Reached::Unreached => return (None, None, via),
            Reached::Root(r) if at == s => return (None, Some(r.0), via),
            Reached::Root(_) => return (index[at.index()], None, via),
            Reached::Section { from, edge } => {
                if at == s {
                    via = Some(n.edge(from, edge));
                }
                if let Some(i) = index[from.index()] {
                    return (Some(i), None, via);
                }
                at = from;
            }
        }
    }
}

/// The by-name roots the fixed point added.
pub fn by_name_roots(names: &Prediction<'_>) -> Vec<ByNameRoot> {
    names
        .gc
        .roots
        .iter()
        .filter_map(|r| match r.reason {
            RootReason::ByName {
                global,
                section,
                offset,
            } => Some(ByNameRoot {
                name: names.link.global_at(global).name.to_vec(),
                place: names.place(section),
                offset,
            }),
            _ => None,
        })
        .collect()
}

/// Names and sizes of the prediction's items, for every report.
impl<'r> Prediction<'r> {
    /// Each section's bytes in memory (0 for a section not modelled or not allocated), by id:
    /// what retained sizes add up.
    pub fn allocated_sizes(&self) -> Vec<u64> {
        self.link
            .section_ids()
            .map(|s| {
                if self.modeled(s) && self.alloc(s) {
                    self.size(s)
                } else {
                    0
                }
            })
            .collect()
    }
    /// The section with id `s`.
    pub fn sec(&self, s: SectionId) -> &crate::analysis::objfile::ObjSection<'r> {
        self.link.section(s)
    }
    /// The object holding section `s`, as the linker names it.
    pub fn file(&self, s: SectionId) -> &str {
        &self.link.obj_of(s).display
    }
    /// The section's name as the linker prints it: GNU ld adds `[signature]` to a group
    /// member.
    pub fn name(&self, s: SectionId) -> String {
        let mut name = String::new();
        self.push_name(s, &mut name);
        name
    }
    /// [`Prediction::name`], appended to `out` (a report's rows, without a `String` each).
    pub fn push_name(&self, s: SectionId, out: &mut String) {
        let sec = self.sec(s);
        out.push_str(&crate::text::lossy(sec.name));
        if let Some(group) = sec
            .group
            .filter(|_| GcRules::of(self.linker).names_group_members_with_signature)
        {
            let obj = self.link.obj_of(s);
            if let Some((_, sig, _)) = obj.elf.groups.iter().find(|g| g.0 == group.get()) {
                out.push('[');
                out.push_str(&crate::text::lossy(sig));
                out.push(']');
            }
        }
    }
    pub fn size(&self, s: SectionId) -> u64 {
        self.sec(s).size
    }
    pub fn live(&self, s: SectionId) -> bool {
        self.gc.live[s.index()]
    }
    pub fn alloc(&self, s: SectionId) -> bool {
        self.sec(s).flags & u64::from(elf::SHF_ALLOC) != 0
    }
    pub fn modeled(&self, s: SectionId) -> bool {
        self.gc.counted[s.index()]
    }
    /// The output section the script places `s` in (orphans keep their own name).
    pub fn output_section(&self, s: SectionId) -> Option<String> {
        let placer = self.placer.as_ref()?;
        Some(match self.gc.outputs.get(s.index()).copied()? {
            Destination::Discarded => "/DISCARD/".into(),
            Destination::Orphan => self.name(s),
            Destination::Output(o) => placer.outputs[o as usize].name.clone(),
        })
    }
    pub fn sizes_where(&self, f: impl Fn(SectionId) -> bool) -> u64 {
        self.link
            .section_ids()
            .filter(|&s| self.modeled(s) && f(s))
            .map(|s| self.size(s))
            .sum()
    }
    pub fn place(&self, s: SectionId) -> String {
        format!("{}:{}", self.file(s), self.name(s))
    }
    pub fn global_name(&self, g: GlobalId) -> String {
        crate::demangle::shown(self.link.global_at(g).name)
    }
    /// A root's reason in words.
    pub fn reason(&self, r: &RootReason) -> String {
        match r {
            RootReason::Symbol { option, name } => format!("{option} symbol `{name}`"),
            RootReason::Export { global, why } => {
                let name = self.global_name(*global);
                match self.version.consumer_of.get(&name) {
                    Some(consumer) => format!("export `{name}`, needed by {consumer}"),
                    None => format!("export `{name}` ({why})"),
                }
            }
            RootReason::Keep { rule } => {
                match self
                    .placer
                    .as_ref()
                    .and_then(|p| p.rules.get(*rule as usize))
                {
                    Some(rule) => format!(
                        "linker script rule `{}` (line {})",
                        ldscript::dump::input_spec(rule.spec),
                        rule.spec.line
                    ),
                    None => "linker script KEEP".into(),
                }
            }
            RootReason::Kind(k) => format!("kept as a {k}"),
            RootReason::ByName {
                global,
                section,
                offset,
            } => format!(
                "export `{}` looked up by name: the string at {}+{offset:#x}",
                self.global_name(*global),
                self.place(*section)
            ),
            RootReason::Personality => "personality routine of an .eh_frame CIE".into(),
            RootReason::NonAlloc => {
                "non-allocated section (kept; its relocations keep nothing alive)".into()
            }
        }
    }
    /// An edge in words: `+0x1c -> printf`.
    pub fn edge(&self, from: SectionId, kind: EdgeKind) -> String {
        let obj = self.link.obj_of(from);
        let reloc = |ri: u32| {
            let r = &obj.elf.relocs[ri as usize];
            let sym = &obj.elf.symbols[r.sym as usize];
            let name = if sym.sym_type == elf::STT_SECTION {
                sym.section()
                    .and_then(|s| obj.elf.sections.get(s as usize))
                    .map(|s| String::from_utf8_lossy(s.name).into_owned())
                    .unwrap_or_default()
            } else {
                crate::demangle::shown(sym.name)
            };
            (r.offset, name)
        };
        match kind {
            EdgeKind::Reloc(ri) => {
                let (off, name) = reloc(ri);
                format!("+{off:#x} refers to `{name}`")
            }
            EdgeKind::StartStop(ri) => {
                let (off, name) = reloc(ri);
                format!("+{off:#x} refers to `{name}`, which keeps every such section")
            }
            EdgeKind::EhFrame(ri) => {
                let (off, name) = reloc(ri);
                format!("its .eh_frame entry (+{off:#x}) refers to `{name}`")
            }
            EdgeKind::Group => "same section group".into(),
            EdgeKind::LinkOrder => "SHF_LINK_ORDER section of it".into(),
        }
    }
}
