//! Stage 2, analysis: relocatable objects (`.o`, archive members) read for the section graph —
//! sections, symbols, relocations and section groups, names borrowed from the file's bytes.
//!
//! Every index read from the file is checked here, once, so the graph built on top can index
//! without panicking: a relocation naming a symbol past the table, a symbol in a section that
//! does not exist, a group listing a bad index each give one error naming the object and the
//! section.

use std::num::NonZeroU32;
use std::ops::Range;
use std::path::Path;

use object::elf;
use object::read::elf::{FileHeader, Rel, Rela, SectionHeader, Sym};
use object::Endianness;

use crate::error::{Error, Result};

/// One section of an object.
#[derive(Debug, Clone)]
pub struct ObjSection<'d> {
    pub name: &'d [u8],
    pub sh_type: u32,
    pub flags: u64,
    pub size: u64,
    pub align: u64,
    /// `sh_link` (the linked-to section of an `SHF_LINK_ORDER` section).
    pub link: u32,
    /// The `SHT_GROUP` section holding this one (its index, never 0), if any.
    pub group: Option<NonZeroU32>,
    /// This section's relocations in [`ObjectFile::relocs`].
    pub relocs: Range<u32>,
    /// Whether the linkers treat this as a section of the output (not a symbol table, string
    /// table, relocation or group section).
    pub modeled: bool,
    /// The section's file bytes (empty for `SHT_NOBITS`).
    pub data: &'d [u8],
}

/// One symbol-table entry.
#[derive(Debug, Clone, Copy)]
pub struct ObjSymbol<'d> {
    pub name: &'d [u8],
    pub value: u64,
    pub size: u64,
    /// Section index, or `SHN_UNDEF`, `SHN_ABS`, `SHN_COMMON`.
    pub shndx: u32,
    pub bind: u8,
    pub sym_type: u8,
    pub visibility: u8,
}

impl ObjSymbol<'_> {
    pub fn is_undefined(&self) -> bool {
        self.shndx == u32::from(elf::SHN_UNDEF)
    }
    pub fn is_common(&self) -> bool {
        self.shndx == u32::from(elf::SHN_COMMON)
    }
    pub fn is_global(&self) -> bool {
        self.bind != elf::STB_LOCAL
    }
    pub fn is_weak(&self) -> bool {
        self.bind == elf::STB_WEAK
    }
    /// Defined in a section of the file (not absolute, common or undefined).
    pub fn section(&self) -> Option<u32> {
        (self.shndx != u32::from(elf::SHN_UNDEF) && self.shndx < u32::from(elf::SHN_LORESERVE))
            .then_some(self.shndx)
    }
}

/// One relocation.
#[derive(Debug, Clone, Copy)]
pub struct ObjReloc {
    pub offset: u64,
    pub sym: u32,
    pub r_type: u32,
    /// The explicit addend (RELA), or the 32-bit word at the offset (REL).
    pub addend: i64,
}

/// An `SHT_GROUP` section: (group section index, signature, member indices).
pub type Group<'d> = (u32, &'d [u8], Vec<u32>);

/// A parsed relocatable object.
#[derive(Debug)]
pub struct ObjectFile<'d> {
    pub sections: Vec<ObjSection<'d>>,
    pub symbols: Vec<ObjSymbol<'d>>,
    /// Index of the first global symbol (`sh_info` of the symbol table).
    pub first_global: u32,
    pub relocs: Vec<ObjReloc>,
    /// `SHT_GROUP` sections.
    pub groups: Vec<Group<'d>>,
    /// `ELFOSABI_GNU`/`FREEBSD`: GNU ld honours `SHF_GNU_RETAIN` only there.
    pub gnu_osabi: bool,
    pub machine: u16,
    pub is_64: bool,
    pub big_endian: bool,
}

/// True when the bytes are an ELF relocatable object.
pub fn is_relocatable(data: &[u8]) -> bool {
    if data.len() < 18 || !data.starts_with(b"\x7fELF") {
        return false;
    }
    let e_type = match data[5] {
        elf::ELFDATA2MSB => u16::from_be_bytes([data[16], data[17]]),
        _ => u16::from_le_bytes([data[16], data[17]]),
    };
    e_type == elf::ET_REL
}

/// Parses the object `data`; `path` and `place` (`a.o` or `lib.a(m.o)`) name it in errors.
pub fn parse<'d>(path: &Path, place: &str, data: &'d [u8]) -> Result<ObjectFile<'d>> {
    if data.len() < 20 || !data.starts_with(b"\x7fELF") {
        return Err(Error::elf(
            path,
            "object",
            format!("{place}: not an ELF object"),
        ));
    }
    match data[4] {
        elf::ELFCLASS32 => parse_generic::<elf::FileHeader32<Endianness>>(path, place, data),
        elf::ELFCLASS64 => parse_generic::<elf::FileHeader64<Endianness>>(path, place, data),
        c => Err(Error::elf(
            path,
            "object",
            format!("{place}: bad ELF class {c}"),
        )),
    }
}

fn parse_generic<'d, H: FileHeader<Endian = Endianness>>(
    path: &Path,
    place: &str,
    data: &'d [u8],
) -> Result<ObjectFile<'d>> {
    let fail = |what: String| Error::elf(path, "object", format!("{place}: {what}"));
    let header = H::parse(data).map_err(|e| fail(e.to_string()))?;
    let endian = header.endian().map_err(|e| fail(e.to_string()))?;
    if header.e_type(endian) != elf::ET_REL {
        return Err(fail("not a relocatable object (ET_REL)".into()));
    }
    let table = header
        .sections(endian, data)
        .map_err(|e| fail(format!("section headers: {e}")))?;
    let r = Reader {
        header,
        endian,
        data,
        table,
        path,
        place,
    };
    let mut sections = r.sections()?;
    let symbols = r.symbols()?;
    let mut relocs: Vec<ObjReloc> = Vec::new();
    let mut groups = Vec::new();
    for (i, s) in r.table.iter().enumerate() {
        match s.sh_type(endian) {
            elf::SHT_REL | elf::SHT_RELA => {
                r.relocations(i, s, &mut sections, symbols.len(), &mut relocs)?
            }
            elf::SHT_GROUP => groups.extend(r.group(i, s, &mut sections, &symbols)?),
            _ => {}
        }
    }
    let osabi = data[7];
    Ok(ObjectFile {
        first_global: r.first_global(symbols.len()),
        sections,
        symbols,
        relocs,
        groups,
        gnu_osabi: osabi == elf::ELFOSABI_GNU || osabi == elf::ELFOSABI_FREEBSD,
        machine: header.e_machine(endian),
        is_64: header.is_type_64(),
        big_endian: !header.is_little_endian(),
    })
}

/// An object being read: its header, byte order, bytes and section table, and the names its
/// errors give (`path`, and `place`: `a.o` or `lib.a(m.o)`).
struct Reader<'d, 'n, H: FileHeader<Endian = Endianness>> {
    header: &'d H,
    endian: Endianness,
    data: &'d [u8],
    table: object::read::elf::SectionTable<'d, H>,
    path: &'n Path,
    place: &'n str,
}

impl<'d, H: FileHeader<Endian = Endianness>> Reader<'d, '_, H> {
    /// The error `what`, naming the object.
    fn fail(&self, what: String) -> Error {
        Error::elf(self.path, "object", format!("{}: {what}", self.place))
    }

    /// The sections, names and contents checked (relocations and groups not yet linked).
    fn sections(&self) -> Result<Vec<ObjSection<'d>>> {
        let (table, endian) = (&self.table, self.endian);
        let mut sections = Vec::with_capacity(table.len());
        for (i, s) in table.iter().enumerate() {
            let name = table
                .section_name(endian, s)
                .map_err(|e| self.fail(format!("section {i}: name: {e}")))?;
            let sh_type = s.sh_type(endian);
            let bytes = if sh_type == elf::SHT_NOBITS {
                &[][..]
            } else {
                s.data(endian, self.data).map_err(|e| {
                    self.fail(format!(
                        "section {i} `{}`: contents: {e}",
                        String::from_utf8_lossy(name)
                    ))
                })?
            };
            let modeled = i != 0
                && !matches!(
                    sh_type,
                    elf::SHT_NULL
                        | elf::SHT_SYMTAB
                        | elf::SHT_STRTAB
                        | elf::SHT_REL
                        | elf::SHT_RELA
                        | elf::SHT_GROUP
                        | elf::SHT_SYMTAB_SHNDX
                );
            sections.push(ObjSection {
                name,
                sh_type,
                flags: s.sh_flags(endian).into(),
                size: s.sh_size(endian).into(),
                align: s.sh_addralign(endian).into(),
                link: s.sh_link(endian),
                group: None,
                relocs: 0..0,
                modeled,
                data: bytes,
            });
        }
        Ok(sections)
    }

    /// The symbol table, each symbol's section index checked against the sections.
    fn symbols(&self) -> Result<Vec<ObjSymbol<'d>>> {
        let (endian, count) = (self.endian, self.table.len());
        let symtab = self
            .table
            .symbols(endian, self.data, elf::SHT_SYMTAB)
            .map_err(|e| self.fail(format!("symbol table: {e}")))?;
        let mut symbols = Vec::with_capacity(symtab.len());
        for (i, sym) in symtab.iter().enumerate() {
            let name = sym
                .name(endian, symtab.strings())
                .map_err(|e| self.fail(format!("symbol {i}: name: {e}")))?;
            let shndx = match sym.st_shndx(endian) {
                elf::SHN_XINDEX => {
                    symtab
                        .shndx(endian, object::SymbolIndex(i))
                        .ok_or_else(|| {
                            self.fail(format!("symbol {i}: missing SHT_SYMTAB_SHNDX entry"))
                        })?
                }
                s => u32::from(s),
            };
            if shndx != 0 && shndx < u32::from(elf::SHN_LORESERVE) && shndx as usize >= count {
                return Err(self.fail(format!(
                    "symbol {i} `{}` is in section {shndx}, but the file has {count} sections",
                    String::from_utf8_lossy(name)
                )));
            }
            symbols.push(ObjSymbol {
                name,
                value: sym.st_value(endian).into(),
                size: sym.st_size(endian).into(),
                shndx,
                bind: sym.st_bind(),
                sym_type: sym.st_type(),
                visibility: sym.st_visibility(),
            });
        }
        Ok(symbols)
    }

    /// The index of the first global symbol: the symbol table's `sh_info`, at most `symbols`.
    fn first_global(&self, symbols: usize) -> u32 {
        self.table
            .iter()
            .find(|s| s.sh_type(self.endian) == elf::SHT_SYMTAB)
            .map(|s| s.sh_info(self.endian))
            .unwrap_or(0)
            .min(symbols as u32)
    }

    /// Reads relocation section `i` (`s`) into `relocs` (REL addends from the bytes they
    /// patch) and gives its target section the range, each symbol index checked against
    /// `symbols` symbols. A relocation section without a target (dynamic relocations) is
    /// skipped.
    fn relocations(
        &self,
        i: usize,
        s: &H::SectionHeader,
        sections: &mut [ObjSection<'d>],
        symbols: usize,
        relocs: &mut Vec<ObjReloc>,
    ) -> Result<()> {
        let endian = self.endian;
        let target = s.sh_info(endian) as usize;
        if target == 0 || target >= sections.len() {
            // Dynamic relocations have no target section; nothing to model.
            return Ok(());
        }
        let own_name = sections[i].name;
        let section_name = || String::from_utf8_lossy(own_name).into_owned();
        let start = relocs.len() as u32;
        let mips64el = self.header.is_mips64el(endian);
        if let Some((rels, _)) = s
            .rela(endian, self.data)
            .map_err(|e| self.fail(format!("section {i} `{}`: {e}", section_name())))?
        {
            relocs.extend(rels.iter().map(|r| ObjReloc {
                offset: r.r_offset(endian).into(),
                sym: r.r_sym(endian, mips64el),
                r_type: r.r_type(endian, mips64el),
                addend: r.r_addend(endian).into(),
            }));
        } else if let Some((rels, _)) = s
            .rel(endian, self.data)
            .map_err(|e| self.fail(format!("section {i} `{}`: {e}", section_name())))?
        {
            let patched = sections[target].data;
            let little = self.header.is_little_endian();
            relocs.extend(rels.iter().map(|r| {
                let offset: u64 = r.r_offset(endian).into();
                ObjReloc {
                    offset,
                    sym: r.r_sym(endian),
                    r_type: r.r_type(endian),
                    addend: implicit_addend(patched, offset, little),
                }
            }));
        }
        if let Some(bad) = relocs[start as usize..]
            .iter()
            .position(|r| r.sym as usize >= symbols)
        {
            return Err(self.fail(format!(
                "section {i} `{}`: relocation {bad} names symbol {}, but the symbol table has {symbols}",
                section_name(),
                relocs[start as usize + bad].sym,
            )));
        }
        let end = relocs.len() as u32;
        let t = &mut sections[target];
        if t.relocs.is_empty() {
            t.relocs = start..end;
        } else if t.relocs.end == start {
            t.relocs.end = end;
        } else {
            // Two relocation sections for one target: rare; keep them contiguous.
            let mut merged: Vec<ObjReloc> =
                relocs[t.relocs.start as usize..t.relocs.end as usize].to_vec();
            merged.extend_from_slice(&relocs[start as usize..end as usize]);
            let new_start = relocs.len() as u32;
            relocs.extend(merged);
            t.relocs = new_start..relocs.len() as u32;
        }
        Ok(())
    }

    /// Group section `i` (`s`): (its index, its signature, its members), each member marked
    /// as in it; `None` when it is not a group after all.
    fn group(
        &self,
        i: usize,
        s: &H::SectionHeader,
        sections: &mut [ObjSection<'d>],
        symbols: &[ObjSymbol<'d>],
    ) -> Result<Option<Group<'d>>> {
        let (endian, count) = (self.endian, sections.len());
        let own_name = sections[i].name;
        let section_name = || String::from_utf8_lossy(own_name).into_owned();
        let Some(group) = NonZeroU32::new(i as u32) else {
            return Err(self.fail("section 0 is a group section".into()));
        };
        let Some((_flags, members)) = s
            .group(endian, self.data)
            .map_err(|e| self.fail(format!("section {i} `{}`: {e}", section_name())))?
        else {
            return Ok(None);
        };
        let sig_index = s.sh_info(endian) as usize;
        let signature = symbols.get(sig_index).map(|s| s.name).ok_or_else(|| {
            self.fail(format!(
                "group section {i} `{}` names signature symbol {sig_index}, but the symbol table has {}",
                section_name(),
                symbols.len()
            ))
        })?;
        let mut list = Vec::with_capacity(members.len());
        for m in members {
            let m = m.get(endian);
            if m == 0 || m as usize >= count {
                return Err(self.fail(format!(
                    "group section {i} `{}` lists section {m}, but the file has {count} sections",
                    section_name()
                )));
            }
            sections[m as usize].group = Some(group);
            list.push(m);
        }
        Ok(Some((i as u32, signature, list)))
    }
}

/// The addend a REL relocation keeps in the bytes it patches (a 32-bit word).
fn implicit_addend(data: &[u8], offset: u64, little: bool) -> i64 {
    let Some(b) = usize::try_from(offset)
        .ok()
        .and_then(|o| data.get(o..o.checked_add(4)?))
    else {
        return 0;
    };
    let word = [b[0], b[1], b[2], b[3]];
    i64::from(if little {
        i32::from_le_bytes(word)
    } else {
        i32::from_be_bytes(word)
    })
}
