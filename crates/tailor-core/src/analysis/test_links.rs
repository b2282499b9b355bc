//! Test fixtures (tests only): ELF x86-64 relocatable objects, `ar` archives with a symbol
//! index and `.eh_frame` sections built in memory, for unit tests of the link model and the
//! section graph, and for the integration tests that link the same bytes with GNU ld, lld
//! and mold (`crates/tailor/tests/gc_units.rs` includes this file). It depends on `object`
//! and std only, so that both crates can compile it.

use object::elf;
use object::write::{
    Comdat, Object, Relocation, SectionId, StandardSegment, Symbol, SymbolId, SymbolSection,
};
use object::{
    Architecture, BinaryFormat, ComdatKind, Endianness, FileFlags, RelocationFlags, SectionFlags,
    SectionKind, SymbolFlags, SymbolKind, SymbolScope,
};

/// How a symbol is bound and seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bind {
    Local,
    Global,
    Weak,
    /// Global, `STV_HIDDEN`.
    Hidden,
}

/// Flags of the usual kinds of section.
pub const CODE: u64 = (elf::SHF_ALLOC | elf::SHF_EXECINSTR) as u64;
pub const DATA: u64 = (elf::SHF_ALLOC | elf::SHF_WRITE) as u64;
pub const RODATA: u64 = elf::SHF_ALLOC as u64;

/// One section to write.
#[derive(Debug, Clone)]
struct Sec {
    name: String,
    sh_type: u32,
    flags: u64,
    data: Vec<u8>,
    /// (offset, target symbol or section name)
    relocs: Vec<(u64, String)>,
    /// `SHF_LINK_ORDER`'s section.
    link_order: Option<String>,
}

/// One symbol to write.
#[derive(Debug, Clone)]
struct Sym {
    name: String,
    section: String,
    bind: Bind,
    offset: u64,
}

/// An FDE of [`Obj::eh_frame`]: the function's section, its LSDA's section, and the CIE's
/// personality routine (a symbol: local or hidden, so that `R_X86_64_PC32` links shared).
#[derive(Debug, Clone, Default)]
pub struct Fde {
    pub function: String,
    pub lsda: Option<String>,
    pub personality: Option<String>,
}

/// A relocatable object under construction.
#[derive(Debug, Clone, Default)]
pub struct Obj {
    sections: Vec<Sec>,
    symbols: Vec<Sym>,
    /// (signature symbol, member sections)
    groups: Vec<(String, Vec<String>)>,
    /// `ELFOSABI_GNU` (GNU ld honours `SHF_GNU_RETAIN` only there).
    gnu_osabi: bool,
    /// Undefined weak symbols.
    weak_refs: Vec<String>,
}

impl Obj {
    pub fn new() -> Self {
        let mut o = Obj::default();
        // As every gcc object has (and GNU ld warns without).
        o.section(".note.GNU-stack", elf::SHT_PROGBITS, 0, 0);
        o
    }

    /// A section of `size` zero bytes (`SHT_NOBITS` has none in the file).
    pub fn section(&mut self, name: &str, sh_type: u32, flags: u64, size: usize) -> &mut Self {
        self.sections.push(Sec {
            name: name.into(),
            sh_type,
            flags,
            data: vec![0; size],
            relocs: Vec::new(),
            link_order: None,
        });
        self
    }

    /// A code section `name` defining `symbol` at its start.
    pub fn code(&mut self, name: &str, symbol: &str, bind: Bind) -> &mut Self {
        self.section(name, elf::SHT_PROGBITS, CODE, 16)
            .define(symbol, name, bind)
    }

    /// A function `name` in its own section `.text.name` (gcc's `-ffunction-sections`).
    pub fn func(&mut self, name: &str, bind: Bind) -> &mut Self {
        self.code(&format!(".text.{name}"), name, bind)
    }

    /// A writable data object `name` in its own section `.data.name`.
    pub fn data(&mut self, name: &str, bind: Bind) -> &mut Self {
        let section = format!(".data.{name}");
        self.section(&section, elf::SHT_PROGBITS, DATA, 16)
            .define(name, &section, bind)
    }

    /// Defines `name` at offset 0 of `section`.
    pub fn define(&mut self, name: &str, section: &str, bind: Bind) -> &mut Self {
        self.symbols.push(Sym {
            name: name.into(),
            section: section.into(),
            bind,
            offset: 0,
        });
        self
    }

    /// A relocation in `from` naming `to`: a symbol of this object, a section of it (through
    /// its section symbol), or an undefined symbol. Each takes the next 8 bytes of `from`.
    pub fn reloc(&mut self, from: &str, to: &str) -> &mut Self {
        let s = self.sec_mut(from);
        let offset = s.relocs.len() as u64 * 8;
        s.relocs.push((offset, to.into()));
        if s.data.len() < offset as usize + 8 && s.sh_type != elf::SHT_NOBITS {
            s.data.resize(offset as usize + 8, 0);
        }
        self
    }

    /// Declares `name` an undefined weak symbol (relocations naming it then name it weakly).
    pub fn weak_ref(&mut self, name: &str) -> &mut Self {
        self.weak_refs.push(name.into());
        self
    }

    /// Sets `flags` bits on section `name`.
    pub fn flags(&mut self, name: &str, flags: u64) -> &mut Self {
        self.sec_mut(name).flags |= flags;
        self
    }

    /// Makes `name` `SHF_LINK_ORDER`, linked to `to`.
    pub fn link_order(&mut self, name: &str, to: &str) -> &mut Self {
        let s = self.sec_mut(name);
        s.flags |= u64::from(elf::SHF_LINK_ORDER);
        s.link_order = Some(to.into());
        self
    }

    /// A COMDAT group of `sections`, its signature the symbol `signature`.
    pub fn comdat(&mut self, signature: &str, sections: &[&str]) -> &mut Self {
        for s in sections {
            self.flags(s, u64::from(elf::SHF_GROUP));
        }
        self.groups.push((
            signature.into(),
            sections.iter().map(|s| s.to_string()).collect(),
        ));
        self
    }

    /// Marks the object `ELFOSABI_GNU`.
    pub fn gnu_osabi(&mut self) -> &mut Self {
        self.gnu_osabi = true;
        self
    }

    /// An `.eh_frame` (x86-64 CFI as gcc writes it): one CIE per (personality, has LSDA),
    /// followed by its FDEs, each FDE's first relocation its function's section.
    pub fn eh_frame(&mut self, fdes: &[Fde]) -> &mut Self {
        let name = ".eh_frame";
        self.section(name, elf::SHT_X86_64_UNWIND, RODATA, 0);
        let mut bytes = Vec::new();
        let mut relocs = Vec::new();
        let mut kinds: Vec<(Option<String>, bool)> = Vec::new();
        for f in fdes {
            let k = (f.personality.clone(), f.lsda.is_some());
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        for (personality, has_lsda) in kinds {
            let cie = bytes.len();
            write_cie(&mut bytes, &mut relocs, personality.as_deref(), has_lsda);
            for f in fdes
                .iter()
                .filter(|f| f.personality == personality && f.lsda.is_some() == has_lsda)
            {
                write_fde(&mut bytes, &mut relocs, cie, f);
            }
        }
        let s = self.sec_mut(name);
        s.data = bytes;
        s.relocs = relocs;
        self
    }

    fn sec_mut(&mut self, name: &str) -> &mut Sec {
        self.sections
            .iter_mut()
            .rfind(|s| s.name == name)
            .unwrap_or_else(|| panic!("test object: no section {name}"))
    }

    /// The object's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let mut w = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
        if self.gnu_osabi {
            w.flags = FileFlags::Elf {
                os_abi: elf::ELFOSABI_GNU,
                abi_version: 0,
                e_flags: 0,
            };
        }
        let ids: Vec<SectionId> = self
            .sections
            .iter()
            .map(|s| add_section(&mut w, s))
            .collect();
        let section_id = |name: &str| {
            self.sections
                .iter()
                .position(|s| s.name == name)
                .map(|i| ids[i])
        };
        let mut symbols: Vec<(String, SymbolId, Target)> = Vec::new();
        for s in &self.symbols {
            let sec = section_id(&s.section)
                .unwrap_or_else(|| panic!("test object: symbol {} in no section", s.name));
            let code = self
                .sections
                .iter()
                .any(|x| x.name == s.section && x.flags & u64::from(elf::SHF_EXECINSTR) != 0);
            let id = w.add_symbol(Symbol {
                name: s.name.as_bytes().to_vec(),
                value: s.offset,
                size: 8,
                kind: if code {
                    SymbolKind::Text
                } else {
                    SymbolKind::Data
                },
                scope: match s.bind {
                    Bind::Local => SymbolScope::Compilation,
                    Bind::Hidden => SymbolScope::Linkage,
                    Bind::Global | Bind::Weak => SymbolScope::Dynamic,
                },
                weak: s.bind == Bind::Weak,
                section: SymbolSection::Section(sec),
                flags: SymbolFlags::None,
            });
            let target = if code {
                Target::Code
            } else if matches!(s.bind, Bind::Local | Bind::Hidden) {
                Target::Direct
            } else {
                Target::Data
            };
            symbols.push((s.name.clone(), id, target));
        }
        for name in &self.weak_refs {
            let sym = undefined(&mut w, name);
            w.symbol_mut(sym).weak = true;
            symbols.push((name.clone(), sym, Target::Code));
        }
        for (sec, id) in self.sections.iter().zip(&ids) {
            for (offset, to) in &sec.relocs {
                let (symbol, target) = match symbols.iter().find(|s| &s.0 == to) {
                    Some(&(_, sym, target)) => (sym, target),
                    None => match section_id(to) {
                        Some(t) => (w.section_symbol(t), Target::Direct),
                        None => {
                            let sym = undefined(&mut w, to);
                            symbols.push((to.clone(), sym, Target::Code));
                            (sym, Target::Code)
                        }
                    },
                };
                let (r_type, addend) = reloc_type(sec, target);
                w.add_relocation(
                    *id,
                    Relocation {
                        offset: *offset,
                        symbol,
                        addend,
                        flags: RelocationFlags::Elf { r_type },
                    },
                )
                .expect("test object: relocation");
            }
        }
        for (signature, members) in &self.groups {
            let symbol = symbols
                .iter()
                .find(|s| &s.0 == signature)
                .map(|s| s.1)
                .unwrap_or_else(|| panic!("test object: no signature symbol {signature}"));
            w.add_comdat(Comdat {
                kind: ComdatKind::Any,
                symbol,
                sections: members
                    .iter()
                    .map(|m| section_id(m).expect("test object: group member"))
                    .collect(),
            });
        }
        let mut bytes = w.write().expect("test object: writing");
        for s in &self.sections {
            if let Some(to) = &s.link_order {
                set_sh_link(&mut bytes, &s.name, to);
            }
        }
        bytes
    }
}

fn add_section(w: &mut Object<'_>, s: &Sec) -> SectionId {
    // `object` writes uninitialized data as SHT_NOBITS, and only appends zero bytes to a
    // section of that kind (a debug assertion: `SectionKind::Elf(SHT_NOBITS)` is not one).
    let kind = if s.sh_type == elf::SHT_NOBITS {
        SectionKind::UninitializedData
    } else {
        SectionKind::Elf(s.sh_type)
    };
    let id = w.add_section(
        w.segment_name(StandardSegment::Text).to_vec(),
        s.name.as_bytes().to_vec(),
        kind,
    );
    w.section_mut(id).flags = SectionFlags::Elf { sh_flags: s.flags };
    if s.sh_type == elf::SHT_NOBITS {
        w.append_section_bss(id, s.data.len() as u64, 8);
    } else {
        let align = if s.sh_type == elf::SHT_NOTE { 4 } else { 8 };
        w.set_section_data(id, s.data.clone(), align);
    }
    id
}

fn undefined(w: &mut Object<'_>, name: &str) -> SymbolId {
    w.add_symbol(Symbol {
        name: name.as_bytes().to_vec(),
        value: 0,
        size: 0,
        kind: SymbolKind::Unknown,
        scope: SymbolScope::Dynamic,
        weak: false,
        section: SymbolSection::Undefined,
        flags: SymbolFlags::None,
    })
}

/// What a relocation names, for its type.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// A function, or an undefined symbol (called).
    Code,
    /// A section, or a local or hidden data symbol.
    Direct,
    /// Data another module may define.
    Data,
}

/// The type and addend of a relocation from `from`: absolute 64-bit words in writable data
/// (dynamic relocations in a shared library) and in non-allocated sections (as DWARF has
/// them), PC-relative in `.eh_frame`, and in code and
/// read-only data as gcc writes them: `PLT32` calls, `PC32` to what is direct, `GOTPCREL`
/// to other data.
fn reloc_type(from: &Sec, target: Target) -> (u32, i64) {
    if from.sh_type == elf::SHT_X86_64_UNWIND {
        (elf::R_X86_64_PC32, 0)
    } else if from.flags & u64::from(elf::SHF_WRITE) != 0
        || from.flags & u64::from(elf::SHF_ALLOC) == 0
    {
        (elf::R_X86_64_64, 0)
    } else {
        let r_type = match target {
            Target::Code => elf::R_X86_64_PLT32,
            Target::Direct => elf::R_X86_64_PC32,
            Target::Data => elf::R_X86_64_GOTPCREL,
        };
        (r_type, -4)
    }
}

/// Patches section `name`'s `sh_link` to `to`'s index (object's writer leaves it 0).
fn set_sh_link(bytes: &mut [u8], name: &str, to: &str) {
    use object::read::elf::FileHeader;
    let header = elf::FileHeader64::<Endianness>::parse(&*bytes).expect("test object: header");
    let e = Endianness::Little;
    let table = header.sections(e, &*bytes).expect("test object: sections");
    let index_of = |n: &str| {
        table
            .iter()
            .position(|s| table.section_name(e, s) == Ok(n.as_bytes()))
            .unwrap_or_else(|| panic!("test object: no section {n}"))
    };
    let (from, to) = (index_of(name), index_of(to));
    let shoff = header.e_shoff.get(e) as usize;
    // Elf64_Shdr: sh_link is the u32 at offset 40 of each 64-byte header.
    let at = shoff + from * 64 + 40;
    bytes[at..at + 4].copy_from_slice(&(to as u32).to_le_bytes());
}

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// `DW_EH_PE_pcrel | DW_EH_PE_sdata4`.
const PCREL_SDATA4: u8 = 0x1b;

/// Fills in a record's length.
fn close_record(out: &mut [u8], start: usize) {
    let len = (out.len() - start - 4) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

/// Pads a record with `DW_CFA_nop` to a multiple of 8 bytes, as gcc aligns them.
fn pad8(out: &mut Vec<u8>, start: usize) {
    while !(out.len() - start).is_multiple_of(8) {
        out.push(0);
    }
}

fn write_cie(
    out: &mut Vec<u8>,
    relocs: &mut Vec<(u64, String)>,
    personality: Option<&str>,
    lsda: bool,
) {
    let start = out.len();
    out.extend([0; 4]); // length
    out.extend([0; 4]); // CIE id
    out.push(1); // version
    let mut aug = String::from("z");
    if personality.is_some() {
        aug.push('P');
    }
    if lsda {
        aug.push('L');
    }
    aug.push('R');
    out.extend(aug.as_bytes());
    out.push(0);
    uleb(out, 1); // code alignment
    out.push(0x78); // data alignment -8
    out.push(16); // return address: rip
    let aug_len = 1 + usize::from(lsda) + personality.map_or(0, |_| 5);
    uleb(out, aug_len as u64);
    if let Some(p) = personality {
        out.push(PCREL_SDATA4);
        relocs.push((out.len() as u64, p.to_string()));
        out.extend([0; 4]);
    }
    if lsda {
        out.push(PCREL_SDATA4);
    }
    out.push(PCREL_SDATA4);
    out.extend([0x0c, 0x07, 0x08, 0x90, 0x01]); // def_cfa rsp+8; rip at cfa-8
    pad8(out, start);
    close_record(out, start);
}

fn write_fde(out: &mut Vec<u8>, relocs: &mut Vec<(u64, String)>, cie: usize, f: &Fde) {
    let start = out.len();
    out.extend([0; 4]); // length
    let pointer = (out.len() - cie) as u32;
    out.extend(pointer.to_le_bytes());
    relocs.push((out.len() as u64, f.function.clone()));
    out.extend([0; 4]); // pc_begin
    out.extend(16u32.to_le_bytes()); // pc_range
    match &f.lsda {
        Some(l) => {
            uleb(out, 4);
            relocs.push((out.len() as u64, l.clone()));
            out.extend([0; 4]);
        }
        None => uleb(out, 0),
    }
    pad8(out, start);
    close_record(out, start);
}

/// A GNU `ar` archive of `members` (name, object bytes) with its symbol index (`/`): each
/// member's defined global symbols, as `ar rcs` writes it.
pub fn archive(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut names: Vec<(Vec<u8>, usize)> = Vec::new(); // (symbol, member)
    for (i, (_, data)) in members.iter().enumerate() {
        for s in defined_globals(data) {
            names.push((s, i));
        }
    }
    // Long names (over 15 bytes) go to the `//` member, referenced as `/offset`.
    let mut long = Vec::new();
    let header_names: Vec<String> = members
        .iter()
        .map(|(n, _)| {
            if n.len() < 16 {
                format!("{n}/")
            } else {
                let at = long.len();
                long.extend(n.as_bytes());
                long.extend(b"/\n");
                format!("/{at}")
            }
        })
        .collect();
    let index_size = 4 + 4 * names.len() + names.iter().map(|(n, _)| n.len() + 1).sum::<usize>();
    let mut offset = 8 + 60 + index_size + index_size % 2;
    if !long.is_empty() {
        offset += 60 + long.len() + long.len() % 2;
    }
    let mut member_offsets = Vec::new();
    for (_, data) in members {
        member_offsets.push(offset as u32);
        offset += 60 + data.len() + data.len() % 2;
    }
    let mut index = Vec::with_capacity(index_size);
    index.extend((names.len() as u32).to_be_bytes());
    for (_, m) in &names {
        index.extend(member_offsets[*m].to_be_bytes());
    }
    for (n, _) in &names {
        index.extend(n);
        index.push(0);
    }
    let mut out = b"!<arch>\n".to_vec();
    ar_member(&mut out, "/", &index);
    if !long.is_empty() {
        ar_member(&mut out, "//", &long);
    }
    for ((_, data), name) in members.iter().zip(&header_names) {
        ar_member(&mut out, name, data);
    }
    out
}

fn ar_member(out: &mut Vec<u8>, name: &str, data: &[u8]) {
    let header = format!(
        "{name:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
        0,
        0,
        0,
        644,
        data.len()
    );
    assert_eq!(header.len(), 60);
    out.extend(header.as_bytes());
    out.extend(data);
    if data.len() % 2 == 1 {
        out.push(b'\n');
    }
}

/// The global symbols an object defines (commons included, as `ar` indexes them).
fn defined_globals(data: &[u8]) -> Vec<Vec<u8>> {
    use object::{Object as _, ObjectSymbol as _};
    let file = object::File::parse(data).expect("test archive: member is not an object");
    file.symbols()
        .filter(|s| s.is_global() && !s.is_undefined())
        .filter_map(|s| s.name_bytes().ok().map(<[u8]>::to_vec))
        .collect()
}

// The links of the tests: each fixture's doc says what it holds; the unit tests say what
// each linker keeps of it, the integration tests ask the linkers.

/// _start -> helper (local) -> table (data, by section symbol) -> leaf (in b.o); island ->
/// island_leaf, both unreferenced; b.o's `other` unreferenced.
pub fn edge_objects() -> (Obj, Obj) {
    let mut a = Obj::new();
    a.func("_start", Bind::Global)
        .func("helper", Bind::Local)
        .data("table", Bind::Local)
        .func("island", Bind::Global)
        .func("island_leaf", Bind::Local)
        .reloc(".text._start", "helper")
        .reloc(".text.helper", ".data.table")
        .reloc(".data.table", "leaf")
        .reloc(".text.island", "island_leaf");
    let mut b = Obj::new();
    b.func("leaf", Bind::Global).func("other", Bind::Global);
    (a, b)
}

/// a.o's `_start` calls `f`, weak in a.o and strong in b.o.
pub fn weak_objects() -> (Obj, Obj) {
    let mut a = Obj::new();
    a.func("_start", Bind::Global)
        .func("f", Bind::Weak)
        .reloc(".text._start", "f");
    let mut b = Obj::new();
    b.code(".text.strong_f", "f", Bind::Global);
    (a, b)
}

/// `_start` calls `g`, whose group also holds `.rodata.g_extra`.
pub fn comdat_kept_object() -> Obj {
    let mut kept = Obj::new();
    kept.func("_start", Bind::Global)
        .func("g", Bind::Weak)
        .section(".rodata.g_extra", elf::SHT_PROGBITS, RODATA, 8)
        .comdat("g", &[".text.g", ".rodata.g_extra"])
        .reloc(".text._start", "g");
    kept
}

/// Group `inl` and a `_start` that does not call it.
pub fn comdat_dead_object() -> Obj {
    let mut dead = comdat_object(None);
    dead.func("_start", Bind::Global);
    dead
}

/// `.keepme` (calling `from_kept`) and `.notkept`, for [`KEEP_SCRIPT`].
pub fn keep_object() -> Obj {
    let mut a = Obj::new();
    a.func("_start", Bind::Global)
        .func("from_kept", Bind::Global)
        .func("unused", Bind::Global)
        .section(".keepme", elf::SHT_PROGBITS, RODATA, 8)
        .section(".notkept", elf::SHT_PROGBITS, RODATA, 8)
        .reloc(".keepme", "from_kept");
    a
}

/// Keeps `.keepme`, not `.notkept`.
pub const KEEP_SCRIPT: &str = "SECTIONS {
  .text : { *(.text .text.*) }
  .rodata : { KEEP(*(.keepme)) *(.notkept) }
}";

/// `.meta.live` linked to `_start`'s section, `.meta.dead` to the unreferenced `dead`'s.
pub fn link_order_object() -> Obj {
    let mut a = Obj::new();
    a.func("_start", Bind::Global)
        .func("dead", Bind::Global)
        .section(".meta.live", elf::SHT_PROGBITS, RODATA, 8)
        .link_order(".meta.live", ".text._start")
        .section(".meta.dead", elf::SHT_PROGBITS, RODATA, 8)
        .link_order(".meta.dead", ".text.dead");
    a
}

/// `.debug_info` refers to the unreferenced `dead`.
pub fn debug_object() -> Obj {
    let mut a = Obj::new();
    a.func("_start", Bind::Global)
        .func("dead", Bind::Global)
        .section(".debug_info", elf::SHT_PROGBITS, 0, 8)
        .reloc(".debug_info", "dead");
    a
}

/// `_start` calling `used`; `unused` and `kept_by_u` referenced by nothing.
pub fn entry_object() -> Obj {
    let mut o = Obj::new();
    o.func("_start", Bind::Global)
        .func("used", Bind::Global)
        .func("unused", Bind::Global)
        .func("kept_by_u", Bind::Global)
        .reloc(".text._start", "used");
    o
}

/// An object with COMDAT group `inl` (`.text.inl` and its data `.data.inl_data`), called
/// from `caller`'s section when given.
pub fn comdat_object(caller: Option<&str>) -> Obj {
    let mut o = Obj::new();
    o.func("inl", Bind::Weak)
        .data("inl_data", Bind::Weak)
        .reloc(".text.inl", "inl_data")
        .comdat("inl", &[".text.inl", ".data.inl_data"]);
    if let Some(c) = caller {
        o.func(c, Bind::Global).reloc(&format!(".text.{c}"), "inl");
    }
    o
}

/// `lib.a`: m1 defines f1; m2 defines f2 and calls f3; m3 defines f3; m4 defines f4 and
/// weak-refers to f1.
pub fn library() -> Vec<u8> {
    let mut m1 = Obj::new();
    m1.func("f1", Bind::Global);
    let mut m2 = Obj::new();
    m2.func("f2", Bind::Global).reloc(".text.f2", "f3");
    let mut m3 = Obj::new();
    m3.func("f3", Bind::Global);
    let mut m4 = Obj::new();
    m4.func("f4", Bind::Global)
        .weak_ref("f1")
        .reloc(".text.f4", "f1");
    archive(&[
        ("m1.o", m1.bytes()),
        ("m2.o", m2.bytes()),
        ("m3.o", m3.bytes()),
        ("m4.o", m4.bytes()),
    ])
}

pub fn caller_of(name: &str, weak: bool) -> Obj {
    let mut o = Obj::new();
    o.func("_start", Bind::Global);
    if weak {
        o.weak_ref(name);
    }
    o.reloc(".text._start", name);
    o
}

/// `_start` and `dead` with FDEs and LSDAs; the CIE's personality is `pers`.
pub fn eh_object(pers_for_start: bool) -> Obj {
    let mut o = Obj::new();
    o.func("_start", Bind::Global)
        .func("dead", Bind::Global)
        .code(".text.pers", "pers", Bind::Hidden)
        .section(".gcc_except_table._start", elf::SHT_PROGBITS, RODATA, 8)
        .section(".gcc_except_table.dead", elf::SHT_PROGBITS, RODATA, 8);
    let fde = |f: &str, pers: bool| Fde {
        function: format!(".text.{f}"),
        lsda: Some(format!(".gcc_except_table.{f}")),
        personality: pers.then(|| "pers".to_string()),
    };
    o.eh_frame(&[fde("_start", pers_for_start), fde("dead", true)]);
    o
}

/// `_start` refers to `__start_mysec` (section `mysec` in a.o and b.o) and to
/// `__stop___libc_atexit`, both weakly (so that the link succeeds where they are not
/// defined); `othersec` and `.not_c.ident` are referenced by nothing.
pub fn start_stop_objects() -> (Obj, Obj) {
    let mut a = Obj::new();
    a.func("_start", Bind::Global)
        .section("mysec", elf::SHT_PROGBITS, DATA, 8)
        .section("othersec", elf::SHT_PROGBITS, DATA, 8)
        .section("__libc_atexit", elf::SHT_PROGBITS, DATA, 8)
        .weak_ref("__start_mysec")
        .weak_ref("__stop___libc_atexit")
        .reloc(".text._start", "__start_mysec")
        .reloc(".text._start", "__stop___libc_atexit");
    let mut b = Obj::new();
    b.section("mysec", elf::SHT_PROGBITS, DATA, 8).section(
        ".not_c.ident",
        elf::SHT_PROGBITS,
        DATA,
        8,
    );
    (a, b)
}

/// Unreferenced sections of each init/fini kind, each pointing at a constructor.
pub fn init_object() -> Obj {
    let mut o = Obj::new();
    o.func("_start", Bind::Global);
    for (name, sh_type) in [
        (".init_array", elf::SHT_INIT_ARRAY),
        (".fini_array", elf::SHT_FINI_ARRAY),
        (".preinit_array", elf::SHT_PREINIT_ARRAY),
        (".init_array.00100", elf::SHT_INIT_ARRAY),
        // Named as no script names it: kept by its type, or not.
        (".myinit", elf::SHT_INIT_ARRAY),
    ] {
        let ctor = format!("ctor{}", name.replace('.', "_"));
        o.section(name, sh_type, DATA, 0)
            .func(&ctor, Bind::Local)
            .reloc(name, &ctor);
    }
    o
}

/// `SHF_GNU_RETAIN` on an unreferenced function, and an unreferenced note.
pub fn retain_object(gnu_osabi: bool) -> Obj {
    let mut a = Obj::new();
    if gnu_osabi {
        a.gnu_osabi();
    }
    a.func("_start", Bind::Global)
        .func("retained", Bind::Local)
        .flags(".text.retained", u64::from(elf::SHF_GNU_RETAIN))
        .section(".note.mine", elf::SHT_NOTE, RODATA, 8);
    a
}

/// `api` (default visibility), `priv` (hidden), `internal` (a version script may make it
/// local), and `_start`.
pub fn export_object() -> Obj {
    let mut o = Obj::new();
    o.func("_start", Bind::Global)
        .func("api", Bind::Global)
        .func("priv", Bind::Hidden)
        .func("internal", Bind::Global)
        .func("file_local", Bind::Local);
    o
}

/// `_start`, and two unreferenced sections named like C identifiers: `__libc_atexit` (as
/// glibc's libc.a has) and `my_c_section`.
pub fn libc_section_object() -> Obj {
    let mut a = Obj::new();
    a.func("_start", Bind::Global)
        .section("__libc_atexit", elf::SHT_PROGBITS, DATA, 8)
        .section("my_c_section", elf::SHT_PROGBITS, DATA, 8);
    a
}
