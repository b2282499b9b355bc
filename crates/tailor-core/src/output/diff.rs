//! Output: `tailor diff`'s text tables — sections, objects, symbols (bloat-o-meter's layout)
//! and exports, each ending with its remainder and total rows.

use std::fmt::Write as _;

use crate::analysis::diff::{
    DiffReport, ExportTable, ObjectTable, Pair, SectionTable, SignedPair, SymbolTable,
};

/// Object rows shown before the remainder row.
const OBJECT_ROWS: usize = 30;

fn signed(d: i64) -> String {
    format!("{d:+}")
}

fn row(s: &mut String, name: &str, p: Pair) {
    let _ = writeln!(
        s,
        "{:>12} {:>12} {:>10}  {name}",
        p.old,
        p.new,
        signed(p.delta)
    );
}

fn srow(s: &mut String, name: &str, p: SignedPair) {
    let _ = writeln!(
        s,
        "{:>12} {:>12} {:>10}  {name}",
        p.old,
        p.new,
        signed(p.delta)
    );
}

/// The four tables.
pub(crate) fn render_text(r: &DiffReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "old: {}\nnew: {}\n", r.old, r.new);
    sections(&mut s, &r.sections);
    objects(&mut s, &r.objects);
    symbols(&mut s, &r.symbols);
    exports(&mut s, &r.exports);
    s
}

/// The sections table: file and VM bytes of each section, what lies outside sections, totals.
fn sections(s: &mut String, t: &SectionTable) {
    let _ = writeln!(
        s,
        "{:>12} {:>12} {:>10}  {:>10}  SECTION (file bytes; VM: allocated bytes)",
        "OLD", "NEW", "DELTA", "VM DELTA"
    );
    for x in &t.rows {
        let kind = match x.kind {
            "nobits" => " [nobits]",
            "other" => " [not allocated]",
            _ => "",
        };
        let _ = writeln!(
            s,
            "{:>12} {:>12} {:>10}  {:>10}  {}{kind}",
            x.file.old,
            x.file.new,
            signed(x.file.delta),
            signed(x.vm.delta),
            x.name
        );
    }
    let o = t.outside_sections;
    let _ = writeln!(
        s,
        "{:>12} {:>12} {:>10}  {:>10}  (outside sections: ELF and program headers, section headers, padding)",
        o.old,
        o.new,
        signed(o.delta),
        "+0"
    );
    let (f, v) = (t.total_file, t.total_vm);
    let _ = writeln!(
        s,
        "{:>12} {:>12} {:>10}  {:>10}  total (file size; VM: {} -> {})",
        f.old,
        f.new,
        signed(f.delta),
        signed(v.delta),
        v.old,
        v.new
    );
}

/// The objects table: the first [`OBJECT_ROWS`] objects, the rest in one row, then the bytes
/// of no known object and of no symbol, and the total.
fn objects(s: &mut String, t: &ObjectTable) {
    let by = if t.attributed_by == "link" {
        "as the link resolves each symbol"
    } else {
        "from STT_FILE symbols: locals only; give the link command after -- for the rest"
    };
    let _ = writeln!(
        s,
        "\n{:>12} {:>12} {:>10}  OBJECT (allocated bytes of its symbols, {by})",
        "OLD", "NEW", "DELTA"
    );
    let shown = OBJECT_ROWS.min(t.rows.len());
    for x in &t.rows[..shown] {
        row(s, &x.object, x.bytes);
    }
    let rest = t.rows[shown..].iter().fold(Pair::default(), |a, x| {
        Pair::new(a.old + x.bytes.old, a.new + x.bytes.new)
    });
    row(s, &format!("({} more objects)", t.rows.len() - shown), rest);
    row(s, "(symbols of no known object)", t.unattributed);
    row(s, "(in no symbol)", t.no_symbol);
    row(s, "total (allocated bytes)", t.total);
}

/// The symbols table, as scripts/bloat-o-meter prints it, with remainder and total rows.
fn symbols(s: &mut String, y: &SymbolTable) {
    let _ = writeln!(
        s,
        "\nadd/remove: {}/{} grow/shrink: {}/{} up/down: {}/-{} ({})",
        y.added,
        y.removed,
        y.grown,
        y.shrunk,
        y.up,
        y.down,
        y.up as i64 - y.down as i64
    );
    let _ = writeln!(
        s,
        "{:>12} {:>12} {:>10}  SYMBOL (scripts/bloat-o-meter's rule)",
        "OLD", "NEW", "DELTA"
    );
    let cell = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
    for x in &y.rows {
        let _ = writeln!(
            s,
            "{:>12} {:>12} {:>10}  {}",
            cell(x.old),
            cell(x.new),
            signed(x.delta),
            x.demangled.as_deref().unwrap_or(&x.name)
        );
    }
    row(
        s,
        &format!("({} unchanged symbols)", y.unchanged_count),
        y.unchanged,
    );
    srow(s, "(allocated bytes in no counted symbol)", y.remainder);
    row(s, "total (allocated bytes)", y.total);
}

/// The exports: counts, each change, and the total.
fn exports(s: &mut String, e: &ExportTable) {
    let _ = writeln!(
        s,
        "\nexports: {} removed, {} added, {} version changed, {} unchanged",
        e.removed, e.added, e.version_changed, e.unchanged
    );
    for x in &e.rows {
        let name = x.demangled.as_deref().unwrap_or(&x.name);
        match x.change {
            "version changed" => {
                let _ = writeln!(
                    s,
                    "  version  {name}  {} -> {}",
                    versions(&x.old_versions),
                    versions(&x.new_versions)
                );
            }
            c => {
                let _ = writeln!(s, "  {c:<8} {name}");
            }
        }
    }
    let _ = writeln!(
        s,
        "  total    {} -> {} names exported ({:+})",
        e.total.old, e.total.new, e.total.delta
    );
}

/// An export's versions: `-` for none, `(unversioned)`, else each (`(base)` for the base one).
fn versions(v: &[String]) -> String {
    if v.is_empty() {
        "-".to_string()
    } else if v.len() == 1 && v[0].is_empty() {
        "(unversioned)".to_string()
    } else {
        v.iter()
            .map(|x| if x.is_empty() { "(base)" } else { x })
            .collect::<Vec<_>>()
            .join(" ")
    }
}
