//! Stage 2, analysis: what changed between two ELF images (`tailor diff OLD NEW`) — by
//! section (file and memory bytes, as bloaty counts them), by object (symbols attributed to
//! the object that defines them), by symbol (Linux's `scripts/bloat-o-meter` rule), and by
//! export (added, removed, version changed). Every table ends with a remainder and a total
//! that add up; every list is sorted, so identical inputs give identical reports.

use std::collections::BTreeMap;
use std::path::Path;

use object::elf;
use object::read::elf::{FileHeader, SectionHeader, Sym};
use object::Endianness;
use serde::Serialize;

use super::exports::Exports;
use crate::error::{Error, Result};

/// A section of an image, as its header says.
#[derive(Debug, Clone)]
pub(crate) struct ImageSection<'a> {
    pub name: &'a [u8],
    pub sh_type: u32,
    pub flags: u64,
    pub addr: u64,
    pub size: u64,
}

impl ImageSection<'_> {
    fn alloc(&self) -> bool {
        self.flags & u64::from(elf::SHF_ALLOC) != 0
    }
    /// Bytes the section occupies in the file (none for `SHT_NOBITS`, nor the null section).
    fn file_bytes(&self) -> u64 {
        if self.sh_type == elf::SHT_NOBITS || self.sh_type == elf::SHT_NULL {
            0
        } else {
            self.size
        }
    }
    /// Bytes of the address space it takes (allocated sections only).
    fn vm_bytes(&self) -> u64 {
        if self.alloc() {
            self.size
        } else {
            0
        }
    }
}

/// A defined symbol of an image.
#[derive(Debug, Clone)]
pub(crate) struct ImageSymbol<'a> {
    pub name: &'a [u8],
    pub value: u64,
    pub size: u64,
    /// Index in [`Image::sections`].
    pub section: usize,
    /// `nm`'s type letter (`T`, `t`, `D`, `W`, ...).
    pub nm_class: char,
    /// The `STT_FILE` symbol the linker put before it (locals of one input file), if any.
    pub file: Option<&'a [u8]>,
}

/// Where an image's symbols come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SymbolSource {
    #[serde(rename = ".symtab")]
    Symtab,
    /// A stripped image: its dynamic symbols only.
    #[serde(rename = ".dynsym")]
    Dynsym,
    #[serde(rename = "none")]
    None,
}

/// One image, read.
pub(crate) struct Image<'a> {
    pub file_size: u64,
    pub sections: Vec<ImageSection<'a>>,
    pub symbols: Vec<ImageSymbol<'a>>,
    pub symbol_source: SymbolSource,
}

/// Reads the section headers and the defined symbols of the ELF image `data` (any class,
/// either endianness).
pub(crate) fn read_image<'a>(path: &Path, data: &'a [u8]) -> Result<Image<'a>> {
    let read = match data.get(4).copied() {
        Some(elf::ELFCLASS32) => read_generic::<elf::FileHeader32<Endianness>>(path, data),
        Some(elf::ELFCLASS64) => read_generic::<elf::FileHeader64<Endianness>>(path, data),
        _ => return Err(Error::not_elf(path, data)),
    };
    read.map_err(|e| super::truncation::explain(path, data, e))
}

fn read_generic<'a, H: FileHeader<Endian = Endianness>>(
    path: &Path,
    data: &'a [u8],
) -> Result<Image<'a>> {
    let err = |what: &'static str| move |e: object::read::Error| Error::elf(path, what, e);
    let header = H::parse(data).map_err(err("the ELF header"))?;
    let endian = header.endian().map_err(err("the ELF header"))?;
    let table = header
        .sections(endian, data)
        .map_err(err("section headers"))?;
    let mut sections = Vec::with_capacity(table.len());
    for s in table.iter() {
        sections.push(ImageSection {
            name: table
                .section_name(endian, s)
                .map_err(err("section names"))?,
            sh_type: s.sh_type(endian),
            flags: s.sh_flags(endian).into(),
            addr: s.sh_addr(endian).into(),
            size: s.sh_size(endian).into(),
        });
    }
    let mut symbol_source = SymbolSource::Symtab;
    let mut symtab = table
        .symbols(endian, data, elf::SHT_SYMTAB)
        .map_err(err("the symbol table"))?;
    if symtab.is_empty() {
        symbol_source = SymbolSource::Dynsym;
        symtab = table
            .symbols(endian, data, elf::SHT_DYNSYM)
            .map_err(err("the dynamic symbol table"))?;
        if symtab.is_empty() {
            symbol_source = SymbolSource::None;
        }
    }
    let mut symbols = Vec::new();
    let mut file: Option<&'a [u8]> = None;
    for (index, sym) in symtab.enumerate() {
        let name = symtab
            .symbol_name(endian, sym)
            .map_err(err("symbol names"))?;
        let st_type = sym.st_type();
        if st_type == elf::STT_FILE {
            // GNU ld puts an input file's locals after its STT_FILE symbol; an empty name
            // starts the linker's own locals (hidden globals made local).
            file = (!name.is_empty()).then_some(name);
            continue;
        }
        if st_type == elf::STT_SECTION {
            continue;
        }
        let Some(section) = symtab
            .symbol_section(endian, sym, index)
            .map_err(err("the symbol table"))?
        else {
            continue;
        };
        let Some(sec) = sections.get(section.0) else {
            continue;
        };
        let local = sym.st_bind() == elf::STB_LOCAL;
        symbols.push(ImageSymbol {
            name,
            value: sym.st_value(endian).into(),
            size: sym.st_size(endian).into(),
            section: section.0,
            nm_class: nm_class(sym.st_bind(), st_type, sec),
            file: if local { file } else { None },
        });
    }
    Ok(Image {
        file_size: data.len() as u64,
        sections,
        symbols,
        symbol_source,
    })
}

/// The type letter `nm` prints for a defined symbol in section `sec` (binutils' BFD,
/// `bfd_decode_symclass`: ifunc `i`, weak `W`/`V`, unique `u`, then the section's kind —
/// a few section names first, then its flags: code `t`, read-only data `r`, data `d`, no
/// contents `b`, debugging `N`; lower case for locals).
fn nm_class(bind: u8, st_type: u8, sec: &ImageSection<'_>) -> char {
    if st_type == elf::STT_GNU_IFUNC {
        return 'i';
    }
    if bind == elf::STB_WEAK {
        return if st_type == elf::STT_OBJECT { 'V' } else { 'W' };
    }
    if bind == elf::STB_GNU_UNIQUE {
        return 'u';
    }
    if bind != elf::STB_LOCAL && bind != elf::STB_GLOBAL {
        return '?';
    }
    let c = section_class(sec);
    if bind == elf::STB_GLOBAL {
        c.to_ascii_uppercase()
    } else {
        c
    }
}

fn section_class(sec: &ImageSection<'_>) -> char {
    // The names BFD knows whatever the flags (MSVC's sections), matched as a prefix followed
    // by `.`, `$`, a digit or the end.
    for (prefix, c) in [
        (&b".drectve"[..], 'i'),
        (b".edata", 'e'),
        (b".idata", 'i'),
        (b".pdata", 'p'),
    ] {
        if let Some(rest) = sec.name.strip_prefix(prefix) {
            if rest.first().is_none_or(|b| b".$0123456789".contains(b)) {
                return c;
            }
        }
    }
    let alloc = sec.alloc();
    let contents = sec.sh_type != elf::SHT_NOBITS;
    let readonly = sec.flags & u64::from(elf::SHF_WRITE) == 0;
    if sec.flags & u64::from(elf::SHF_EXECINSTR) != 0 {
        't'
    } else if alloc && contents {
        if readonly {
            'r'
        } else {
            'd'
        }
    } else if !contents {
        'b'
    } else if sec.name.starts_with(b".debug") || sec.name.starts_with(b".zdebug") {
        'N'
    } else if readonly {
        'n'
    } else {
        '?'
    }
}

/// Old, new and the difference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Pair {
    pub old: u64,
    pub new: u64,
    pub delta: i64,
}

impl Pair {
    pub(crate) fn new(old: u64, new: u64) -> Self {
        Pair {
            old,
            new,
            delta: new as i64 - old as i64,
        }
    }
    fn add(self, o: Pair) -> Pair {
        Pair::new(self.old + o.old, self.new + o.new)
    }
}

/// Signed old, new and difference (a remainder that can go below zero).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SignedPair {
    pub old: i64,
    pub new: i64,
    pub delta: i64,
}

impl SignedPair {
    fn new(old: i64, new: i64) -> Self {
        SignedPair {
            old,
            new,
            delta: new - old,
        }
    }
}

/// One section (by name; a repeated name pairs its occurrences in order).
#[derive(Debug, Clone, Serialize)]
pub struct SectionRow {
    pub name: String,
    /// `SHT_NOBITS` (no file bytes), allocated, or neither.
    pub kind: &'static str,
    /// The section header's size (`size -A`, `readelf -S`).
    pub size: Pair,
    /// Bytes in the file (0 for `SHT_NOBITS`).
    pub file: Pair,
    /// Bytes of the address space (allocated sections).
    pub vm: Pair,
}

/// Sections: rows, the bytes outside every section, and totals equal to the file sizes and
/// to the allocated bytes.
#[derive(Debug, Clone, Serialize)]
pub struct SectionTable {
    pub rows: Vec<SectionRow>,
    /// File bytes no section holds: ELF header, program and section headers, alignment
    /// padding.
    pub outside_sections: SignedPair,
    /// `file`: the files' sizes; `vm`: the allocated sections' bytes.
    pub total_file: Pair,
    pub total_vm: Pair,
}

/// One object: the bytes of the symbols it defines.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectRow {
    pub object: String,
    pub bytes: Pair,
}

/// Objects: rows add up with the unattributed symbol bytes and the allocated bytes no symbol
/// covers to the allocated total (aliases and overlapping symbols are counted once).
#[derive(Debug, Clone, Serialize)]
pub struct ObjectTable {
    /// What attributes a symbol to an object: `"link"` (the link command's inputs, as the
    /// linker resolves them) or `"STT_FILE"` (the linker's file symbols, locals only).
    pub attributed_by: &'static str,
    pub rows: Vec<ObjectRow>,
    /// Symbol bytes no object is known for (global symbols without the link command).
    pub unattributed: Pair,
    /// Allocated bytes no symbol covers (padding, dynamic-linking tables, unnamed data).
    pub no_symbol: Pair,
    pub total: Pair,
}

/// One symbol whose size changed, as bloat-o-meter prints it.
#[derive(Debug, Clone, Serialize)]
pub struct SymbolRow {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demangled: Option<String>,
    pub change: &'static str,
    pub old: Option<u64>,
    pub new: Option<u64>,
    pub delta: i64,
}

/// Symbols by Linux's `scripts/bloat-o-meter` rule, with its summary line's counts.
#[derive(Debug, Clone, Serialize)]
pub struct SymbolTable {
    pub source_old: SymbolSource,
    pub source_new: SymbolSource,
    pub added: usize,
    pub removed: usize,
    pub grown: usize,
    pub shrunk: usize,
    pub up: u64,
    pub down: u64,
    /// Changed symbols, by delta then name, both descending (bloat-o-meter's order).
    pub rows: Vec<SymbolRow>,
    /// Symbols counted whose size did not change.
    pub unchanged_count: usize,
    pub unchanged: Pair,
    /// bloat-o-meter's `Total: Before=..., After=...`.
    pub symbols_total: Pair,
    /// Allocated bytes outside the counted symbols (negative when aliases overlap).
    pub remainder: SignedPair,
    /// The allocated bytes.
    pub total: Pair,
}

/// One export that changed.
#[derive(Debug, Clone, Serialize)]
pub struct ExportRow {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demangled: Option<String>,
    pub change: &'static str,
    /// `name@VERSION` / `name@@VERSION` spellings' versions (`""` for an unversioned export).
    pub old_versions: Vec<String>,
    pub new_versions: Vec<String>,
    pub old_size: Option<u64>,
    pub new_size: Option<u64>,
}

/// Exports by name: changed rows, the unchanged count, and totals (names exported).
#[derive(Debug, Clone, Serialize)]
pub struct ExportTable {
    pub added: usize,
    pub removed: usize,
    pub version_changed: usize,
    pub rows: Vec<ExportRow>,
    pub unchanged: usize,
    /// Names exported (rows removed + version changed + unchanged = old; added + version
    /// changed + unchanged = new).
    pub total: Pair,
}

/// `tailor diff`'s report.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    pub old: String,
    pub new: String,
    pub file_size: Pair,
    pub sections: SectionTable,
    pub objects: ObjectTable,
    pub symbols: SymbolTable,
    pub exports: ExportTable,
}

/// Attributes a symbol to the object that defines it.
pub(crate) trait Attribution {
    /// The object defining `sym`, if known.
    fn object_of(&self, sym: &ImageSymbol<'_>) -> Option<String>;
    fn name(&self) -> &'static str;
}

/// The linker's `STT_FILE` symbols: an input file's locals follow its file symbol.
pub(crate) struct FileSymbols;

impl Attribution for FileSymbols {
    fn object_of(&self, sym: &ImageSymbol<'_>) -> Option<String> {
        sym.file.map(|f| String::from_utf8_lossy(f).into_owned())
    }
    fn name(&self) -> &'static str {
        "STT_FILE"
    }
}

/// The link's own data: each global symbol's defining object as the linker resolves it, and
/// each object's locals under its `STT_FILE` name.
#[derive(Default)]
pub(crate) struct LinkDefiners {
    pub globals: crate::hash::FxHashMap<Vec<u8>, String>,
    /// (file symbol, local name) → object.
    pub locals: crate::hash::FxHashMap<(Vec<u8>, Vec<u8>), String>,
}

impl Attribution for LinkDefiners {
    fn object_of(&self, sym: &ImageSymbol<'_>) -> Option<String> {
        match sym.file {
            Some(file) => Some(
                self.locals
                    .get(&(file.to_vec(), sym.name.to_vec()))
                    .cloned()
                    .unwrap_or_else(|| String::from_utf8_lossy(file).into_owned()),
            ),
            None => self.globals.get(sym.name).cloned(),
        }
    }
    fn name(&self) -> &'static str {
        "link"
    }
}

/// What the report needs of one side.
pub(crate) struct Side<'i, 'a> {
    pub name: String,
    pub image: &'i Image<'a>,
    pub exports: &'i Exports<'a>,
}

/// Compares two images.
pub(crate) fn diff(
    old: &Side<'_, '_>,
    new: &Side<'_, '_>,
    attribution: &dyn Attribution,
    demangle: &dyn Fn(&str) -> Option<String>,
) -> DiffReport {
    let sections = section_table(old.image, new.image);
    let total_vm = sections.total_vm;
    DiffReport {
        old: old.name.clone(),
        new: new.name.clone(),
        file_size: Pair::new(old.image.file_size, new.image.file_size),
        objects: object_table(old.image, new.image, attribution, total_vm),
        symbols: symbol_table(old.image, new.image, total_vm, demangle),
        exports: export_table(old.exports, new.exports, demangle),
        sections,
    }
}

fn section_table(old: &Image<'_>, new: &Image<'_>) -> SectionTable {
    // (name, occurrence) → (old, new) sections.
    type Key = (Vec<u8>, usize);
    let mut by_key: BTreeMap<Key, (Option<&ImageSection<'_>>, Option<&ImageSection<'_>>)> =
        BTreeMap::new();
    for (side, image) in [(0, old), (1, new)] {
        let mut seen: BTreeMap<&[u8], usize> = BTreeMap::new();
        for s in image.sections.iter().filter(|s| s.sh_type != elf::SHT_NULL) {
            let n = seen.entry(s.name).or_default();
            let e = by_key.entry((s.name.to_vec(), *n)).or_default();
            if side == 0 {
                e.0 = Some(s);
            } else {
                e.1 = Some(s);
            }
            *n += 1;
        }
    }
    fn get(s: Option<&ImageSection<'_>>, f: impl Fn(&ImageSection<'_>) -> u64) -> u64 {
        s.map_or(0, f)
    }
    let mut rows: Vec<SectionRow> = by_key
        .into_iter()
        .map(|((name, n), (o, w))| {
            let either = o.or(w);
            let kind = match either {
                Some(s) if s.sh_type == elf::SHT_NOBITS => "nobits",
                Some(s) if s.alloc() => "alloc",
                _ => "other",
            };
            let mut name = String::from_utf8_lossy(&name).into_owned();
            if n > 0 {
                name.push_str(&format!(" #{}", n + 1));
            }
            SectionRow {
                name,
                kind,
                size: Pair::new(get(o, |s| s.size), get(w, |s| s.size)),
                file: Pair::new(get(o, |s| s.file_bytes()), get(w, |s| s.file_bytes())),
                vm: Pair::new(get(o, |s| s.vm_bytes()), get(w, |s| s.vm_bytes())),
            }
        })
        .collect();
    // The largest changes first (bloaty's order), then by name.
    rows.sort_by(|a, b| {
        let m = |r: &SectionRow| r.file.delta.unsigned_abs().max(r.vm.delta.unsigned_abs());
        m(b).cmp(&m(a)).then_with(|| a.name.cmp(&b.name))
    });
    let sum = |f: fn(&SectionRow) -> Pair| rows.iter().map(f).fold(Pair::default(), Pair::add);
    let file_sum = sum(|r| r.file);
    let total_vm = sum(|r| r.vm);
    let total_file = Pair::new(old.file_size, new.file_size);
    SectionTable {
        outside_sections: SignedPair::new(
            total_file.old as i64 - file_sum.old as i64,
            total_file.new as i64 - file_sum.new as i64,
        ),
        rows,
        total_file,
        total_vm,
    }
}

/// The bytes of `image`'s allocated sections each object's symbols cover (each byte once),
/// and those of symbols no object is known for.
fn object_bytes(
    image: &Image<'_>,
    attribution: &dyn Attribution,
) -> (BTreeMap<String, u64>, u64, u64) {
    let mut syms: Vec<&ImageSymbol<'_>> = image
        .symbols
        .iter()
        .filter(|s| s.size > 0 && image.sections[s.section].alloc())
        .collect();
    // By address, the larger first, then by name: of aliases, the first name wins.
    syms.sort_by(|a, b| {
        (a.value, std::cmp::Reverse(a.size), a.name).cmp(&(
            b.value,
            std::cmp::Reverse(b.size),
            b.name,
        ))
    });
    let mut by_object: BTreeMap<String, u64> = BTreeMap::new();
    let (mut unattributed, mut covered) = (0u64, 0u64);
    let mut end = 0u64;
    for s in syms {
        let sec = &image.sections[s.section];
        // Within its section, and past what earlier symbols covered.
        let start = s.value.max(end).max(sec.addr);
        let stop = s
            .value
            .saturating_add(s.size)
            .min(sec.addr.saturating_add(sec.size));
        if stop <= start {
            continue;
        }
        let bytes = stop - start;
        end = stop;
        covered += bytes;
        match attribution.object_of(s) {
            Some(o) => *by_object.entry(o).or_default() += bytes,
            None => unattributed += bytes,
        }
    }
    (by_object, unattributed, covered)
}

fn object_table(
    old: &Image<'_>,
    new: &Image<'_>,
    attribution: &dyn Attribution,
    total: Pair,
) -> ObjectTable {
    let (o, o_un, o_cov) = object_bytes(old, attribution);
    let (n, n_un, n_cov) = object_bytes(new, attribution);
    let mut names: Vec<&String> = o.keys().chain(n.keys()).collect();
    names.sort();
    names.dedup();
    let mut rows: Vec<ObjectRow> = names
        .into_iter()
        .map(|name| ObjectRow {
            object: name.clone(),
            bytes: Pair::new(
                o.get(name).copied().unwrap_or(0),
                n.get(name).copied().unwrap_or(0),
            ),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.bytes
            .delta
            .unsigned_abs()
            .cmp(&a.bytes.delta.unsigned_abs())
            .then_with(|| a.object.cmp(&b.object))
    });
    ObjectTable {
        attributed_by: attribution.name(),
        rows,
        unattributed: Pair::new(o_un, n_un),
        no_symbol: Pair::new(
            total.old.saturating_sub(o_cov),
            total.new.saturating_sub(n_cov),
        ),
        total,
    }
}

/// bloat-o-meter's symbol sizes of an image (Linux, `scripts/bloat-o-meter`, `getsizes`):
/// the symbols `nm --size-sort` lists (defined, non-zero size) whose type letter is one of
/// `tTdDbBrR` (so weak symbols, ifuncs, absolute and unique symbols are out), less the names
/// it strips as generated (`__mod_*`, `__se_sys*`, `__se_compat_sys*`, `__addressable_*`,
/// `linux_banner`, `vermagic`), each name with every `.NUMBER` removed (`foo.constprop.0` →
/// `foo.constprop`), sizes of equal names added.
pub(crate) fn bloat_o_meter_sizes(image: &Image<'_>) -> BTreeMap<String, u64> {
    let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
    for s in &image.symbols {
        if s.size == 0 || !"tTdDbBrR".contains(s.nm_class) {
            continue;
        }
        let name = String::from_utf8_lossy(s.name);
        // `nm` lines with a `:` are skipped (they look like file headers).
        if name.contains(':') || name.is_empty() {
            continue;
        }
        if ["__mod_", "__se_sys", "__se_compat_sys", "__addressable_"]
            .iter()
            .any(|p| name.starts_with(p))
            || name == "linux_banner"
            || name == "vermagic"
        {
            continue;
        }
        *sizes.entry(strip_numbers(&name)).or_default() += s.size;
    }
    sizes
}

/// Removes every `.` followed by one or more digits (`re.sub(r'\.[0-9]+', '', name)`).
fn strip_numbers(name: &str) -> String {
    let b = name.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn symbol_table(
    old: &Image<'_>,
    new: &Image<'_>,
    total: Pair,
    demangle: &dyn Fn(&str) -> Option<String>,
) -> SymbolTable {
    let o = bloat_o_meter_sizes(old);
    let n = bloat_o_meter_sizes(new);
    let (mut added, mut removed, mut grown, mut shrunk) = (0, 0, 0, 0);
    let (mut up, mut down) = (0u64, 0u64);
    let mut rows = Vec::new();
    let mut unchanged = Pair::default();
    let mut unchanged_count = 0;
    let mut names: Vec<&String> = o.keys().chain(n.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let (a, b) = (o.get(name).copied(), n.get(name).copied());
        let change = match (a, b) {
            (Some(a), None) => {
                removed += 1;
                down += a;
                "removed"
            }
            (None, Some(b)) => {
                added += 1;
                up += b;
                "added"
            }
            (Some(a), Some(b)) if b > a => {
                grown += 1;
                up += b - a;
                "grown"
            }
            (Some(a), Some(b)) if b < a => {
                shrunk += 1;
                down += a - b;
                "shrunk"
            }
            (Some(a), Some(b)) => {
                unchanged_count += 1;
                unchanged = unchanged.add(Pair::new(a, b));
                continue;
            }
            (None, None) => continue,
        };
        rows.push(SymbolRow {
            demangled: demangle(name),
            name: name.clone(),
            change,
            old: a,
            new: b,
            delta: b.unwrap_or(0) as i64 - a.unwrap_or(0) as i64,
        });
    }
    rows.sort_by(|x, y| (y.delta, &y.name).cmp(&(x.delta, &x.name)));
    let symbols_total = Pair::new(o.values().sum(), n.values().sum());
    SymbolTable {
        source_old: old.symbol_source,
        source_new: new.symbol_source,
        added,
        removed,
        grown,
        shrunk,
        up,
        down,
        rows,
        unchanged_count,
        unchanged,
        symbols_total,
        remainder: SignedPair::new(
            total.old as i64 - symbols_total.old as i64,
            total.new as i64 - symbols_total.new as i64,
        ),
        total,
    }
}

fn export_table(
    old: &Exports<'_>,
    new: &Exports<'_>,
    demangle: &dyn Fn(&str) -> Option<String>,
) -> ExportTable {
    // name → (versions, size)
    type Entry = (Vec<String>, u64);
    let collect = |e: &Exports<'_>| {
        let mut m: BTreeMap<String, Entry> = BTreeMap::new();
        for x in &e.list {
            let v = match x.version {
                Some(v) if x.default_version => format!("@@{}", String::from_utf8_lossy(v)),
                Some(v) => format!("@{}", String::from_utf8_lossy(v)),
                None => String::new(),
            };
            let entry = m
                .entry(String::from_utf8_lossy(x.name).into_owned())
                .or_default();
            entry.0.push(v);
            entry.1 = entry.1.max(x.size);
        }
        for entry in m.values_mut() {
            entry.0.sort();
            entry.0.dedup();
        }
        m
    };
    let (o, n) = (collect(old), collect(new));
    let mut names: Vec<&String> = o.keys().chain(n.keys()).collect();
    names.sort();
    names.dedup();
    let (mut added, mut removed, mut version_changed, mut unchanged) = (0, 0, 0, 0);
    let mut rows = Vec::new();
    for name in names {
        let (a, b) = (o.get(name), n.get(name));
        let change = match (a, b) {
            (Some(_), None) => {
                removed += 1;
                "removed"
            }
            (None, Some(_)) => {
                added += 1;
                "added"
            }
            (Some(a), Some(b)) if a.0 != b.0 => {
                version_changed += 1;
                "version changed"
            }
            _ => {
                unchanged += 1;
                continue;
            }
        };
        rows.push(ExportRow {
            demangled: demangle(name),
            name: name.clone(),
            change,
            old_versions: a.map(|e| e.0.clone()).unwrap_or_default(),
            new_versions: b.map(|e| e.0.clone()).unwrap_or_default(),
            old_size: a.map(|e| e.1),
            new_size: b.map(|e| e.1),
        });
    }
    // Removed first, then added, then version changes; by name within each.
    let order = |c: &str| match c {
        "removed" => 0,
        "added" => 1,
        _ => 2,
    };
    rows.sort_by(|x, y| (order(x.change), &x.name).cmp(&(order(y.change), &y.name)));
    ExportTable {
        added,
        removed,
        version_changed,
        rows,
        unchanged,
        total: Pair::new(o.len() as u64, n.len() as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_stripped_as_bloat_o_meter_does() {
        assert_eq!(strip_numbers("foo.constprop.0"), "foo.constprop");
        assert_eq!(strip_numbers("x.123.isra.4"), "x.isra");
        assert_eq!(strip_numbers("a.b"), "a.b");
        assert_eq!(strip_numbers("v1.2x"), "v1x");
        assert_eq!(strip_numbers("end."), "end.");
    }

    #[test]
    fn nm_classes() {
        let sec = |name: &'static [u8], sh_type, flags: u32| ImageSection {
            name,
            sh_type,
            flags: u64::from(flags),
            addr: 0,
            size: 1,
        };
        let text = sec(
            b".text",
            elf::SHT_PROGBITS,
            elf::SHF_ALLOC | elf::SHF_EXECINSTR,
        );
        let ro = sec(b".rodata", elf::SHT_PROGBITS, elf::SHF_ALLOC);
        let data = sec(b".data", elf::SHT_PROGBITS, elf::SHF_ALLOC | elf::SHF_WRITE);
        let bss = sec(b".bss", elf::SHT_NOBITS, elf::SHF_ALLOC | elf::SHF_WRITE);
        let (g, l, w) = (elf::STB_GLOBAL, elf::STB_LOCAL, elf::STB_WEAK);
        assert_eq!(nm_class(g, elf::STT_FUNC, &text), 'T');
        assert_eq!(nm_class(l, elf::STT_FUNC, &text), 't');
        assert_eq!(nm_class(g, elf::STT_OBJECT, &ro), 'R');
        assert_eq!(nm_class(l, elf::STT_OBJECT, &data), 'd');
        assert_eq!(nm_class(g, elf::STT_OBJECT, &bss), 'B');
        assert_eq!(nm_class(w, elf::STT_FUNC, &text), 'W');
        assert_eq!(nm_class(w, elf::STT_OBJECT, &data), 'V');
        assert_eq!(nm_class(g, elf::STT_GNU_IFUNC, &text), 'i');
    }
}
