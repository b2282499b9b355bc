//! `tailor check`: is this provider ready for section garbage collection? Inputs (objects or
//! a link command, and the linker script that places them) → analysis (placement of every
//! input section, the references between sections) → findings, each with a code, what it
//! concerns and how to fix it. Exit 1 when a finding is not `--allow`ed.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use object::elf;
use serde::Serialize;

use super::{emit, to_json, Format, Status};
use crate::analysis::ids::ObjId;
use crate::analysis::link_model::{self, Link, Target};
use crate::analysis::objfile::ObjSection;
use crate::error::{Error, Result};
use crate::hash::{FxHashMap, FxHashSet};
use crate::inputs::ldscript::placement::{literal_prefix_len, InputSection};
use crate::inputs::ldscript::{self, Placement, Placer};
use crate::inputs::link_command::{LinkCommand, Linker};
use crate::inputs::linker_args::{self, InputName, LinkerArgs, LinkerInput};

/// `tailor check` options.
pub struct CheckOptions {
    /// `--script`: the linker script (default: the command's `-T`, else GNU ld's built-in).
    pub script: Option<PathBuf>,
    /// Objects and archives to check (when no link command is given).
    pub objects: Vec<PathBuf>,
    /// A link command (after `--`): its inputs and script are checked.
    pub command: Vec<String>,
    /// Finding codes accepted.
    pub allow: Vec<String>,
    pub format: Format,
    /// Print the parsed script back instead of checking.
    pub dump_script: bool,
    /// Also report on objects the command does not name itself (the driver's crt files,
    /// libraries found through `-l`): not the user's to fix, so left out by default.
    pub system: bool,
}

/// One finding.
#[derive(Debug, Serialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub code: &'static str,
    /// The object (`a.o`, `lib.a(m.o)`) or the script it concerns.
    pub file: String,
    pub section: Option<String>,
    pub symbol: Option<String>,
    /// Bytes at stake, where there are any.
    pub bytes: Option<u64>,
    pub message: String,
    pub fix: String,
}

/// The codes, with what each means (for `--help` and the README).
pub const CODES: &[(&str, &str)] = &[
    (
        "no-function-sections",
        "one .text holds several functions: GC keeps or drops them together",
    ),
    (
        "no-data-sections",
        "one .data/.rodata/.bss holds several objects",
    ),
    (
        "orphan",
        "input sections no script rule places (ld guesses where they go)",
    ),
    (
        "special-name",
        "a function named like a special section (startup, exit, unlikely, ...)",
    ),
    (
        "order",
        "a catch-all rule takes sections before the specific rule meant for them",
    ),
    (
        "unkept-init",
        "init/fini arrays, .ctors/.dtors, .init/.fini placed without KEEP",
    ),
    (
        "unkept-table",
        "a table reached only through script-defined symbols, without KEEP",
    ),
    (
        "start-stop",
        "a section reached only through __start_/__stop_ symbols, without KEEP",
    ),
    (
        "retain-ignored",
        "SHF_GNU_RETAIN in an object GNU ld reads without GNU OSABI",
    ),
    (
        "split-group",
        "members of one section group placed apart, some discarded",
    ),
    (
        "link-order",
        "an SHF_LINK_ORDER section placed apart from the section it belongs to",
    ),
    (
        "entry-roots",
        "an entry symbol that roots no section under --gc-sections (undefined, absolute)",
    ),
];

#[derive(Serialize)]
struct Report {
    script: String,
    objects: usize,
    sections: usize,
    findings: Vec<Finding>,
    allowed: usize,
    /// Findings in objects the command does not name (left out without `--system`).
    in_system_objects: usize,
}

/// Runs `tailor check`.
pub fn run(opts: &CheckOptions, out: &mut dyn Write, log: &mut dyn Write) -> Result<Status> {
    for code in &opts.allow {
        if !CODES.iter().any(|(c, _)| c == code) {
            return Err(Error::Usage(format!(
                "--allow {code}: no such check (the codes: {})",
                CODES.iter().map(|c| c.0).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io("reading", Path::new("."), e))?;
    // The files the user names: findings elsewhere are the system's (crt files, -l).
    let (args, own, cmd): (LinkerArgs, Vec<PathBuf>, _) = if opts.command.is_empty() {
        (objects_as_link(&opts.objects), opts.objects.clone(), None)
    } else {
        let cmd = LinkCommand::from_user(&opts.command)?;
        let (words, linker) = linker_args::linker_command(&cmd)?;
        let args = LinkerArgs::parse(&words, linker)
            .map_err(|e| super::gc::diagnosed_by_linker(&cmd, e))?;
        (args, cmd.inputs.clone(), Some(cmd))
    };
    // What tailor cannot make of a link command, the linker itself may explain.
    let diagnose = |e: Error| match &cmd {
        Some(c) => super::gc::diagnosed_by_linker(c, e),
        None => e,
    };
    let own: FxHashSet<PathBuf> = own.iter().map(|p| linker_args::in_dir(&cwd, p)).collect();
    let (script, script_name) =
        linker_args::linker_script(&args, &cwd, opts.script.as_deref(), None)?;
    if opts.dump_script {
        emit(out, ldscript::dump(&script).as_bytes())?;
        return Ok(Status::Ok);
    }
    if args.inputs.is_empty() {
        return Err(Error::Usage(
            "tailor check needs OBJECTS or `-- LINK COMMAND` (or --dump-script)".into(),
        ));
    }
    let prefetched = link_model::Prefetched::default();
    let files = link_model::read_files(&args, &cwd, &[], &prefetched).map_err(diagnose)?;
    let mut link = link_model::resolve(&files, &args.undefined)?;
    link.apply_script_definitions(&script);
    let placer = Placer::new(&script);
    let mut findings = findings(&link, &placer, &script, &script_name, &args);
    findings.sort();
    let system: FxHashSet<&str> = link
        .objects
        .iter()
        .filter(|o| !own.contains(&files.files[o.file.index()].path))
        .map(|o| o.display.as_str())
        .collect();
    let all = findings.len();
    if !opts.system {
        findings.retain(|f| !system.contains(f.file.as_str()));
    }
    let in_system = all - findings.len();
    let before = findings.len();
    findings.retain(|f| !opts.allow.iter().any(|a| a == f.code));
    let report = Report {
        script: script_name,
        objects: link.objects.len(),
        sections: link.section_count as usize,
        allowed: before - findings.len(),
        in_system_objects: in_system,
        findings,
    };
    let text = match opts.format {
        Format::Json => String::from_utf8_lossy(&to_json(&report)).into_owned(),
        Format::Text => render_text(&report),
    };
    emit(out, text.as_bytes())?;
    let _ = writeln!(
        log,
        "tailor: {} objects, {} sections against {}: {} findings ({} allowed, {} in system objects{})",
        report.objects,
        report.sections,
        report.script,
        report.findings.len(),
        report.allowed,
        report.in_system_objects,
        if opts.system { "" } else { " left out: --system shows them" }
    );
    Ok(if report.findings.is_empty() {
        Status::Ok
    } else {
        Status::ChecksFailed
    })
}

/// Objects named directly: every member of an archive is checked.
fn objects_as_link(objects: &[PathBuf]) -> LinkerArgs {
    LinkerArgs {
        linker: Some(Linker::Bfd),
        program: "ld".into(),
        inputs: objects
            .iter()
            .map(|p| LinkerInput {
                item: InputName::Path(p.clone()),
                whole_archive: true,
                as_needed: false,
                static_only: false,
                group: 0,
            })
            .collect(),
        shared: true,
        ..Default::default()
    }
}

struct Ctx<'a, 'd> {
    link: &'a Link<'d>,
    placer: &'a Placer<'a>,
    /// Placement of every section id (None: not placed — symbol tables and the like).
    placement: Vec<Option<Placement>>,
    /// Incoming relocations from other sections (not `.eh_frame`), by section id.
    referenced: Vec<bool>,
    /// Sections referenced through `__start_X`/`__stop_X`, by name X.
    start_stop: FxHashSet<&'d [u8]>,
}

fn findings(
    link: &Link<'_>,
    placer: &Placer<'_>,
    script: &ldscript::Script,
    script_name: &str,
    args: &LinkerArgs,
) -> Vec<Finding> {
    let n = link.section_count as usize;
    let mut placement = vec![None; n];
    let mut referenced = vec![false; n];
    let mut start_stop = FxHashSet::default();
    for (oi, o) in link.objects.iter().enumerate() {
        let oi = ObjId::from_index(oi);
        for (si, s) in o.elf.sections.iter().enumerate() {
            if !s.modeled {
                continue;
            }
            placement[o.base.offset(si as u32).index()] =
                Some(placer.place(&link.input_section(oi, si)));
            if s.name == b".eh_frame" {
                continue;
            }
            for ri in s.relocs.clone() {
                let r = &o.elf.relocs[ri as usize];
                match link.target(oi, r.sym) {
                    Target::Section(t) if t != o.base.offset(si as u32) => {
                        referenced[t.index()] = true
                    }
                    Target::StartStop(name) => {
                        start_stop.insert(name);
                    }
                    _ => {}
                }
            }
        }
    }
    let cx = Ctx {
        link,
        placer,
        placement,
        referenced,
        start_stop,
    };
    let mut v = Vec::new();
    v.extend(without_function_or_data_sections(&cx));
    v.extend(orphans(&cx));
    v.extend(special_names(&cx));
    v.extend(order_hazards(placer, script_name));
    v.extend(unkept(&cx, args));
    v.extend(retain_group_link_order(&cx));
    v.extend(entry_roots(link, script, script_name, args));
    v
}

/// The entry symbol roots the section that defines it; one no object defines, or that the
/// script defines absolute (or, for GNU ld, outside any output section), roots nothing, and
/// `--gc-sections` then keeps only what `KEEP`, exports and `-u` keep — a kernel whose entry
/// is `ENTRY(start32 - SHIFT)`-like loses its boot code.
fn entry_roots(
    link: &Link<'_>,
    script: &ldscript::Script,
    script_name: &str,
    args: &LinkerArgs,
) -> Vec<Finding> {
    if !args.gc_sections {
        return Vec::new();
    }
    let entry = args
        .entry
        .clone()
        .or_else(|| script.entry().map(str::to_string))
        .unwrap_or_else(|| "_start".to_string());
    if link
        .global(entry.as_bytes())
        .and_then(|g| link.def_section(g))
        .is_some()
    {
        return Vec::new();
    }
    let defined_by_script = script.assignments().iter().any(|(a, _)| a.target == entry);
    let rooted = |from: &[String]| {
        from.iter().any(|f| {
            link.global(f.as_bytes())
                .and_then(|g| link.def_section(g))
                .is_some()
        })
    };
    let message = if !defined_by_script {
        format!("the entry symbol `{entry}` is defined by no input and not by the script: --gc-sections roots no section for it")
    } else if rooted(&script.defined_from(&entry, true)) {
        return Vec::new();
    } else if rooted(&script.defined_from(&entry, false)) {
        format!("the entry symbol `{entry}` is defined by the script outside any output section: GNU ld roots no section for it (lld keeps the section it is relative to)")
    } else {
        format!("the entry symbol `{entry}` is absolute (the script gives it a value relative to no input section): --gc-sections roots no section for it")
    };
    vec![Finding {
        code: "entry-roots",
        file: script_name.to_string(),
        section: None,
        symbol: Some(entry.clone()),
        bytes: None,
        message,
        fix: format!("make the entry a symbol of the boot code (`ENTRY(...)` of a function), define `{entry}` inside the output section of the code it is relative to, or KEEP that code"),
    }]
}

fn name(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn alloc(s: &ObjSection<'_>) -> bool {
    s.flags & u64::from(elf::SHF_ALLOC) != 0
}

/// Functions (or objects) sharing one section that GC can only keep or drop whole.
fn without_function_or_data_sections(cx: &Ctx<'_, '_>) -> Vec<Finding> {
    let mut v = Vec::new();
    for o in &cx.link.objects {
        let mut per_section: FxHashMap<u32, FxHashSet<u64>> = FxHashMap::default();
        for sym in &o.elf.symbols {
            let Some(si) = sym.section() else { continue };
            let Some(s) = o.elf.sections.get(si as usize) else {
                continue;
            };
            let kind_ok = match sym.sym_type {
                elf::STT_FUNC => s.name == b".text",
                elf::STT_OBJECT => matches!(s.name, b".data" | b".rodata" | b".bss"),
                _ => false,
            };
            if kind_ok && sym.size > 0 {
                per_section.entry(si).or_default().insert(sym.value);
            }
        }
        let mut sections: Vec<(u32, usize)> =
            per_section.into_iter().map(|(k, s)| (k, s.len())).collect();
        sections.sort();
        for (si, count) in sections {
            if count < 2 {
                continue;
            }
            let s = &o.elf.sections[si as usize];
            let function = s.name == b".text";
            v.push(Finding {
                code: if function {
                    "no-function-sections"
                } else {
                    "no-data-sections"
                },
                file: o.display.clone(),
                section: Some(name(s.name)),
                symbol: None,
                bytes: Some(s.size),
                message: format!(
                    "`{}` holds {count} {}: --gc-sections keeps or removes all {} bytes together",
                    name(s.name),
                    if function { "functions" } else { "objects" },
                    s.size
                ),
                fix: if function {
                    "compile with -ffunction-sections".into()
                } else {
                    "compile with -fdata-sections".into()
                },
            });
        }
    }
    v
}

/// `.text.foo` → `.text.*`; `.data.rel.ro.x` → `.data.rel.ro.*`; others as they are.
fn kind_of(section: &[u8]) -> String {
    let s = name(section);
    for prefix in [
        ".data.rel.ro.",
        ".init_array.",
        ".fini_array.",
        ".text.",
        ".data.",
        ".rodata.",
        ".bss.",
        ".tdata.",
        ".tbss.",
    ] {
        if s.starts_with(prefix) && s.len() > prefix.len() {
            return format!("{prefix}*");
        }
    }
    s
}

fn orphans(cx: &Ctx<'_, '_>) -> Vec<Finding> {
    // One finding per (kind), naming the first object and counting the rest.
    let mut kinds: BTreeMap<String, (String, String, usize, u64, String)> = BTreeMap::new();
    for (oi, o) in cx.link.objects.iter().enumerate() {
        let oi = ObjId::from_index(oi);
        for (si, s) in o.elf.sections.iter().enumerate() {
            let id = o.base.offset(si as u32).index();
            // Notes are placed by type (GNU ld merges `.note.gnu.property` into a note it
            // creates itself); an empty orphan costs nothing.
            if cx.placement[id] != Some(Placement::Orphan)
                || !alloc(s)
                || s.sh_type == elf::SHT_NOTE
                || s.size == 0
            {
                continue;
            }
            let e = kinds.entry(kind_of(s.name)).or_insert_with(|| {
                (
                    o.display.clone(),
                    name(s.name),
                    0,
                    0,
                    cx.placer.orphan_home(&cx.link.input_section(oi, si)),
                )
            });
            e.2 += 1;
            e.3 += s.size;
        }
    }
    kinds
        .into_iter()
        .map(|(kind, (file, first, count, bytes, home))| Finding {
            code: "orphan",
            file,
            section: Some(first.clone()),
            symbol: None,
            bytes: Some(bytes),
            message: format!(
                "{count} input section(s) of kind `{kind}` match no rule of the script; ld places them {home}"
            ),
            fix: format!("add `*({kind})` to the output section they belong in"),
        })
        .collect()
}

const SPECIAL: &[&str] = &[
    "startup", "exit", "unlikely", "hot", "cold", "fixup", "init", "sorted", "split",
];

fn placement_words(cx: &Ctx<'_, '_>, p: Option<Placement>) -> String {
    match p {
        Some(Placement::Placed { output, rule, .. }) => format!(
            "into `{}` by `{}` (line {})",
            cx.placer.outputs[output as usize].name,
            ldscript::dump::input_spec(cx.placer.rules[rule as usize].spec),
            cx.placer.rules[rule as usize].spec.line
        ),
        Some(Placement::Discarded { rule }) => format!(
            "to /DISCARD/ by `{}` (line {})",
            ldscript::dump::input_spec(cx.placer.rules[rule as usize].spec),
            cx.placer.rules[rule as usize].spec.line
        ),
        Some(Placement::Orphan) => "nowhere (an orphan)".into(),
        None => "nowhere".into(),
    }
}

/// Functions whose names make `-ffunction-sections` put them in a special section.
fn special_names(cx: &Ctx<'_, '_>) -> Vec<Finding> {
    let mut v = Vec::new();
    for o in &cx.link.objects {
        for sym in &o.elf.symbols {
            if sym.sym_type != elf::STT_FUNC || !SPECIAL.iter().any(|s| s.as_bytes() == sym.name) {
                continue;
            }
            let Some(si) = sym.section() else { continue };
            let Some(s) = o.elf.sections.get(si as usize) else {
                continue;
            };
            let expected = [&b".text."[..], sym.name].concat();
            if s.name != expected.as_slice() {
                continue;
            }
            let p = cx.placement[o.base.offset(si).index()];
            v.push(Finding {
                code: "special-name",
                file: o.display.clone(),
                section: Some(name(s.name)),
                symbol: Some(name(sym.name)),
                bytes: Some(s.size),
                message: format!(
                    "function `{}` lands in `{}`, the section gcc and linker scripts reserve for {} code; the script sends it {}",
                    name(sym.name),
                    name(s.name),
                    name(sym.name),
                    placement_words(cx, p)
                ),
                fix: format!("rename `{}`", name(sym.name)),
            });
        }
    }
    v
}

/// A catch-all rule that takes the special `.text.*` sections before their own rule.
fn order_hazards(placer: &Placer<'_>, script_name: &str) -> Vec<Finding> {
    let mut v = Vec::new();
    let probes = [
        ".text.unlikely",
        ".text.unlikely.f",
        ".text.hot",
        ".text.hot.f",
        ".text.startup",
        ".text.startup.f",
        ".text.exit",
        ".text.exit.f",
        ".text.cold",
        ".text.cold.f",
        ".text.fixup",
    ];
    let mut seen = FxHashSet::default();
    for probe in probes {
        let s = InputSection {
            file: b"probe.o",
            archive: None,
            name: probe.as_bytes(),
            sh_type: elf::SHT_PROGBITS,
            sh_flags: u64::from(elf::SHF_ALLOC | elf::SHF_EXECINSTR),
        };
        let mut matches = placer
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.matching_pattern(&s).map(|p| (i, r, p)));
        let Some((first_i, first, first_p)) = matches.next() else {
            continue;
        };
        let first_len = literal_prefix_len(&first_p.pattern.glob);
        if let Some((later_i, later, later_p)) =
            matches.find(|(_, _, p)| literal_prefix_len(&p.pattern.glob) > first_len)
        {
            if !seen.insert((first_i, later_i)) {
                continue;
            }
            v.push(Finding {
                code: "order",
                file: script_name.to_string(),
                section: Some(probe.to_string()),
                symbol: None,
                bytes: None,
                message: format!(
                    "`{probe}` sections are taken by `{}` (line {}) before `{}` (line {}), the rule written for them",
                    ldscript::dump::input_spec(first.spec),
                    first.spec.line,
                    later_p.pattern.glob,
                    later.spec.line
                ),
                fix: format!(
                    "place `{}` before the catch-all `{}`",
                    ldscript::dump::input_spec(later.spec),
                    first_p.pattern.glob
                ),
            });
        }
    }
    v
}

/// Sections that only the linker's own conventions reach, placed without `KEEP`.
fn unkept(cx: &Ctx<'_, '_>, args: &LinkerArgs) -> Vec<Finding> {
    let mut v = Vec::new();
    // Symbols the script defines inside an output section, and which objects refer to.
    let mut script_symbols: FxHashMap<u32, Vec<String>> = FxHashMap::default();
    let referenced_names: FxHashSet<&[u8]> = cx
        .link
        .globals
        .iter()
        .filter(|g| g.undef_strong || g.def == link_model::Def::Undefined)
        .map(|g| g.name)
        .collect();
    for (i, o) in cx.placer.outputs.iter().enumerate() {
        for item in &o.items {
            if let ldscript::OutputItem::Assign(a) = item {
                if referenced_names.contains(a.target.as_bytes()) {
                    script_symbols
                        .entry(i as u32)
                        .or_default()
                        .push(a.target.clone());
                }
            }
        }
    }
    let keeps_anyway = |s: &ObjSection<'_>| s.flags & u64::from(elf::SHF_GNU_RETAIN) != 0;
    for o in &cx.link.objects {
        for (si, s) in o.elf.sections.iter().enumerate() {
            let id = o.base.offset(si as u32).index();
            if !s.modeled || !alloc(s) || s.size == 0 || keeps_anyway(s) {
                continue;
            }
            let p = cx.placement[id];
            let kept = matches!(
                p,
                Some(Placement::Placed {
                    keep_rule: Some(_),
                    ..
                })
            );
            if kept || matches!(p, Some(Placement::Discarded { .. })) {
                continue;
            }
            let init_kind = matches!(
                s.sh_type,
                elf::SHT_INIT_ARRAY | elf::SHT_FINI_ARRAY | elf::SHT_PREINIT_ARRAY
            ) || [&b".ctors"[..], b".dtors"]
                .iter()
                .any(|k| s.name.starts_with(k))
                || s.name == b".init"
                || s.name == b".fini";
            let base = Finding {
                code: "",
                file: o.display.clone(),
                section: Some(name(s.name)),
                symbol: None,
                bytes: Some(s.size),
                message: String::new(),
                fix: String::new(),
            };
            if init_kind {
                v.push(Finding {
                    code: "unkept-init",
                    message: format!(
                        "`{}` is placed {} without KEEP: GNU ld's --gc-sections removes it (nothing refers to it; the startup code walks it), lld and mold keep it by its type",
                        name(s.name),
                        placement_words(cx, p)
                    ),
                    fix: format!("wrap the rule in KEEP(...), e.g. KEEP(*({}))", kind_of(s.name)),
                    ..base
                });
                continue;
            }
            if cx.referenced[id] {
                continue;
            }
            // Code nothing calls is dead, not a table entry, even where the script brackets
            // it with symbols (OSv's `text_start`/`text_end` around all of `.text`): ld removes
            // it and nothing walks it.
            let code = s.flags & u64::from(elf::SHF_EXECINSTR) != 0;
            if let (false, Some(Placement::Placed { output, .. })) = (code, p) {
                if let Some(syms) = script_symbols.get(&output) {
                    v.push(Finding {
                        code: "unkept-table",
                        symbol: Some(syms.join(", ")),
                        message: format!(
                            "`{}` is reached only through {} — symbols the script defines in `{}` — and is placed without KEEP: --gc-sections removes it",
                            name(s.name),
                            syms.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", "),
                            cx.placer.outputs[output as usize].name
                        ),
                        fix: format!("KEEP(*({}))", name(s.name)),
                        ..base
                    });
                    continue;
                }
            }
            if cx.start_stop.contains(s.name) {
                let gc_on = args.start_stop_gc == Some(true);
                v.push(Finding {
                    code: "start-stop",
                    symbol: Some(format!("__start_{0}, __stop_{0}", name(s.name))),
                    message: format!(
                        "`{}` is reached only through `__start_{0}`/`__stop_{0}` and is not KEEPed: GNU ld keeps it while a live section refers to those symbols, but with -z start-stop-gc it is removed{}",
                        name(s.name),
                        if gc_on { " — and this link uses -z start-stop-gc" } else { "" }
                    ),
                    fix: format!(
                        "KEEP(*({})) in the script, or mark it retained (__attribute__((retain)) / SHF_GNU_RETAIN)",
                        name(s.name)
                    ),
                    ..base
                });
            }
        }
    }
    v
}

fn retain_group_link_order(cx: &Ctx<'_, '_>) -> Vec<Finding> {
    let mut v = Vec::new();
    for o in &cx.link.objects {
        for (si, s) in o.elf.sections.iter().enumerate() {
            let id = o.base.offset(si as u32).index();
            if s.flags & u64::from(elf::SHF_GNU_RETAIN) != 0 && !o.elf.gnu_osabi {
                v.push(Finding {
                    code: "retain-ignored",
                    file: o.display.clone(),
                    section: Some(name(s.name)),
                    symbol: None,
                    bytes: Some(s.size),
                    message: "SHF_GNU_RETAIN is set but the object's OSABI is not GNU: GNU ld ignores the flag and --gc-sections may remove it".into(),
                    fix: "assemble with a GNU-OSABI object (gas sets it for .section ...,\"R\") or KEEP the section".into(),
                });
            }
            if s.flags & u64::from(elf::SHF_LINK_ORDER) != 0 && s.modeled {
                let parent = s.link as usize;
                if parent != 0 && parent < o.elf.sections.len() {
                    let pid = o.base.index() + parent;
                    let discarded =
                        |p: Option<Placement>| matches!(p, Some(Placement::Discarded { .. }));
                    if discarded(cx.placement[id]) != discarded(cx.placement[pid]) {
                        v.push(Finding {
                            code: "link-order",
                            file: o.display.clone(),
                            section: Some(name(s.name)),
                            symbol: None,
                            bytes: Some(s.size),
                            message: format!(
                                "`{}` belongs with `{}` (SHF_LINK_ORDER) but the script discards one and keeps the other",
                                name(s.name),
                                name(o.elf.sections[parent].name)
                            ),
                            fix: "place both in kept output sections, or discard both".into(),
                        });
                    }
                }
            }
        }
        for (g, sig, members) in &o.elf.groups {
            let states: Vec<bool> = members
                .iter()
                .filter(|&&m| o.elf.sections[m as usize].modeled)
                .map(|&m| {
                    matches!(
                        cx.placement[o.base.offset(m).index()],
                        Some(Placement::Discarded { .. })
                    )
                })
                .collect();
            if states.iter().any(|&d| d) && states.iter().any(|&d| !d) {
                v.push(Finding {
                    code: "split-group",
                    file: o.display.clone(),
                    section: Some(name(o.elf.sections[*g as usize].name)),
                    symbol: Some(name(sig)),
                    bytes: None,
                    message: format!(
                        "the script discards some members of group `{}` and keeps others: a group lives or goes as one",
                        name(sig)
                    ),
                    fix: "discard all of the group's sections or none".into(),
                });
            }
        }
    }
    v
}

fn render_text(r: &Report) -> String {
    let mut s = String::new();
    for f in &r.findings {
        let mut at = f.file.clone();
        if let Some(sec) = &f.section {
            at.push(':');
            at.push_str(sec);
        }
        s.push_str(&format!("{}: [{}] {}\n", at, f.code, f.message));
        s.push_str(&format!("    fix: {}\n", f.fix));
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &r.findings {
        *counts.entry(f.code).or_default() += 1;
    }
    if r.findings.is_empty() {
        s.push_str(&format!(
            "clean: {} objects, {} sections checked against {}\n",
            r.objects, r.sections, r.script
        ));
    } else {
        let parts: Vec<String> = counts.iter().map(|(c, n)| format!("{c} {n}")).collect();
        s.push_str(&format!(
            "{} findings ({}) in {} objects checked against {}\n",
            r.findings.len(),
            parts.join(", "),
            r.objects,
            r.script
        ));
    }
    s
}
