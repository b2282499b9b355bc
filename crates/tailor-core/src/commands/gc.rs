//! `tailor gc`, `tailor why`, `tailor top`: section garbage collection predicted from the
//! link command ([`crate::analysis::predict`]), explained, and ranked — these commands only
//! render the prediction.

use std::io::Write;
use std::path::PathBuf;

use object::elf;
use serde::Serialize;

use super::provider::{LoadedProvider, ProviderData};
use super::version_script::VersionScriptOptions;
use super::{emit, to_json, Format, ReportFormat, Status, Timings};
use crate::analysis::gc::{GcResult, RootReason};
use crate::analysis::ids::SectionId;
use crate::analysis::link_model;
use crate::analysis::predict::{self, LinkRead, PredictedExports, Prediction, SectionMap};
use crate::analysis::retained;
use crate::error::{Error, Result};
use crate::inputs::link_command::{LinkCommand, Linker};
use crate::inputs::version_rules::VersionRules;

/// Where the exports come from.
pub enum ExportSource {
    /// The link command's own version script / dynamic list.
    Command,
    /// `--version-script FILE`, replacing the command's.
    Script(PathBuf),
    /// Tailor's plan for these consumers (as `tailor version-script` would write it).
    Plan(Box<VersionScriptOptions>),
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

/// Reads the command's link, for every command that predicts it; what tailor cannot make of
/// the command, the linker is asked to explain.
pub(crate) fn read_link(
    cmd: &LinkCommand,
    linker: Option<Linker>,
    t: &mut Timings,
) -> Result<LinkRead> {
    LinkRead::read(cmd, linker, t).map_err(|e| diagnosed_by_linker(cmd, e))
}

/// Runs `gc`, `why` or `top`.
pub fn run(
    cmd: &GcCommand,
    query: &Query,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> Result<Status> {
    let mut t = Timings::start();
    // A plan's provider is read while the link command is parsed and its link read (a
    // mistyped command is still reported before a bad provider).
    let (loaded, load_error) = match &cmd.exports {
        ExportSource::Plan(opts) => match LoadedProvider::load(&opts.provider) {
            Ok(l) => (Some(l), None),
            Err(e) => (None, Some(e)),
        },
        _ => (None, None),
    };
    let (link, provider) = std::thread::scope(|s| {
        let provider = loaded.as_ref().map(|l| (l, s.spawn(|| l.view())));
        let link = LinkCommand::from_user(&cmd.command).map(|c| {
            let read = read_link(&c, cmd.linker, &mut t);
            (c, read)
        });
        let provider =
            provider.map(|(l, p)| (l, p.join().unwrap_or_else(|e| std::panic::resume_unwind(e))));
        (link, provider)
    });
    let (link_cmd, read) = link?;
    if let Some(e) = load_error {
        return Err(e);
    }
    let read = read?;
    // The link resolves (and the script's rules compile) while the exports' rules are made (a
    // plan reads its consumers).
    let (rules, link, placer) = std::thread::scope(|s| {
        let link = s.spawn(|| read.resolve());
        let placer = s.spawn(|| read.placer());
        let rules = export_rules(cmd, &link_cmd, &read, provider, log);
        let link = link.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        let placer = placer
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (rules, link, placer)
    });
    let (version, dynamic_list) = rules?;
    let link = link?;
    t.phase("resolved");
    let exports = PredictedExports {
        version,
        dynamic_list,
        by_name: cmd.by_name,
    };
    let prediction = predict::mark_placed(&read, link, placer, exports, &mut t);
    let status = report(&prediction, cmd, query, out, log, &mut t);
    // The process ends here: its exit hands the link's memory back at once, where dropping
    // it (some 20,000 allocations, most made on rayon's threads) took a fifth of the main
    // thread's instructions (callgrind, musl's libc.so planned for lua).
    std::mem::forget(prediction);
    std::mem::forget(read);
    std::mem::forget(link_cmd);
    status
}

/// The version rules (and dynamic list) the predicted link exports by: the command's own, a
/// `--version-script`, or a plan for consumers (`provider`: a plan's provider, loaded and
/// read).
fn export_rules<'p>(
    cmd: &GcCommand,
    link_cmd: &LinkCommand,
    read: &LinkRead,
    provider: Option<(&'p LoadedProvider, Result<Option<ProviderData<'p>>>)>,
    log: &mut dyn Write,
) -> Result<(VersionRules, VersionRules)> {
    Ok(match &cmd.exports {
        ExportSource::Command => (read.own_version_rules()?, read.dynamic_list.clone()),
        ExportSource::Script(p) => {
            let mut version = VersionRules::for_linker(read.linker);
            version.add_script(p, &crate::inputs::read_text(p)?)?;
            (version, read.dynamic_list.clone())
        }
        ExportSource::Plan(opts) => {
            let Some((loaded, provider)) = provider else {
                return Err(Error::Usage("no provider".into()));
            };
            (
                super::version_script::plan_rules(opts, loaded, provider?, link_cmd, read, log)?,
                read.dynamic_list.clone(),
            )
        }
    })
}

fn report(
    names: &Prediction<'_>,
    cmd: &GcCommand,
    query: &Query,
    out: &mut dyn Write,
    log: &mut dyn Write,
    t: &mut Timings,
) -> Result<Status> {
    let (link, result) = (&names.link, &names.gc);
    let plain = || match cmd.format {
        ReportFormat::Text => Ok(Format::Text),
        ReportFormat::Json => Ok(Format::Json),
        ReportFormat::Html => Err(Error::Usage(
            "--format html: `tailor gc` writes the HTML page (why and top: text or json)".into(),
        )),
    };
    let text = match query {
        Query::Gc => render_gc(names, cmd.format),
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
        link.section_ids()
            .filter(|&s| !result.live[s.index()] && result.reportable[s.index()])
            .count(),
        result.roots.len(),
        result.by_name_roots
    );
    emit(out, text.as_bytes())?;
    Ok(Status::Ok)
}

/// The objects of a link that define each symbol (`tailor diff -- LINK COMMAND`): globals as
/// the linker resolves them, locals under their objects' `STT_FILE` names.
pub(crate) fn link_definers(
    command: &[String],
    linker: Option<Linker>,
) -> Result<crate::analysis::diff::LinkDefiners> {
    let mut t = Timings::start();
    let read = read_link(&LinkCommand::from_user(command)?, linker, &mut t)?;
    let link = read.resolve()?;
    let mut d = crate::analysis::diff::LinkDefiners::default();
    for g in &link.globals {
        if let link_model::Def::Defined { obj, .. } | link_model::Def::Common { obj, .. } = g.def {
            d.globals
                .insert(g.name.to_vec(), link.obj(obj).display.clone());
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

fn render_gc(n: &Prediction<'_>, format: ReportFormat) -> String {
    if format == ReportFormat::Text {
        return gc_text(n);
    }
    let mut kept = Vec::new();
    let (mut kept_alloc_bytes, mut kept_count) = (0u64, 0usize);
    let mut removed = Vec::new();
    let mut by_file: Vec<FileRow> = Vec::new();
    let row_of = |o: &link_model::Obj<'_>, s: SectionId| SectionRow {
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
        for_each_modeled(n, o, |s, live| {
            if live {
                kept_count += 1;
                if n.alloc(s) {
                    row.kept += n.size(s);
                    kept_alloc_bytes += n.size(s);
                }
                kept.push(row_of(o, s));
            } else {
                row.removed += n.size(s);
                removed.push(row_of(o, s));
            }
        });
        by_file.push(row);
    }
    let report = GcReport {
        linker: linker_name(n.linker),
        kept_alloc_bytes,
        kept_count,
        removed_bytes: removed.iter().map(|r| r.size).sum(),
        kept,
        removed,
        by_file,
        by_name: by_name_rows(n),
        map: Some(predict::section_map(n)),
    };
    match format {
        ReportFormat::Html => crate::output::html::page(
            "tailor gc",
            "gc",
            &String::from_utf8_lossy(&to_json(&report)),
        ),
        _ => String::from_utf8_lossy(&to_json(&report)).into_owned(),
    }
}

/// Calls `f` with each section of `o` the report counts: live, or removed and reportable.
fn for_each_modeled(
    n: &Prediction<'_>,
    o: &link_model::Obj<'_>,
    mut f: impl FnMut(SectionId, bool),
) {
    for i in 0..o.elf.sections.len() {
        let s = o.base.offset(i as u32);
        if !n.modeled(s) {
            continue;
        }
        if n.live(s) {
            f(s, true);
        } else if n.gc.reportable[s.index()] {
            f(s, false);
        }
    }
}

fn by_name_rows(n: &Prediction<'_>) -> Vec<ByNameRow> {
    predict::by_name_roots(n)
        .into_iter()
        .map(|r| ByNameRow {
            export: String::from_utf8_lossy(&r.name).into_owned(),
            string_in: r.place,
            offset: r.offset,
        })
        .collect()
}

/// Spaces that bring a field of `width` characters to `to` (none when it is wider).
fn pad(s: &mut String, to: usize, width: usize) {
    const SPACES: &str = "                                        ";
    let n = to.saturating_sub(width);
    s.push_str(&SPACES[..n.min(SPACES.len())]);
}

/// Kept and removed bytes of one object (the text report's per-file table), and the rows of
/// the sections it loses.
struct FileBytes<'n> {
    file: &'n str,
    kept: u64,
    removed: u64,
    kept_count: usize,
    removed_count: usize,
    rows: String,
}

/// One object's part of the text report: a row for each section removed, and its sums.
fn file_rows<'n>(n: &Prediction<'_>, o: &'n link_model::Obj<'_>) -> FileBytes<'n> {
    let mut row = FileBytes {
        file: &o.display,
        kept: 0,
        removed: 0,
        kept_count: 0,
        removed_count: 0,
        rows: String::new(),
    };
    let s = &mut row.rows;
    for_each_modeled(n, o, |sec, live| {
        let size = n.size(sec);
        if live {
            row.kept_count += 1;
            if n.alloc(sec) {
                row.kept += size;
            }
            return;
        }
        row.removed += size;
        row.removed_count += 1;
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(size);
        pad(s, 10, digits.len());
        s.push_str(digits);
        s.push_str("  ");
        let at = s.len();
        n.push_name(sec, s);
        let width = s[at..].chars().count();
        pad(s, 40, width);
        s.push(' ');
        s.push_str(&o.display);
        s.push('\n');
    });
    row
}

/// The text report, written straight from the prediction: what goes, a row at a time (no
/// row structs, no `format!` padding: 4,000 instructions a row on musl's 3,238 removed
/// sections before), each object's rows on rayon's threads, the files by bytes removed, the
/// totals, the by-name roots.
fn gc_text(n: &Prediction<'_>) -> String {
    use rayon::prelude::*;
    let mut files: Vec<FileBytes<'_>> = n
        .link
        .objects
        .par_iter()
        .with_min_len(64)
        .map(|o| file_rows(n, o))
        .collect();
    let rows: usize = files.iter().map(|f| f.rows.len()).sum();
    let mut s = String::with_capacity(rows + 4096);
    s.push_str(&format!("{:>10}  {:<40} FILE\n", "REMOVED", "SECTION"));
    let (mut kept_alloc_bytes, mut kept_count) = (0u64, 0usize);
    let (mut removed_bytes, mut removed_count) = (0u64, 0usize);
    for f in &files {
        s.push_str(&f.rows);
        kept_alloc_bytes += f.kept;
        kept_count += f.kept_count;
        removed_bytes += f.removed;
        removed_count += f.removed_count;
    }
    s.push('\n');
    files.retain(|f| f.removed > 0 || f.kept > 0);
    // Only the first 20 are listed, so only they are sorted (the whole sort of musl's 1,343
    // files was 6% of the main thread's instructions); the rest are summed. Ties go by name,
    // then by the order on the command line, as the stable sort this replaces put them.
    let order = |a: &(usize, FileBytes<'_>), b: &(usize, FileBytes<'_>)| {
        (b.1.removed.cmp(&a.1.removed))
            .then(a.1.file.cmp(b.1.file))
            .then(a.0.cmp(&b.0))
    };
    let mut files: Vec<(usize, FileBytes<'_>)> = files.into_iter().enumerate().collect();
    if files.len() > 20 {
        files.select_nth_unstable_by(20, order);
    }
    let top = 20.min(files.len());
    files[..top].sort_unstable_by(order);
    let files: Vec<FileBytes<'_>> = files.into_iter().map(|(_, f)| f).collect();
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
        kept_alloc_bytes, removed_bytes, kept_count, removed_count
    ));
    let by_name = by_name_rows(n);
    if !by_name.is_empty() {
        s.push_str("\nkept because a string names them (looked up by name):\n");
        for b in &by_name {
            s.push_str(&format!(
                "  {}  ({}+{:#x})\n",
                b.export, b.string_in, b.offset
            ));
        }
    }
    s
}

/// The sections an item names: a symbol, `file:section`, a section name, or an object.
fn find_item(n: &Prediction<'_>, item: &str) -> Vec<SectionId> {
    if let Some(g) = n.link.global(item.as_bytes()) {
        if let Some(s) = n.link.def_section(g) {
            return vec![s];
        }
    }
    let all = n.link.section_ids();
    if let Some((file, section)) = item.rsplit_once(':') {
        let v: Vec<SectionId> = all
            .clone()
            .filter(|&s| n.modeled(s) && n.name(s) == section && file_matches(n.file(s), file))
            .collect();
        if !v.is_empty() {
            return v;
        }
    }
    let v: Vec<SectionId> = all
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
                    v.push(o.base.offset(si));
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

fn render_why(n: &Prediction<'_>, item: &str, all: usize, format: Format) -> Result<String> {
    let found = find_item(n, item);
    if found.is_empty() {
        return Err(Error::Usage(format!(
            "`{item}`: no symbol, section or object of that name in the link"
        )));
    }
    let live: Vec<SectionId> = found.iter().copied().filter(|&s| n.live(s)).collect();
    let mut report = WhyReport {
        item: item.to_string(),
        live: !live.is_empty(),
        chains: Vec::new(),
    };
    // The live section of the item closest to a root answers first.
    let mut candidates: Vec<(usize, SectionId)> =
        live.iter().map(|&s| (depth(&n.gc, s), s)).collect();
    candidates.sort();
    let k = all.max(1);
    for &(_, s) in &candidates {
        for c in retained::chains(&n.gc, s, k - report.chains.len()) {
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

/// The number of edges from a root to `s` on its shortest chain.
fn depth(gc: &GcResult, mut s: SectionId) -> usize {
    let mut d = 0;
    while let Some(from) = gc.reached[s.index()].from_section() {
        if d >= 100_000 {
            break;
        }
        s = from;
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
    n: &Prediction<'_>,
    by_retained: bool,
    exports: bool,
    limit: usize,
    format: Format,
) -> String {
    let sizes = n.allocated_sizes();
    let r = retained::retained_sizes(&n.gc, &sizes);
    let total: u64 = n
        .link
        .section_ids()
        .filter(|&s| n.live(s))
        .map(|s| sizes[s.index()])
        .sum();
    let mut rows: Vec<TopRow> = if exports {
        let mut v: Vec<TopRow> = Vec::new();
        for (i, root) in n.gc.roots.iter().enumerate() {
            if let RootReason::Export { global, .. } | RootReason::ByName { global, .. } =
                root.reason
            {
                v.push(TopRow {
                    item: n.global_name(global),
                    size: Some(sizes[root.section.index()]),
                    retained: Some(r.retained[r.root_node(i)]),
                });
            }
        }
        v.sort_by(|a, b| b.retained.cmp(&a.retained).then(a.item.cmp(&b.item)));
        v
    } else {
        let mut v: Vec<TopRow> = n
            .link
            .section_ids()
            .filter(|&s| n.live(s) && sizes[s.index()] > 0)
            .map(|s| TopRow {
                item: n.place(s),
                size: Some(sizes[s.index()]),
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
