//! `tailor needs`: what the consumers need, per symbol, and from where.

use std::fmt::Write as _;
use std::io::Write;

use serde::Serialize;

use super::provider::{LoadedProvider, ProviderArg};
use super::{collect_inputs, emit, read_consumers, to_json, Consumers, Format, Status};
use crate::analysis::elf::{ElfKind, ReadOptions};
use crate::analysis::needs::{self, HitSource, Needs, ProviderView};
use crate::error::Result;
use crate::hash::FxHashSet;
use crate::inputs::InputSpec;

/// Options of `tailor needs`.
#[derive(Debug, Clone, Default)]
pub struct NeedsOptions {
    pub inputs: InputSpec,
    pub provider: ProviderArg,
    pub format: Format,
    /// Scan for by-name lookups (on by default).
    pub by_name: bool,
}

/// The report `tailor needs` prints (text or JSON).
#[derive(Debug, Serialize)]
pub struct NeedsReport {
    pub summary: Summary,
    pub provider: Option<String>,
    pub consumers: Vec<ConsumerReport>,
    pub symbols: Vec<SymbolReport>,
    pub by_name: Vec<ByNameReport>,
}

/// The summary line.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// ELF files read.
    pub elf_files: usize,
    /// Non-ELF files skipped.
    pub non_elf_skipped: usize,
    /// Distinct (name, version) pairs imported.
    pub symbols_needed: usize,
    /// Distinct names imported.
    pub names_needed: usize,
    /// Imported names the provider exports (None without a provider).
    pub provided: Option<usize>,
    /// Imported names the provider does not export, strong references.
    pub unresolved: Option<usize>,
    /// Of which weak references only.
    pub unresolved_weak: Option<usize>,
    /// Names bound by COPY relocations.
    pub copy_relocated: usize,
    /// Distinct names found by the by-name scan.
    pub by_name: usize,
}

/// One consumer file.
#[derive(Debug, Serialize)]
pub struct ConsumerReport {
    pub path: String,
    pub kind: ElfKind,
    pub class: &'static str,
    pub endian: &'static str,
    pub machine: u16,
    pub soname: Option<String>,
    pub needed: Vec<String>,
    pub rpath: Option<String>,
    pub runpath: Option<String>,
    pub imports: usize,
    pub uses_dlsym: bool,
}

/// One needed symbol.
#[derive(Debug, Serialize)]
pub struct SymbolReport {
    pub name: String,
    pub version: Option<String>,
    /// The library the version is needed from.
    pub library: Option<String>,
    pub weak: bool,
    pub copy: bool,
    pub copy_size: Option<u64>,
    pub by_name: bool,
    /// Some consumer imports it (false for names needed only by a by-name string).
    pub imported: bool,
    /// Exported by the provider (None without a provider).
    pub provided: Option<bool>,
    /// Other input files that define it.
    pub defined_in: Vec<String>,
    pub consumers: Vec<String>,
}

/// One by-name candidate.
#[derive(Debug, Serialize)]
pub struct ByNameReport {
    pub name: String,
    /// The file whose read-only data holds the string.
    pub found_in: String,
    /// Whether that file is the provider.
    pub in_provider: bool,
    pub section: String,
    pub offset: u64,
    /// The name is the tail of a longer string.
    pub string_tail: bool,
}

/// Runs `tailor needs`.
pub fn run(opts: &NeedsOptions, out: &mut dyn Write) -> Result<Status> {
    let set = collect_inputs(&opts.inputs)?;
    let loaded = LoadedProvider::load(&opts.provider)?;
    let provider = loaded.view()?;
    let scan = provider
        .as_ref()
        .filter(|_| opts.by_name)
        .map(|p| &p.exports);
    let read = read_consumers(&set, ReadOptions::ALL, scan)?;
    let consumers = Consumers::new(&read);
    let view = provider.as_ref().map(|p| ProviderView {
        exports: &p.exports,
        facts: p.facts.as_ref(),
        object_hits: None,
    });
    let needs = needs::compute(&consumers.facts, view, opts.by_name);
    let report = build_report(
        &consumers,
        &needs,
        provider.as_ref().map(|p| p.name.as_str()),
    );
    let text = match opts.format {
        Format::Json => to_json(&report),
        Format::Text => render_text(&report).into_bytes(),
    };
    emit(out, &text)?;
    Ok(Status::Ok)
}

fn lossy(b: &[u8]) -> String {
    crate::text::lossy(b).into_owned()
}

/// Builds the report from the analysis results.
pub fn build_report(c: &Consumers<'_>, needs: &Needs<'_>, provider: Option<&str>) -> NeedsReport {
    let by_name_names: FxHashSet<&[u8]> = needs.by_name.iter().map(|b| b.hit.name).collect();
    NeedsReport {
        summary: summary(c, needs, provider, by_name_names.len()),
        provider: provider.map(str::to_string),
        consumers: consumer_reports(c),
        symbols: symbol_reports(c, needs, provider, &by_name_names),
        by_name: by_name_reports(c, needs, provider),
    }
}

/// Each consumer's ELF facts.
fn consumer_reports(c: &Consumers<'_>) -> Vec<ConsumerReport> {
    c.facts
        .iter()
        .zip(&c.names)
        .map(|(f, name)| ConsumerReport {
            path: name.clone(),
            kind: f.kind,
            class: if f.is_64 { "elf64" } else { "elf32" },
            endian: if f.big_endian { "big" } else { "little" },
            machine: f.machine,
            soname: f.soname.map(lossy),
            needed: f.needed.iter().map(|n| lossy(n)).collect(),
            rpath: f.rpath.map(lossy),
            runpath: f.runpath.map(lossy),
            imports: f.imports.len(),
            uses_dlsym: f.imports_dlsym(),
        })
        .collect()
}

/// Each by-name hit, with the file whose strings name it.
fn by_name_reports(
    c: &Consumers<'_>,
    needs: &Needs<'_>,
    provider: Option<&str>,
) -> Vec<ByNameReport> {
    let source_name = |s: HitSource| match s {
        HitSource::Consumer(id) => c.names.get(id.index()).cloned().unwrap_or_default(),
        HitSource::Provider => provider.unwrap_or_default().to_string(),
    };
    needs
        .by_name
        .iter()
        .map(|b| ByNameReport {
            name: lossy(b.hit.name),
            found_in: source_name(b.source),
            in_provider: b.source == HitSource::Provider,
            section: lossy(b.hit.section),
            offset: b.hit.offset,
            string_tail: b.hit.suffix,
        })
        .collect()
}

/// One row a needed symbol (`by_name_names`: the names looked up by name), then one a name
/// needed only by name; sorted by name and version.
fn symbol_reports(
    c: &Consumers<'_>,
    needs: &Needs<'_>,
    provider: Option<&str>,
    by_name_names: &FxHashSet<&[u8]>,
) -> Vec<SymbolReport> {
    let mut symbols: Vec<SymbolReport> = needs
        .symbols
        .iter()
        .enumerate()
        .map(|(id, s)| SymbolReport {
            name: lossy(s.name),
            version: s.version.map(lossy),
            library: s.library.map(lossy),
            weak: s.weak,
            copy: s.copy_size.is_some(),
            copy_size: s.copy_size,
            by_name: by_name_names.contains(s.name),
            imported: true,
            provided: provider.map(|_| s.provided),
            defined_in: needs
                .definers_of(id as u32)
                .map(|f| c.names[f.index()].clone())
                .collect(),
            consumers: needs
                .consumers_of(id as u32)
                .map(|f| c.names[f.index()].clone())
                .collect(),
        })
        .collect();
    for (name, who) in only_by_name(c, needs) {
        symbols.push(SymbolReport {
            name: lossy(name),
            version: None,
            library: None,
            weak: false,
            copy: false,
            copy_size: None,
            by_name: true,
            imported: false,
            provided: provider.map(|_| true),
            defined_in: Vec::new(),
            consumers: who,
        });
    }
    symbols.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    symbols
}

/// Names needed only by name: one entry each, in the order first found, needed by the
/// consumers whose strings name them (sorted, each once; the provider's own are no
/// consumer's).
fn only_by_name<'a>(c: &Consumers<'_>, needs: &Needs<'a>) -> Vec<(&'a [u8], Vec<String>)> {
    let imported: FxHashSet<&[u8]> = needs.symbols.iter().map(|s| s.name).collect();
    let mut only_by_name: Vec<(&[u8], Vec<String>)> = Vec::new();
    for b in &needs.by_name {
        if imported.contains(b.hit.name) {
            continue;
        }
        let who = match b.source {
            HitSource::Consumer(id) => Some(c.names[id.index()].clone()),
            HitSource::Provider => None,
        };
        match only_by_name.iter_mut().find(|(n, _)| *n == b.hit.name) {
            Some((_, v)) => v.extend(who),
            None => only_by_name.push((b.hit.name, who.into_iter().collect())),
        }
    }
    for (_, who) in &mut only_by_name {
        who.sort();
        who.dedup();
    }
    only_by_name
}

/// The counts (those against the provider only with one).
fn summary(
    c: &Consumers<'_>,
    needs: &Needs<'_>,
    provider: Option<&str>,
    by_name: usize,
) -> Summary {
    let mut provided_names: Vec<&[u8]> = needs
        .symbols
        .iter()
        .filter(|s| s.provided)
        .map(|s| s.name)
        .collect();
    provided_names.dedup();
    // (name, whether every need of it is weak), for the names the provider does not export.
    let mut unresolved: Vec<(&[u8], bool)> = Vec::new();
    for s in needs.symbols.iter().filter(|s| !s.provided) {
        match unresolved.last_mut() {
            Some(last) if last.0 == s.name => last.1 &= s.weak,
            _ => unresolved.push((s.name, s.weak)),
        }
    }
    let mut copies: Vec<&[u8]> = needs
        .symbols
        .iter()
        .filter(|s| s.copy_size.is_some())
        .map(|s| s.name)
        .collect();
    copies.dedup();
    Summary {
        elf_files: c.facts.len(),
        non_elf_skipped: c.read.skipped_non_elf,
        symbols_needed: needs.symbols.len(),
        names_needed: needs.distinct_names(),
        provided: provider.map(|_| provided_names.len()),
        unresolved: provider.map(|_| unresolved.iter().filter(|u| !u.1).count()),
        unresolved_weak: provider.map(|_| unresolved.iter().filter(|u| u.1).count()),
        copy_relocated: copies.len(),
        by_name,
    }
}

/// The text rendering: one row a symbol, the by-name hits, then the summary line.
pub fn render_text(r: &NeedsReport) -> String {
    let mut out = String::new();
    let width = r
        .symbols
        .iter()
        .map(|s| s.name.len() + s.version.as_ref().map_or(0, |v| v.len() + 1))
        .max()
        .unwrap_or(6)
        .clamp(6, 60);
    let _ = writeln!(out, "{:<width$}  FLAGS  PROVIDED  CONSUMERS", "SYMBOL");
    for s in &r.symbols {
        let shown = crate::demangle::shown(s.name.as_bytes());
        let name = match &s.version {
            Some(v) => format!("{shown}@{v}"),
            None => shown,
        };
        let flags: String = [
            (s.weak, 'w'),
            (s.copy, 'c'),
            (s.by_name, 'n'),
            (!s.defined_in.is_empty(), 'd'),
        ]
        .iter()
        .map(|&(on, c)| if on { c } else { '-' })
        .collect();
        let provided = match s.provided {
            Some(true) => "yes",
            Some(false) => "no",
            None => "-",
        };
        let who = match s.consumers.as_slice() {
            [] => String::from("(provider)"),
            [one] => one.clone(),
            [first, rest @ ..] => format!("{first} (+{} more)", rest.len()),
        };
        let _ = writeln!(out, "{name:<width$}  {flags}   {provided:<8}  {who}");
    }
    for b in &r.by_name {
        let _ = writeln!(
            out,
            "by-name: {} in {} {}+{:#x}{}",
            b.name,
            b.found_in,
            b.section,
            b.offset,
            if b.string_tail { " (string tail)" } else { "" }
        );
    }
    let s = &r.summary;
    let _ = write!(
        out,
        "consumers: {} ELF files ({} non-ELF skipped); symbols needed: {} ({} names)",
        s.elf_files, s.non_elf_skipped, s.symbols_needed, s.names_needed
    );
    if let (Some(p), Some(u), Some(uw)) = (s.provided, s.unresolved, s.unresolved_weak) {
        let _ = write!(out, "; provided: {p}; unresolved: {u} (+{uw} weak)");
    }
    let _ = writeln!(
        out,
        "; copy-relocated: {}; by-name: {}",
        s.copy_relocated, s.by_name
    );
    out.push_str(
        "flags: w weak, c copy-relocated, n looked up by name, d defined by another input\n",
    );
    out
}
