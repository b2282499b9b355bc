//! `tailor gc`, `tailor why`, `tailor top`: section garbage collection predicted from the
//! link command, explained, and ranked — inputs (the linker's own command line, its
//! objects and archives) → analysis (the resolved link, its section graph, the mark) →
//! reports.

use std::io::Write;
use std::path::{Path, PathBuf};

use object::elf;
use serde::Serialize;

use super::version_script::VersionScriptOptions;
use super::{emit, to_json, Format, ReportFormat, Status, Timings};
use crate::analysis::gc::{self, EdgeKind, GcOptions, GcResult, RootReason, ROOT_BASE};
use crate::analysis::link_model::{self, Link, LinkFiles};
use crate::analysis::retained;
use crate::error::{Error, Result};
use crate::inputs::ldscript::{self, Placer, Script};
use crate::inputs::link_command::{LinkCommand, Linker};
use crate::inputs::linker_args::{self, LinkerArgs};
use crate::inputs::version_rules::VersionRules;

/// Where the exports come from.
pub enum ExportSource {
    /// The link command's own version script / dynamic list.
    Command,
    /// `--version-script FILE`, replacing the command's.
    Script(PathBuf),
    /// Tailor's plan for these consumers (as `tailor version-script` would write it).
    Plan(Box<VersionScriptOptions>),
    /// A version script's text (`tailor link`'s plan before by-name roots).
    Text(String),
}

/// Options shared by `gc`, `why` and `top`.
pub struct GcCommand {
    pub command: Vec<String>,
    pub linker: Option<Linker>,
    pub exports: ExportSource,
    pub by_name: bool,
    pub format: ReportFormat,
}

/// What to report.
pub enum Query {
    Gc,
    Why {
        item: String,
        all: usize,
    },
    Top {
        retained: bool,
        exports: bool,
        limit: usize,
    },
}

/// A prepared prediction: the link, its script and its options.
struct Prepared {
    args: LinkerArgs,
    linker: Linker,
    script: Option<Script>,
    version: VersionRules,
    dynamic_list: VersionRules,
    files: LinkFiles,
}

fn prepare(cmd: &GcCommand, t: &mut Timings) -> Result<Prepared> {
    let link_cmd = LinkCommand::from_user(&cmd.command)?;
    let cwd = std::env::current_dir().map_err(|e| Error::io("reading", Path::new("."), e))?;
    // The files the command names are read while the driver is asked for its linker line.
    let named: Vec<PathBuf> = link_cmd.inputs.clone();
    // So is GNU ld's built-in script, for the emulation ld defaults to (checked below).
    let wants_default_script = cmd.linker.is_none_or(|l| l == Linker::Bfd);
    let (words, prefetched, speculative) = std::thread::scope(|s| {
        let reader = s.spawn(|| link_model::prefetch(&cwd, &named));
        let script = s.spawn(|| {
            wants_default_script.then(|| {
                let program = match link_cmd.kind {
                    crate::inputs::link_command::ToolKind::Linker => link_cmd.argv()[0].clone(),
                    crate::inputs::link_command::ToolKind::Driver => "ld".to_string(),
                };
                linker_args::default_script(&program, None, link_cmd.shared, false)
            })
        });
        let words = linker_args::linker_command(&link_cmd);
        (words, reader.join(), script.join())
    });
    let prefetched = prefetched.unwrap_or_default();
    let speculative = speculative.ok().flatten().and_then(|r| r.ok());
    let (words, detected): (Vec<String>, Option<Linker>) = words?;
    // What tailor cannot make of the command, the linker itself may explain.
    let diagnose = |e: Error| diagnosed_by_linker(&link_cmd, e);
    let mut args = LinkerArgs::parse(&words, detected).map_err(diagnose)?;
    let linker = cmd.linker.or(detected).unwrap_or(Linker::Bfd);
    args.linker = Some(linker);
    t.phase("linker command, named inputs read");
    // lld and mold have no built-in script: only a `-T` one places (and KEEPs) sections.
    let script = if linker == Linker::Bfd || !args.scripts.is_empty() {
        Some(
            linker_args::linker_script(&args, &cwd, None, speculative)
                .map_err(diagnose)?
                .0,
        )
    } else {
        None
    };
    let search = match (&script, linker) {
        (Some(s), Linker::Bfd) => linker_args::search_dirs(s),
        _ => Vec::new(),
    };
    t.phase("linker script");
    let mut version = VersionRules::for_linker(linker);
    match &cmd.exports {
        ExportSource::Command => {
            for p in &args.version_scripts {
                let p = linker_args::in_dir(&cwd, p);
                let text = crate::inputs::read_text(&p)?;
                version.add_script(&p, &text)?;
            }
        }
        ExportSource::Script(p) => {
            let text = crate::inputs::read_text(p)?;
            version.add_script(p, &text)?;
        }
        ExportSource::Text(text) => {
            version.add_script(Path::new("<tailor's plan>"), text)?;
        }
        ExportSource::Plan(opts) => {
            let mut script = Vec::new();
            let mut log = Vec::new();
            super::version_script::run(opts, &mut script, &mut log)?;
            let text = String::from_utf8_lossy(&script);
            version.add_script(Path::new("<tailor's plan>"), &text)?;
        }
    }
    let mut dynamic_list = VersionRules::default();
    for p in &args.dynamic_lists {
        let p = linker_args::in_dir(&cwd, p);
        let text = crate::inputs::read_text(&p)?;
        dynamic_list.add_dynamic_list(&p, &text)?;
    }
    let files = link_model::read_files(&args, &cwd, &search, &prefetched).map_err(diagnose)?;
    t.phase("inputs read");
    Ok(Prepared {
        args,
        linker,
        script,
        version,
        dynamic_list,
        files,
    })
}

/// `err`, met while reading the link the way the linker would (its options, script and
/// inputs), explained by the linker when it fails too: a mistyped option (`-Wl,-sonme,lib.so`)
/// reads as an input that does not exist, where GNU ld says `unable to disambiguate: -sonme`.
/// The command runs into a temporary directory; its failure (command line and stderr) is the
/// error. When it links, `err` stands. Only what a misread command line causes is asked
/// about: an input or `-l` library that is not there, an option without its value; a
/// malformed object or script is reported as tailor found it, and a FIFO among the inputs
/// would block the linker.
pub(crate) fn diagnosed_by_linker(cmd: &LinkCommand, err: Error) -> Error {
    let misread = match &err {
        Error::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
        Error::Usage(_) => true,
        _ => false,
    };
    if !misread {
        return err;
    }
    let Ok(dir) = tempfile::tempdir() else {
        return err;
    };
    let name = cmd.output.file_name().unwrap_or("a.out".as_ref());
    let argv = cmd.with_output(&dir.path().join(name));
    match crate::build::run_link(&argv, "the link command", &mut std::io::sink()) {
        Err(failed @ Error::Tool { .. }) => failed,
        _ => err,
    }
}

impl Prepared {
    /// Symbols the command line makes undefined: `-u`, and for lld and mold the entry.
    fn undefined(&self) -> Vec<String> {
        let mut v = self.args.undefined.clone();
        if self.linker != Linker::Bfd {
            v.push(self.args.entry.clone().unwrap_or_else(|| "_start".into()));
        }
        v
    }
}

fn options<'a>(p: &'a Prepared, placer: Option<&'a Placer<'a>>, by_name: bool) -> GcOptions<'a> {
    let entry = p
        .args
        .entry
        .clone()
        .or_else(|| {
            p.script
                .as_ref()
                .and_then(|s| s.entry().map(str::to_string))
        })
        // GNU ld roots only an entry named by -e or ENTRY (its built-in script has
        // ENTRY(_start)); lld and mold default to `_start`.
        .or_else(|| (p.linker != Linker::Bfd).then(|| "_start".to_string()));
    let entry_from = match (&p.script, &entry) {
        (Some(s), Some(e)) => s.defined_from(e, p.linker == Linker::Bfd),
        _ => Vec::new(),
    };
    let script_symbols = match (&p.script, p.linker) {
        (Some(s), Linker::Lld) => s.referenced_symbols(),
        _ => Vec::new(),
    };
    GcOptions {
        linker: p.linker,
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
            version: &p.version,
            dynamic_list: &p.dynamic_list,
        },
        script: placer,
        start_stop_gc: p.args.start_stop_gc.unwrap_or(p.linker == Linker::Lld),
        by_name,
    }
}

/// Runs `gc`, `why` or `top`.
pub fn run(
    cmd: &GcCommand,
    query: &Query,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> Result<Status> {
    let mut t = Timings::start();
    let prepared = prepare(cmd, &mut t)?;
    with_prediction(&prepared, cmd.by_name, &mut t, |names, t| {
        report(names, &prepared, cmd, query, out, log, t)
    })?
}

/// Resolves and marks the prepared link, then hands the named result to `f`.
fn with_prediction<R>(
    prepared: &Prepared,
    by_name: bool,
    t: &mut Timings,
    f: impl FnOnce(&Names<'_, '_>, &mut Timings) -> R,
) -> Result<R> {
    let undefined = prepared.undefined();
    let mut link = link_model::resolve(&prepared.files, &undefined)?;
    if let Some(script) = &prepared.script {
        link.apply_script_definitions(script);
    }
    t.phase("resolved");
    let placer = prepared.script.as_ref().map(Placer::new);
    let opts = options(prepared, placer.as_ref(), by_name);
    let result = gc::collect(&link, &opts);
    t.phase("marked");
    let names = Names::new(
        &link,
        prepared.linker,
        &prepared.version,
        &result,
        placer.as_ref(),
    );
    Ok(f(&names, t))
}

fn report(
    names: &Names<'_, '_>,
    prepared: &Prepared,
    cmd: &GcCommand,
    query: &Query,
    out: &mut dyn Write,
    log: &mut dyn Write,
    t: &mut Timings,
) -> Result<Status> {
    let (link, result) = (names.link, names.gc);
    let plain = || match cmd.format {
        ReportFormat::Text => Ok(Format::Text),
        ReportFormat::Json => Ok(Format::Json),
        ReportFormat::Html => Err(Error::Usage(
            "--format html: `tailor gc` writes the HTML page (why and top: text or json)".into(),
        )),
    };
    let text = match query {
        Query::Gc => render_gc(names, prepared, cmd.format),
        Query::Why { item, all } => render_why(names, item, *all, plain()?)?,
        Query::Top {
            retained,
            exports,
            limit,
        } => render_top(names, *retained, *exports, *limit, plain()?),
    };
    t.phase("rendered");
    let live_alloc: u64 = names.sizes_where(|s| names.live(s) && names.alloc(s));
    let _ = writeln!(
        log,
        "tailor: {} objects, {} sections; {} live ({} allocated bytes), {} removed; {} roots ({} by name)",
        link.objects.len(),
        link.section_count,
        result.live.iter().filter(|&&l| l).count(),
        live_alloc,
        (0..link.section_count)
            .filter(|&s| !result.live[s as usize] && result.reportable[s as usize])
            .count(),
        result.roots.len(),
        result.by_name_roots
    );
    emit(out, text.as_bytes())?;
    Ok(Status::Ok)
}

/// A by-name root of the fixed point: the export, where its string is, and the offset.
pub struct ByNameRoot {
    pub name: Vec<u8>,
    pub place: String,
    pub offset: u64,
}

/// The by-name fixed point of a link whose exports are `version_script`: the exports that
/// strings in live read-only data name, beyond the script's (for `tailor link`).
pub fn by_name_roots(
    command: &[String],
    linker: Option<Linker>,
    version_script: &str,
) -> Result<Vec<ByNameRoot>> {
    let cmd = GcCommand {
        command: command.to_vec(),
        linker,
        exports: ExportSource::Text(version_script.to_string()),
        by_name: true,
        format: ReportFormat::Text,
    };
    let mut t = Timings::start();
    let mut prepared = prepare(&cmd, &mut t)?;
    // The tailored link narrows the command's dynamic list to the plan: the list exports
    // nothing beyond it (on mold, it would otherwise hide by-name roots behind exports).
    prepared.dynamic_list = VersionRules::default();
    let mut roots = with_prediction(&prepared, true, &mut t, |n, _| by_name_of(n))?;
    roots.sort_by(|a, b| (&a.name, &a.place).cmp(&(&b.name, &b.place)));
    Ok(roots)
}

/// The objects of a link that define each symbol (`tailor diff -- LINK COMMAND`): globals as
/// the linker resolves them, locals under their objects' `STT_FILE` names.
pub(crate) fn link_definers(
    command: &[String],
    linker: Option<Linker>,
) -> Result<crate::analysis::diff::LinkDefiners> {
    let cmd = GcCommand {
        command: command.to_vec(),
        linker,
        exports: ExportSource::Command,
        by_name: false,
        format: ReportFormat::Text,
    };
    let mut t = Timings::start();
    let prepared = prepare(&cmd, &mut t)?;
    let undefined = prepared.undefined();
    let link = link_model::resolve(&prepared.files, &undefined)?;
    let mut d = crate::analysis::diff::LinkDefiners::default();
    for g in &link.globals {
        if let link_model::Def::Defined { obj, .. } | link_model::Def::Common { obj, .. } = g.def {
            d.globals
                .insert(g.name.to_vec(), link.objects[obj as usize].display.clone());
        }
    }
    for o in &link.objects {
        let mut file: Option<&[u8]> = None;
        for sym in &o.elf.symbols {
            if sym.sym_type == elf::STT_FILE {
                file = Some(sym.name);
            } else if !sym.is_global() && sym.size > 0 {
                if let Some(f) = file {
                    d.locals
                        .entry((f.to_vec(), sym.name.to_vec()))
                        .or_insert_with(|| o.display.clone());
                }
            }
        }
    }
    Ok(d)
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

fn section_map(n: &Names<'_, '_>) -> SectionMap {
    let count = n.link.section_count;
    let mut objects = Vec::with_capacity(n.link.objects.len());
    for o in &n.link.objects {
        let archive = o
            .member
            .map(|_| n.link.files.files[o.file as usize].display.clone());
        let object = match o.member {
            Some(m) => String::from_utf8_lossy(m).into_owned(),
            None => o.display.clone(),
        };
        objects.push(MapObject { archive, object });
    }
    let shown = |s: u32| n.modeled(s) && n.alloc(s) && (n.live(s) || n.gc.reportable[s as usize]);
    // Map index of each shown section id.
    let mut index: Vec<Option<u32>> = vec![None; count as usize];
    let mut ids = Vec::new();
    for s in 0..count {
        if shown(s) {
            index[s as usize] = Some(ids.len() as u32);
            ids.push(s);
        }
    }
    let sizes: Vec<u64> = (0..count)
        .map(|s| {
            if n.modeled(s) && n.alloc(s) {
                n.size(s)
            } else {
                0
            }
        })
        .collect();
    let r = retained::retained_sizes(n.gc, &sizes);
    let mut sections = Vec::with_capacity(ids.len());
    let (mut kept_bytes, mut removed_bytes) = (0, 0);
    for &s in &ids {
        let kept = n.live(s);
        if kept {
            kept_bytes += n.size(s);
        } else {
            removed_bytes += n.size(s);
        }
        let (mut parent, mut root, mut via) = (None, None, None);
        if kept {
            // Up the shortest-path tree to a shown section or a root.
            let mut at = s;
            let mut edge = n.gc.parent_edge[s as usize];
            loop {
                let p = n.gc.parent[at as usize];
                if p == gc::UNREACHED {
                    break;
                }
                if p >= ROOT_BASE {
                    if at == s {
                        root = Some(p - ROOT_BASE);
                    } else {
                        parent = index[at as usize];
                    }
                    break;
                }
                if at == s {
                    via = edge.map(|k| n.edge(p, k));
                }
                if let Some(i) = index[p as usize] {
                    parent = Some(i);
                    break;
                }
                at = p;
                edge = n.gc.parent_edge[at as usize];
            }
        }
        sections.push(MapSection {
            object: n.section_of[s as usize].0,
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
                size: sizes[root.section as usize],
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

/// The section map of a link whose exports are `version_script` (`tailor link`'s report of
/// its tailored link).
pub(crate) fn link_section_map(
    command: &[String],
    linker: Option<Linker>,
    version_script: &str,
) -> Result<SectionMap> {
    let cmd = GcCommand {
        command: command.to_vec(),
        linker,
        exports: ExportSource::Text(version_script.to_string()),
        by_name: true,
        format: ReportFormat::Text,
    };
    let mut t = Timings::start();
    let mut prepared = prepare(&cmd, &mut t)?;
    prepared.dynamic_list = VersionRules::default();
    with_prediction(&prepared, true, &mut t, |n, _| section_map(n))
}

/// The by-name roots the fixed point added.
fn by_name_of(names: &Names<'_, '_>) -> Vec<ByNameRoot> {
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
                name: names.link.globals[global as usize].name.to_vec(),
                place: names.place(section),
                offset,
            }),
            _ => None,
        })
        .collect()
}

/// Names and sizes of the graph's items, for every report.
struct Names<'l, 'd> {
    link: &'l Link<'d>,
    linker: Linker,
    version: &'l VersionRules,
    gc: &'l GcResult,
    placer: Option<&'l Placer<'l>>,
    section_of: Vec<(u32, u32)>,
}

impl<'l, 'd> Names<'l, 'd> {
    fn new(
        link: &'l Link<'d>,
        linker: Linker,
        version: &'l VersionRules,
        gc: &'l GcResult,
        placer: Option<&'l Placer<'l>>,
    ) -> Self {
        let mut section_of = Vec::with_capacity(link.section_count as usize);
        for (oi, o) in link.objects.iter().enumerate() {
            for si in 0..o.elf.sections.len() {
                section_of.push((oi as u32, si as u32));
            }
        }
        Names {
            link,
            linker,
            version,
            gc,
            placer,
            section_of,
        }
    }
    fn sec(&self, s: u32) -> &crate::analysis::objfile::ObjSection<'d> {
        let (o, i) = self.section_of[s as usize];
        &self.link.objects[o as usize].elf.sections[i as usize]
    }
    fn file(&self, s: u32) -> &str {
        &self.link.objects[self.section_of[s as usize].0 as usize].display
    }
    /// The section's name as the linker prints it: GNU ld adds `[signature]` to a group
    /// member.
    fn name(&self, s: u32) -> String {
        let sec = self.sec(s);
        let name = String::from_utf8_lossy(sec.name);
        if self.linker == Linker::Bfd && sec.group != crate::analysis::objfile::NONE {
            let (o, _) = self.section_of[s as usize];
            let obj = &self.link.objects[o as usize];
            if let Some((_, sig, _)) = obj.elf.groups.iter().find(|g| g.0 == sec.group) {
                return format!("{name}[{}]", String::from_utf8_lossy(sig));
            }
        }
        name.into_owned()
    }
    fn size(&self, s: u32) -> u64 {
        self.sec(s).size
    }
    fn live(&self, s: u32) -> bool {
        self.gc.live[s as usize]
    }
    fn alloc(&self, s: u32) -> bool {
        self.sec(s).flags & u64::from(elf::SHF_ALLOC) != 0
    }
    fn modeled(&self, s: u32) -> bool {
        self.gc.counted[s as usize]
    }
    /// The output section the script places `s` in (orphans keep their own name).
    fn output_section(&self, s: u32) -> Option<String> {
        let placer = self.placer?;
        Some(match self.gc.outputs.get(s as usize).copied()? {
            gc::DISCARDED => "/DISCARD/".into(),
            gc::UNPLACED => self.name(s),
            o => placer.outputs[o as usize].name.clone(),
        })
    }
    fn sizes_where(&self, f: impl Fn(u32) -> bool) -> u64 {
        (0..self.link.section_count)
            .filter(|&s| self.modeled(s) && f(s))
            .map(|s| self.size(s))
            .sum()
    }
    fn place(&self, s: u32) -> String {
        format!("{}:{}", self.file(s), self.name(s))
    }
    fn global_name(&self, g: u32) -> String {
        crate::demangle::shown(self.link.globals[g as usize].name)
    }
    /// A root's reason in words.
    fn reason(&self, r: &RootReason) -> String {
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
                match self.placer.and_then(|p| p.rules.get(*rule as usize)) {
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
    fn edge(&self, from: u32, kind: EdgeKind) -> String {
        let (o, _) = self.section_of[from as usize];
        let obj = &self.link.objects[o as usize];
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

#[derive(Serialize)]
struct SectionRow {
    file: String,
    section: String,
    size: u64,
    align: u64,
    alloc: bool,
    /// The output section the linker script places it in (orphans: their own name).
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
}

#[derive(Serialize)]
struct FileRow {
    file: String,
    kept: u64,
    removed: u64,
}

#[derive(Serialize)]
struct ByNameRow {
    export: String,
    string_in: String,
    offset: u64,
}

#[derive(Serialize)]
struct GcReport {
    linker: &'static str,
    kept_count: usize,
    kept: Vec<SectionRow>,
    removed: Vec<SectionRow>,
    by_file: Vec<FileRow>,
    by_name: Vec<ByNameRow>,
    kept_alloc_bytes: u64,
    removed_bytes: u64,
    /// The sections under their objects, how each kept one is reached, the exports (JSON and
    /// HTML).
    #[serde(skip_serializing_if = "Option::is_none")]
    map: Option<SectionMap>,
}

fn linker_name(l: Linker) -> &'static str {
    match l {
        Linker::Bfd => "bfd",
        Linker::Lld => "lld",
        Linker::Mold => "mold",
    }
}

fn render_gc(n: &Names<'_, '_>, p: &Prepared, format: ReportFormat) -> String {
    // The text report shows only what goes; the kept rows are built for JSON alone.
    let want_kept = format != ReportFormat::Text;
    let mut kept = Vec::new();
    let (mut kept_alloc_bytes, mut kept_count) = (0u64, 0usize);
    let mut removed = Vec::new();
    let mut by_file: Vec<FileRow> = Vec::new();
    let row_of = |o: &link_model::Obj<'_>, s: u32| SectionRow {
        file: o.display.clone(),
        section: n.name(s),
        size: n.size(s),
        align: n.sec(s).align,
        alloc: n.alloc(s),
        output: n.output_section(s),
    };
    for o in &n.link.objects {
        let mut row = FileRow {
            file: o.display.clone(),
            kept: 0,
            removed: 0,
        };
        for i in 0..o.elf.sections.len() {
            let s = o.base + i as u32;
            if !n.modeled(s) {
                continue;
            }
            if n.live(s) {
                kept_count += 1;
                if n.alloc(s) {
                    row.kept += n.size(s);
                    kept_alloc_bytes += n.size(s);
                }
                if want_kept {
                    kept.push(row_of(o, s));
                }
            } else if n.gc.reportable[s as usize] {
                row.removed += n.size(s);
                removed.push(row_of(o, s));
            }
        }
        by_file.push(row);
    }
    let by_name = by_name_of(n)
        .into_iter()
        .map(|r| ByNameRow {
            export: String::from_utf8_lossy(&r.name).into_owned(),
            string_in: r.place,
            offset: r.offset,
        })
        .collect();
    let report = GcReport {
        linker: linker_name(p.linker),
        kept_alloc_bytes,
        kept_count,
        removed_bytes: removed.iter().map(|r| r.size).sum(),
        kept,
        removed,
        by_file,
        by_name,
        map: want_kept.then(|| section_map(n)),
    };
    match format {
        ReportFormat::Json => String::from_utf8_lossy(&to_json(&report)).into_owned(),
        ReportFormat::Html => crate::output::html::page(
            "tailor gc",
            "gc",
            &String::from_utf8_lossy(&to_json(&report)),
        ),
        ReportFormat::Text => gc_text(&report),
    }
}

fn gc_text(r: &GcReport) -> String {
    let mut s = String::new();
    s.push_str(&format!("{:>10}  {:<40} FILE\n", "REMOVED", "SECTION"));
    for row in &r.removed {
        s.push_str(&format!(
            "{:>10}  {:<40} {}\n",
            row.size, row.section, row.file
        ));
    }
    s.push('\n');
    let mut files: Vec<&FileRow> = r
        .by_file
        .iter()
        .filter(|f| f.removed > 0 || f.kept > 0)
        .collect();
    files.sort_by(|a, b| b.removed.cmp(&a.removed).then(a.file.cmp(&b.file)));
    s.push_str(&format!(
        "{:>10} {:>10}  FILE (by bytes removed)\n",
        "KEPT", "REMOVED"
    ));
    let shown = 20.min(files.len());
    for f in &files[..shown] {
        s.push_str(&format!("{:>10} {:>10}  {}\n", f.kept, f.removed, f.file));
    }
    let (rest_kept, rest_removed) = files[shown..]
        .iter()
        .fold((0, 0), |(k, r), f| (k + f.kept, r + f.removed));
    s.push_str(&format!(
        "{:>10} {:>10}  ({} more files)\n",
        rest_kept,
        rest_removed,
        files.len() - shown
    ));
    s.push_str(&format!(
        "{:>10} {:>10}  total ({} sections kept, {} removed)\n",
        r.kept_alloc_bytes,
        r.removed_bytes,
        r.kept_count,
        r.removed.len()
    ));
    if !r.by_name.is_empty() {
        s.push_str("\nkept because a string names them (looked up by name):\n");
        for b in &r.by_name {
            s.push_str(&format!(
                "  {}  ({}+{:#x})\n",
                b.export, b.string_in, b.offset
            ));
        }
    }
    s
}

/// The sections an item names: a symbol, `file:section`, a section name, or an object.
fn find_item(n: &Names<'_, '_>, item: &str) -> Vec<u32> {
    if let Some(g) = n.link.global(item.as_bytes()) {
        if let Some(s) = n.link.def_section(g) {
            return vec![s];
        }
    }
    let all = 0..n.link.section_count;
    if let Some((file, section)) = item.rsplit_once(':') {
        let v: Vec<u32> = all
            .clone()
            .filter(|&s| n.modeled(s) && n.name(s) == section && file_matches(n.file(s), file))
            .collect();
        if !v.is_empty() {
            return v;
        }
    }
    let v: Vec<u32> = all
        .clone()
        .filter(|&s| n.modeled(s) && n.name(s) == item)
        .collect();
    if !v.is_empty() {
        return v;
    }
    // A local symbol (a static function) somewhere.
    let mut v = Vec::new();
    for o in &n.link.objects {
        for sym in &o.elf.symbols {
            if sym.name == item.as_bytes() {
                if let Some(si) = sym.section() {
                    v.push(o.base + si);
                }
            }
        }
    }
    if !v.is_empty() {
        return v;
    }
    all.filter(|&s| n.modeled(s) && n.alloc(s) && file_matches(n.file(s), item))
        .collect()
}

fn file_matches(display: &str, wanted: &str) -> bool {
    display == wanted
        || display.ends_with(&format!("/{wanted}"))
        || display.ends_with(&format!("({wanted})"))
}

#[derive(Serialize)]
struct Hop {
    section: String,
    size: u64,
    via: Option<String>,
}

#[derive(Serialize)]
struct WhyChain {
    root: String,
    hops: Vec<Hop>,
}

#[derive(Serialize)]
struct WhyReport {
    item: String,
    live: bool,
    chains: Vec<WhyChain>,
}

fn render_why(n: &Names<'_, '_>, item: &str, all: usize, format: Format) -> Result<String> {
    let found = find_item(n, item);
    if found.is_empty() {
        return Err(Error::Usage(format!(
            "`{item}`: no symbol, section or object of that name in the link"
        )));
    }
    let live: Vec<u32> = found.iter().copied().filter(|&s| n.live(s)).collect();
    let mut report = WhyReport {
        item: item.to_string(),
        live: !live.is_empty(),
        chains: Vec::new(),
    };
    // The live section of the item closest to a root answers first.
    let mut candidates: Vec<(usize, u32)> = live.iter().map(|&s| (depth(n.gc, s), s)).collect();
    candidates.sort();
    let k = all.max(1);
    for &(_, s) in &candidates {
        for c in retained::chains(n.gc, s, k - report.chains.len()) {
            report.chains.push(WhyChain {
                root: n.reason(&n.gc.roots[c.root].reason),
                hops: c
                    .hops
                    .iter()
                    .map(|&(sec, via)| Hop {
                        section: n.place(sec),
                        size: n.size(sec),
                        via: via.map(|(from, kind)| n.edge(from, kind)),
                    })
                    .collect(),
            });
        }
        if report.chains.len() >= k {
            break;
        }
    }
    Ok(match format {
        Format::Json => String::from_utf8_lossy(&to_json(&report)).into_owned(),
        Format::Text => {
            let mut s = String::new();
            if !report.live {
                s.push_str(&format!(
                    "{item}: removed — no root reaches {}\n",
                    found
                        .iter()
                        .map(|&x| n.place(x))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            for (i, c) in report.chains.iter().enumerate() {
                if report.chains.len() > 1 {
                    s.push_str(&format!("chain {}:\n", i + 1));
                }
                s.push_str(&format!("  root: {}\n", c.root));
                for h in &c.hops {
                    match &h.via {
                        None => s.push_str(&format!("    {} ({} bytes)\n", h.section, h.size)),
                        Some(v) => s.push_str(&format!(
                            "      {v}\n    -> {} ({} bytes)\n",
                            h.section, h.size
                        )),
                    }
                }
            }
            s
        }
    })
}

fn depth(gc: &GcResult, mut s: u32) -> usize {
    let mut d = 0;
    while gc.parent[s as usize] < ROOT_BASE && d < 100_000 {
        s = gc.parent[s as usize];
        d += 1;
    }
    d
}

#[derive(Serialize)]
struct TopRow {
    item: String,
    /// The section's bytes (an export's: its section's); `None` on a summary row where the
    /// column would not add up.
    size: Option<u64>,
    retained: Option<u64>,
}

#[derive(Serialize)]
struct TopReport {
    rows: Vec<TopRow>,
    remainder: TopRow,
    /// With `--exports`: the live bytes no single export keeps alive alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    shared: Option<TopRow>,
    total_live_bytes: u64,
}

fn render_top(
    n: &Names<'_, '_>,
    by_retained: bool,
    exports: bool,
    limit: usize,
    format: Format,
) -> String {
    let sizes: Vec<u64> = (0..n.link.section_count)
        .map(|s| {
            if n.modeled(s) && n.alloc(s) {
                n.size(s)
            } else {
                0
            }
        })
        .collect();
    let r = retained::retained_sizes(n.gc, &sizes);
    let total: u64 = (0..n.link.section_count)
        .filter(|&s| n.live(s))
        .map(|s| sizes[s as usize])
        .sum();
    let mut rows: Vec<TopRow> = if exports {
        let mut v: Vec<TopRow> = Vec::new();
        for (i, root) in n.gc.roots.iter().enumerate() {
            if let RootReason::Export { global, .. } | RootReason::ByName { global, .. } =
                root.reason
            {
                v.push(TopRow {
                    item: n.global_name(global),
                    size: Some(sizes[root.section as usize]),
                    retained: Some(r.retained[r.root_node(i)]),
                });
            }
        }
        v.sort_by(|a, b| b.retained.cmp(&a.retained).then(a.item.cmp(&b.item)));
        v
    } else {
        let mut v: Vec<TopRow> = (0..n.link.section_count)
            .filter(|&s| n.live(s) && sizes[s as usize] > 0)
            .map(|s| TopRow {
                item: n.place(s),
                size: Some(sizes[s as usize]),
                retained: Some(r.retained[r.section_node(s)]),
            })
            .collect();
        if by_retained {
            v.sort_by(|a, b| b.retained.cmp(&a.retained).then(a.item.cmp(&b.item)));
        } else {
            v.sort_by(|a, b| b.size.cmp(&a.size).then(a.item.cmp(&b.item)));
        }
        v
    };
    let rest: Vec<TopRow> = if rows.len() > limit {
        rows.split_off(limit)
    } else {
        Vec::new()
    };
    // The rows add up to the total: by SIZE for sections (each live section is one row), by
    // RETAINED for exports (distinct roots dominate disjoint sets; what several roots share,
    // or non-export roots keep, is its own row). The other column of a summary row would
    // count bytes twice and is left out.
    let remainder = TopRow {
        item: format!("({} more)", rest.len()),
        size: if exports {
            None
        } else {
            sum(rest.iter().map(|r| r.size))
        },
        retained: if exports {
            sum(rest.iter().map(|r| r.retained))
        } else {
            None
        },
    };
    let shared = exports.then(|| {
        let exclusive: u64 = rows.iter().chain(&rest).filter_map(|r| r.retained).sum();
        TopRow {
            item: "(kept alive by several roots, or by roots that are not exports)".into(),
            size: None,
            retained: Some(total.saturating_sub(exclusive)),
        }
    });
    let report = TopReport {
        rows,
        remainder,
        shared,
        total_live_bytes: total,
    };
    match format {
        Format::Json => String::from_utf8_lossy(&to_json(&report)).into_owned(),
        Format::Text => {
            let mut s = format!(
                "{:>10} {:>10}  {}\n",
                "SIZE",
                "RETAINED",
                if exports {
                    "EXPORT (bytes it alone keeps alive)"
                } else {
                    "SECTION"
                }
            );
            let cell = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
            for row in report
                .rows
                .iter()
                .chain([&report.remainder])
                .chain(&report.shared)
            {
                s.push_str(&format!(
                    "{:>10} {:>10}  {}\n",
                    cell(row.size),
                    cell(row.retained),
                    row.item
                ));
            }
            s.push_str(&format!(
                "{:>10} {:>10}  total live allocated bytes\n",
                report.total_live_bytes, ""
            ));
            s
        }
    }
}

/// The sum of `values` (`Some(0)` for none).
fn sum(values: impl Iterator<Item = Option<u64>>) -> Option<u64> {
    Some(values.flatten().sum())
}
