//! Stage 2, analysis: reads one ELF file's dynamic-linking facts with object's low-level API.
//!
//! For every ELF kind and class (32/64-bit, either endianness): undefined dynamic symbols with
//! binding, type and version (`.gnu.version` + `.gnu.version_r`), symbols bound by COPY
//! relocations, defined dynamic symbols with versions (`.gnu.version_d`), DT_NEEDED, DT_SONAME,
//! DT_RPATH/DT_RUNPATH, and the read-only data sections the by-name scan reads. For ET_REL
//! (objects, kernel modules) the undefined and defined globals come from `.symtab`.
//! Every name is a slice of the file's bytes (mapped, or the parts [`read_facts_parts`] read):
//! nothing is copied per symbol.

use std::path::Path;

use object::elf;
use object::read::elf::{Dyn, FileHeader, Rel, Rela, SectionHeader, SectionTable, Sym};
use object::read::{ReadRef, StringTable};
use object::{Endianness, Pod, SectionIndex};

use crate::error::{Error, Result};
use crate::inputs::parts::{PartFile, PartsBuf};

/// What kind of ELF file this is (e_type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ElfKind {
    /// ET_EXEC: a position-dependent executable.
    Exec,
    /// ET_DYN: a shared library or a PIE.
    Dyn,
    /// ET_REL: an object file or kernel module.
    Rel,
    /// Anything else (core files, ...): read for nothing.
    Other,
}

/// One symbol a consumer needs from elsewhere.
#[derive(Debug, Clone, Copy)]
pub struct Import<'a> {
    pub name: &'a [u8],
    /// Version name required (`GLIBC_2.2.5`), if the reference is versioned.
    pub version: Option<&'a [u8]>,
    /// The library the version is needed from (`libc.so.6`).
    pub library: Option<&'a [u8]>,
    /// A weak reference: the program runs without it.
    pub weak: bool,
    /// STT_* type (STT_NOTYPE for most undefined references).
    pub sym_type: u8,
    /// `Some(size)` when bound by a COPY relocation: the provider's object must keep that size.
    pub copy_size: Option<u64>,
}

/// One symbol a file defines and makes visible (dynamic symbol table, or `.symtab` for ET_REL).
#[derive(Debug, Clone, Copy)]
pub struct Definition<'a> {
    pub name: &'a [u8],
    /// Version defined (`GLIBC_2.2.5`), if any.
    pub version: Option<&'a [u8]>,
    /// `foo@@V` (default) rather than `foo@V` (hidden, for old binaries only).
    pub default_version: bool,
    pub weak: bool,
    pub sym_type: u8,
    pub size: u64,
}

/// A version definition (`.gnu.version_d`), in file order; the base (soname) entry is left out.
#[derive(Debug, Clone)]
pub struct VersionDef<'a> {
    pub name: &'a [u8],
    /// Names of the versions this one inherits from (`V2 { ... } V1;`).
    pub parents: Vec<&'a [u8]>,
}

/// A read-only data section, for the by-name scan.
#[derive(Debug, Clone, Copy)]
pub struct RoData<'a> {
    pub section: &'a [u8],
    /// The section's bytes; empty when the file was read by parts ([`read_facts_parts`]):
    /// `offset` and `size` say where they are.
    pub bytes: &'a [u8],
    /// Where the section's bytes are in the file.
    pub offset: u64,
    pub size: u64,
}

/// The facts of one ELF file that tailor's analysis needs.
#[derive(Debug, Clone)]
pub struct ElfFacts<'a> {
    pub kind: ElfKind,
    pub is_64: bool,
    pub big_endian: bool,
    pub machine: u16,
    pub imports: Vec<Import<'a>>,
    pub definitions: Vec<Definition<'a>>,
    pub version_defs: Vec<VersionDef<'a>>,
    pub needed: Vec<&'a [u8]>,
    pub soname: Option<&'a [u8]>,
    pub rpath: Option<&'a [u8]>,
    pub runpath: Option<&'a [u8]>,
    pub rodata: Vec<RoData<'a>>,
    /// Exports named by strings in `rodata` (filled by the read phase for `dlsym` users).
    pub by_name: Vec<super::byname::ByNameHit<'a>>,
}

impl ElfFacts<'_> {
    /// Whether the file imports `dlsym` or `dlvsym`, i.e. may look symbols up by name.
    pub fn imports_dlsym(&self) -> bool {
        self.imports
            .iter()
            .any(|i| i.name == b"dlsym" || i.name == b"dlvsym")
    }
}

/// What to read besides the imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Also read the defined symbols (a provider's exports; "defined by another input").
    /// Off, the names of defined symbols are never touched: over a system's worth of
    /// libraries those are most of the string-table pages a run maps in.
    pub definitions: bool,
}

impl ReadOptions {
    /// Everything.
    pub const ALL: ReadOptions = ReadOptions { definitions: true };
    /// Imports only.
    pub const IMPORTS: ReadOptions = ReadOptions { definitions: false };
}

/// Reads all the facts of the ELF file `data` (named `path` in errors).
pub fn read_facts<'a>(path: &Path, data: &'a [u8]) -> Result<ElfFacts<'a>> {
    read_facts_with(path, data, ReadOptions::ALL)
}

/// Reads the facts of the ELF file `data` that `opts` asks for. Shorter than the ELF
/// identification it is not an ELF file; cut short after it, it is a truncated one.
pub fn read_facts_with<'a>(path: &Path, data: &'a [u8], opts: ReadOptions) -> Result<ElfFacts<'a>> {
    if data.len() < 16 || !data.starts_with(b"\x7fELF") {
        return Err(Error::not_elf(path, data));
    }
    // e_ident[EI_CLASS] is byte 4 of the 16-byte identification.
    match data[4] {
        elf::ELFCLASS32 => read_generic::<elf::FileHeader32<Endianness>, _>(path, data, opts, true),
        elf::ELFCLASS64 => read_generic::<elf::FileHeader64<Endianness>, _>(path, data, opts, true),
        c => Err(Error::elf(
            path,
            "ELF header",
            format!("unknown ELF class {c}"),
        )),
    }
    .map_err(|e| super::truncation::explain(path, data, e))
}

/// Bytes read with the section headers from before them, where linkers put `.shstrtab`
/// (about 300 bytes in a program or library): one `pread` instead of two.
const SHSTRTAB_GUESS: u64 = 1024;

/// Bytes read from the start of a file, its ELF header and what follows: in a small program
/// (most of /usr) the dynamic symbols, their names and versions and the relocations follow
/// the header and the program headers (one `pread` for all of them).
pub const HEAD_GUESS: u64 = 8192;

/// [`read_facts_with`] from the parts of `file` it needs, read into `buf` (the ELF header,
/// the section headers and names, the dynamic symbols, their names and versions,
/// `.dynamic`, the COPY-relocation candidates; `.symtab` for an object), not the whole file.
/// `None` when that is not enough — not ELF, malformed, truncated, an extended section count:
/// the caller then reads the whole file, which says what is wrong exactly as before.
/// The parts are read after those `buf` holds (its caller clears it between files).
pub fn read_facts_parts<'a>(
    path: &Path,
    file: &PartFile,
    buf: &'a mut PartsBuf,
    opts: ReadOptions,
) -> Option<ElfFacts<'a>> {
    let head = file.len().min(HEAD_GUESS);
    if head < 16 || !buf.read(file, &mut [(0, head)]) {
        return None;
    }
    let ident = buf.view(file).read_bytes_at(0, 16).ok()?;
    if !ident.starts_with(b"\x7fELF") {
        return None;
    }
    match ident[4] {
        elf::ELFCLASS32 => parts_generic::<elf::FileHeader32<Endianness>>(path, file, buf, opts),
        elf::ELFCLASS64 => parts_generic::<elf::FileHeader64<Endianness>>(path, file, buf, opts),
        _ => None,
    }
}

fn parts_generic<'a, H: FileHeader<Endian = Endianness>>(
    path: &Path,
    file: &PartFile,
    buf: &'a mut PartsBuf,
    opts: ReadOptions,
) -> Option<ElfFacts<'a>> {
    let mut wanted: Vec<(u64, u64)> = Vec::new();
    // The section headers.
    let kind = {
        let data = buf.view(file);
        let header = H::parse(data).ok()?;
        let endian = header.endian().ok()?;
        let shoff: u64 = header.e_shoff(endian).into();
        let shnum = u64::from(header.e_shnum(endian));
        if shoff != 0 && shnum == 0 {
            return None;
        }
        if shoff != 0 {
            // With the bytes before them: the section names usually end there (one read).
            let before = shoff.min(SHSTRTAB_GUESS);
            wanted.push((
                shoff - before,
                before + shnum * std::mem::size_of::<H::SectionHeader>() as u64,
            ));
        }
        header.e_type(endian)
    };
    if !matches!(kind, elf::ET_EXEC | elf::ET_DYN | elf::ET_REL) {
        return read_generic::<H, _>(path, buf.view(file), opts, false).ok();
    }
    if !buf.read(file, &mut wanted) {
        return None;
    }
    // The sections the facts come from, with their string tables.
    wanted.clear();
    let copies = {
        let data = buf.view(file);
        let header = H::parse(data).ok()?;
        let endian = header.endian().ok()?;
        let sections = header.sections(endian, data).ok()?;
        let mut add = |index: SectionIndex| {
            if let Some(range) = sections
                .section(index)
                .ok()
                .and_then(|s| s.file_range(endian))
            {
                wanted.push(range);
            }
        };
        add(SectionIndex(header.shstrndx(endian, data).ok()? as usize));
        let mut dynsym = None;
        for (i, section) in sections.iter().enumerate() {
            let with_strings = match (section.sh_type(endian), kind) {
                (elf::SHT_SYMTAB, elf::ET_REL) => true,
                (_, elf::ET_REL) => false,
                (elf::SHT_DYNSYM, _) => {
                    dynsym = dynsym.or(Some(SectionIndex(i)));
                    true
                }
                (elf::SHT_GNU_VERNEED | elf::SHT_GNU_VERDEF | elf::SHT_DYNAMIC, _) => true,
                (elf::SHT_GNU_VERSYM, _) => {
                    add(SectionIndex(i));
                    false
                }
                _ => false,
            };
            if with_strings {
                add(SectionIndex(i));
                add(section.link(endian));
            }
        }
        let machine = header.e_machine(endian);
        (copy_reloc_type(machine).is_some() && kind != elf::ET_REL)
            .then_some(dynsym)
            .flatten()
    };
    if !buf.read(file, &mut wanted) {
        return None;
    }
    // The relocations that can be COPY ones: after the relative prefix `.dynamic` gives.
    if let Some(dynsym) = copies.filter(|d| d.0 != 0) {
        wanted.clear();
        let data = buf.view(file);
        let header = H::parse(data).ok()?;
        let endian = header.endian().ok()?;
        let sections = header.sections(endian, data).ok()?;
        let prefix = relative_prefix(&sections, endian, data);
        for section in sections.iter().filter(|s| s.link(endian) == dynsym) {
            let row = match section.sh_type(endian) {
                elf::SHT_REL => std::mem::size_of::<H::Rel>(),
                elf::SHT_RELA => std::mem::size_of::<H::Rela>(),
                _ => continue,
            };
            wanted.extend(relocation_part(section, endian, prefix, row as u64));
        }
        if !buf.read(file, &mut wanted) {
            return None;
        }
    }
    let buf: &'a PartsBuf = buf;
    read_generic::<H, _>(path, buf.view(file), opts, false).ok()
}

/// Version index → (version name, library it is needed from or None for a definition, hidden).
type VersionTable<'a> = Vec<Option<(&'a [u8], Option<&'a [u8]>)>>;

/// `whole`: `data` is the whole file (else the parts [`read_facts_parts`] read: read-only
/// data is located, not read).
fn read_generic<'a, H: FileHeader<Endian = Endianness>, R: ReadRef<'a>>(
    path: &Path,
    data: R,
    opts: ReadOptions,
    whole: bool,
) -> Result<ElfFacts<'a>> {
    let header = H::parse(data).map_err(|e| Error::elf(path, "ELF header", e))?;
    let endian = header
        .endian()
        .map_err(|e| Error::elf(path, "ELF header", e))?;
    let kind = match header.e_type(endian) {
        elf::ET_EXEC => ElfKind::Exec,
        elf::ET_DYN => ElfKind::Dyn,
        elf::ET_REL => ElfKind::Rel,
        _ => ElfKind::Other,
    };
    let machine = header.e_machine(endian);
    let mut facts = ElfFacts {
        kind,
        is_64: header.is_type_64(),
        big_endian: endian == Endianness::Big,
        machine,
        imports: Vec::new(),
        definitions: Vec::new(),
        version_defs: Vec::new(),
        needed: Vec::new(),
        soname: None,
        rpath: None,
        runpath: None,
        rodata: Vec::new(),
        by_name: Vec::new(),
    };
    if kind == ElfKind::Other {
        return Ok(facts);
    }
    let sections = header
        .sections(endian, data)
        .map_err(|e| Error::elf(path, "section headers", e))?;
    facts.rodata = read_rodata(path, &sections, endian, data, whole)?;
    if kind == ElfKind::Rel {
        read_object_symbols(path, &sections, endian, data, opts, &mut facts)?;
        return Ok(facts);
    }
    let symtab = sections
        .symbols(endian, data, elf::SHT_DYNSYM)
        .map_err(|e| Error::elf(path, "dynamic symbol table", e))?;
    let (versions, version_defs) = read_versions(path, &sections, endian, data)?;
    facts.version_defs = version_defs;
    let versym = sections
        .gnu_versym(endian, data)
        .map_err(|e| Error::elf(path, "symbol versions (.gnu.version)", e))?
        .map(|(v, _)| v)
        .unwrap_or(&[]);
    let copies = read_copy_relocations(path, header, &sections, endian, data, symtab.section())?;
    let strings = symtab.strings();
    // Sized once: growing the list by doubling was a tenth of the read's instructions.
    let undefined = symtab
        .symbols()
        .iter()
        .filter(|s| s.st_shndx(endian) == elf::SHN_UNDEF);
    facts.imports.reserve(undefined.count() + copies.len());
    for (index, sym) in symtab.symbols().iter().enumerate().skip(1) {
        let bind = sym.st_bind();
        let weak = bind == elf::STB_WEAK;
        if !(weak || bind == elf::STB_GLOBAL || bind == elf::STB_GNU_UNIQUE) {
            continue;
        }
        let copy_size = copies
            .binary_search(&(index as u32))
            .ok()
            .map(|_| sym.st_size(endian).into());
        let import = sym.st_shndx(endian) == elf::SHN_UNDEF || copy_size.is_some();
        if !import && !opts.definitions {
            continue;
        }
        let name = sym.name(endian, strings).map_err(|e| {
            Error::elf(path, "dynamic symbol names", format!("symbol {index}: {e}"))
        })?;
        if name.is_empty() {
            continue;
        }
        let raw_version = versym.get(index).map_or(1, |v| v.0.get(endian));
        let version_index = usize::from(raw_version & elf::VERSYM_VERSION);
        let version = versions.get(version_index).copied().flatten();
        if import {
            // Only a version *need* constrains a reference; an undefined symbol whose index
            // names one of the file's own definitions (libapt-pkg's, with `global: *;` in a
            // named node) is looked up unversioned, as nm and ld.so treat it.
            let needed = version.filter(|v| v.1.is_some());
            facts.imports.push(Import {
                name,
                version: needed.map(|v| v.0),
                library: needed.and_then(|v| v.1),
                weak,
                sym_type: sym.st_type(),
                copy_size,
            });
        } else if matches!(sym.st_visibility(), elf::STV_DEFAULT | elf::STV_PROTECTED) {
            // A symbol named after its own version definition (`GLIBC_2.2.5`, ABS) is the
            // version node itself, not an export.
            let version_name = version.filter(|v| v.1.is_none()).map(|v| v.0);
            if version_name == Some(name) && sym.st_shndx(endian) == elf::SHN_ABS {
                continue;
            }
            facts.definitions.push(Definition {
                name,
                version: version_name,
                default_version: raw_version & elf::VERSYM_HIDDEN == 0,
                weak,
                sym_type: sym.st_type(),
                size: sym.st_size(endian).into(),
            });
        }
    }
    read_dynamic(path, &sections, endian, data, &mut facts)?;
    Ok(facts)
}

/// Global and weak symbols of an object's `.symtab`: undefined ones are imports.
fn read_object_symbols<'a, H: FileHeader<Endian = Endianness>, R: ReadRef<'a>>(
    path: &Path,
    sections: &SectionTable<'a, H, R>,
    endian: Endianness,
    data: R,
    opts: ReadOptions,
    facts: &mut ElfFacts<'a>,
) -> Result<()> {
    let symtab = sections
        .symbols(endian, data, elf::SHT_SYMTAB)
        .map_err(|e| Error::elf(path, "symbol table", e))?;
    let strings = symtab.strings();
    for (index, sym) in symtab.symbols().iter().enumerate().skip(1) {
        let bind = sym.st_bind();
        let weak = bind == elf::STB_WEAK;
        if !(weak || bind == elf::STB_GLOBAL || bind == elf::STB_GNU_UNIQUE) {
            continue;
        }
        let undefined = sym.st_shndx(endian) == elf::SHN_UNDEF;
        if !undefined && !opts.definitions {
            continue;
        }
        let name = sym
            .name(endian, strings)
            .map_err(|e| Error::elf(path, "symbol names", format!("symbol {index}: {e}")))?;
        if name.is_empty() {
            continue;
        }
        if undefined {
            facts.imports.push(Import {
                name,
                version: None,
                library: None,
                weak,
                sym_type: sym.st_type(),
                copy_size: None,
            });
        } else if sym.st_visibility() != elf::STV_HIDDEN && sym.st_visibility() != elf::STV_INTERNAL
        {
            facts.definitions.push(Definition {
                name,
                version: None,
                default_version: true,
                weak,
                sym_type: sym.st_type(),
                size: sym.st_size(endian).into(),
            });
        }
    }
    Ok(())
}

/// The version index table (needs and definitions share one index space) and the definitions
/// in file order.
fn read_versions<'a, H: FileHeader<Endian = Endianness>, R: ReadRef<'a>>(
    path: &Path,
    sections: &SectionTable<'a, H, R>,
    endian: Endianness,
    data: R,
) -> Result<(VersionTable<'a>, Vec<VersionDef<'a>>)> {
    let mut table: VersionTable<'a> = Vec::new();
    let mut set = |index: u16, entry: (&'a [u8], Option<&'a [u8]>)| {
        let i = usize::from(index & elf::VERSYM_VERSION);
        if table.len() <= i {
            table.resize(i + 1, None);
        }
        table[i] = Some(entry);
    };
    let err = |e: object::read::Error| Error::elf(path, "version needs (.gnu.version_r)", e);
    if let Some((mut needs, link)) = sections.gnu_verneed(endian, data).map_err(err)? {
        let strings = sections.strings(endian, data, link).map_err(err)?;
        while let Some((need, mut aux)) = needs.next().map_err(err)? {
            let file = need.file(endian, strings).map_err(err)?;
            while let Some(a) = aux.next().map_err(err)? {
                let name = a.name(endian, strings).map_err(err)?;
                set(a.vna_other.get(endian), (name, Some(file)));
            }
        }
    }
    let mut defs = Vec::new();
    let err = |e: object::read::Error| Error::elf(path, "version definitions (.gnu.version_d)", e);
    if let Some((mut verdefs, link)) = sections.gnu_verdef(endian, data).map_err(err)? {
        let strings: StringTable<'a, R> = sections.strings(endian, data, link).map_err(err)?;
        while let Some((def, mut aux)) = verdefs.next().map_err(err)? {
            let Some(first) = aux.next().map_err(err)? else {
                continue;
            };
            let name = first.name(endian, strings).map_err(err)?;
            // The base definition (the soname, index 1) is "no version": a symbol at index 1
            // is unversioned (`readelf` prints `*global*`), exactly like one with no
            // `.gnu.version` entry at all.
            if def.vd_flags.get(endian) & elf::VER_FLG_BASE != 0 {
                continue;
            }
            set(def.vd_ndx.get(endian), (name, None));
            let mut parents = Vec::new();
            while let Some(p) = aux.next().map_err(err)? {
                parents.push(p.name(endian, strings).map_err(err)?);
            }
            defs.push(VersionDef { name, parents });
        }
    }
    Ok((table, defs))
}

/// The COPY relocation type of a machine, if it has one.
pub fn copy_reloc_type(machine: u16) -> Option<u32> {
    Some(match machine {
        elf::EM_X86_64 => elf::R_X86_64_COPY,
        elf::EM_386 => elf::R_386_COPY,
        elf::EM_AARCH64 => elf::R_AARCH64_COPY,
        elf::EM_ARM => elf::R_ARM_COPY,
        elf::EM_PPC => elf::R_PPC_COPY,
        elf::EM_PPC64 => elf::R_PPC64_COPY,
        elf::EM_MIPS => elf::R_MIPS_COPY,
        elf::EM_RISCV => elf::R_RISCV_COPY,
        elf::EM_S390 => elf::R_390_COPY,
        elf::EM_SPARC | elf::EM_SPARCV9 | elf::EM_SPARC32PLUS => elf::R_SPARC_COPY,
        elf::EM_68K => elf::R_68K_COPY,
        elf::EM_LOONGARCH => elf::R_LARCH_COPY,
        elf::EM_SH => elf::R_SH_COPY,
        elf::EM_PARISC => elf::R_PARISC_COPY,
        elf::EM_ALPHA => elf::R_ALPHA_COPY,
        elf::EM_CSKY => elf::R_CKCORE_COPY,
        _ => return None,
    })
}

/// Sorted dynamic-symbol indices bound by COPY relocations.
///
/// The relative relocations come first in a dynamic relocation table, and `DT_RELACOUNT`
/// (`DT_RELCOUNT`) says how many: the dynamic linker applies that many from the table's start
/// as relative ones without looking at their types (glibc's `elf_dynamic_do_Rel`), and
/// linkers sort them first (`-z combreloc`, the default of GNU ld, lld and mold). Those rows
/// cannot be COPY relocations, so only the rows after them are read: in a large C++ library
/// they are most of `.rela.dyn` (reading only the rest saves both the reading and the
/// filtering). A count larger than the section it names is ignored (every row is read).
fn read_copy_relocations<'a, H: FileHeader<Endian = Endianness>, R: ReadRef<'a>>(
    path: &Path,
    header: &H,
    sections: &SectionTable<'a, H, R>,
    endian: Endianness,
    data: R,
    dynsym: SectionIndex,
) -> Result<Vec<u32>> {
    let Some(copy) = copy_reloc_type(header.e_machine(endian)) else {
        return Ok(Vec::new());
    };
    let mips64el = header.is_mips64el(endian);
    let err = |e: object::read::Error| Error::elf(path, "dynamic relocations", e);
    let prefix = relative_prefix(sections, endian, data);
    let mut out = Vec::new();
    for section in sections.iter() {
        if section.link(endian) != dynsym || dynsym.0 == 0 {
            continue;
        }
        let addr: u64 = section.sh_addr(endian).into();
        match section.sh_type(endian) {
            elf::SHT_REL => {
                let skip = prefix.rel.filter(|p| p.0 == addr).map_or(0, |p| p.1);
                let all = || {
                    section
                        .rel(endian, data)
                        .map(|r| r.map_or(&[][..], |r| r.0))
                };
                let rels = rows_after(section, endian, data, skip, all).map_err(err)?;
                out.extend(
                    rels.iter()
                        .filter(|r| r.r_type(endian) == copy)
                        .map(|r| r.r_sym(endian)),
                );
            }
            elf::SHT_RELA => {
                let skip = prefix.rela.filter(|p| p.0 == addr).map_or(0, |p| p.1);
                let all = || {
                    section
                        .rela(endian, data)
                        .map(|r| r.map_or(&[][..], |r| r.0))
                };
                let relas = rows_after(section, endian, data, skip, all).map_err(err)?;
                out.extend(
                    relas
                        .iter()
                        .filter(|r| r.r_type(endian, mips64el) == copy)
                        .map(|r| r.r_sym(endian, mips64el)),
                );
            }
            _ => {}
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The relative relocations at the start of the dynamic relocation tables: (table address,
/// count) from `DT_RELA`/`DT_RELACOUNT` and `DT_REL`/`DT_RELCOUNT`. A `.dynamic` that cannot
/// be read gives none (its error is [`read_dynamic`]'s to report).
#[derive(Debug, Default, Clone, Copy)]
struct RelativePrefix {
    rela: Option<(u64, u64)>,
    rel: Option<(u64, u64)>,
}

fn relative_prefix<'a, H: FileHeader<Endian = Endianness>, R: ReadRef<'a>>(
    sections: &SectionTable<'a, H, R>,
    endian: Endianness,
    data: R,
) -> RelativePrefix {
    let Ok(Some((entries, _))) = sections.dynamic(endian, data) else {
        return RelativePrefix::default();
    };
    let (mut rela, mut relacount, mut rel, mut relcount) = (None, None, None, None);
    for d in entries {
        let value: u64 = d.d_val(endian).into();
        match d.tag32(endian) {
            Some(elf::DT_NULL) => break,
            Some(elf::DT_RELA) => rela = Some(value),
            Some(elf::DT_RELACOUNT) => relacount = Some(value),
            Some(elf::DT_REL) => rel = Some(value),
            Some(elf::DT_RELCOUNT) => relcount = Some(value),
            _ => {}
        }
    }
    RelativePrefix {
        rela: rela.zip(relacount),
        rel: rel.zip(relcount),
    }
}

/// The rows of a relocation section after its first `skip` (all of them when `skip` is 0 or
/// more than the section holds). Only those rows are read when they can be; otherwise `all`
/// reads the section as the object crate does (and fails as it does).
fn rows_after<'a, T: Pod, S: SectionHeader<Endian = Endianness>, R: ReadRef<'a>>(
    section: &S,
    endian: Endianness,
    data: R,
    skip: u64,
    all: impl FnOnce() -> object::read::Result<&'a [T]>,
) -> object::read::Result<&'a [T]> {
    let row = std::mem::size_of::<T>() as u64;
    if let Some((offset, size)) = section.file_range(endian) {
        let rows = size / row;
        if skip > 0 && skip <= rows && size % row == 0 {
            if let Ok(tail) = data.read_slice_at::<T>(offset + skip * row, (rows - skip) as usize) {
                return Ok(tail);
            }
        }
    }
    let rows = all()?;
    Ok(rows
        .get(skip as usize..)
        .filter(|_| skip > 0)
        .unwrap_or(rows))
}

/// The byte range of the rows [`rows_after`] reads from a relocation section, given the
/// relative prefix.
fn relocation_part<S: SectionHeader<Endian = Endianness>>(
    section: &S,
    endian: Endianness,
    prefix: RelativePrefix,
    row: u64,
) -> Option<(u64, u64)> {
    let (offset, size) = section.file_range(endian)?;
    let addr: u64 = section.sh_addr(endian).into();
    let table = match section.sh_type(endian) {
        elf::SHT_REL => prefix.rel,
        _ => prefix.rela,
    };
    let skip = table.filter(|p| p.0 == addr).map_or(0, |p| p.1);
    let rows = size / row;
    if skip > 0 && skip <= rows && size % row == 0 {
        return Some((offset + skip * row, size - skip * row));
    }
    Some((offset, size))
}

/// DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH.
fn read_dynamic<'a, H: FileHeader<Endian = Endianness>, R: ReadRef<'a>>(
    path: &Path,
    sections: &SectionTable<'a, H, R>,
    endian: Endianness,
    data: R,
    facts: &mut ElfFacts<'a>,
) -> Result<()> {
    let err = |e: object::read::Error| Error::elf(path, "dynamic section", e);
    let Some((entries, link)) = sections.dynamic(endian, data).map_err(err)? else {
        return Ok(());
    };
    let strings = sections.strings(endian, data, link).map_err(err)?;
    for d in entries {
        let Some(tag) = d.tag32(endian) else { continue };
        let slot = match tag {
            elf::DT_NULL => break,
            elf::DT_NEEDED => {
                facts.needed.push(dyn_string(path, d, endian, strings)?);
                continue;
            }
            elf::DT_SONAME => &mut facts.soname,
            elf::DT_RPATH => &mut facts.rpath,
            elf::DT_RUNPATH => &mut facts.runpath,
            _ => continue,
        };
        *slot = Some(dyn_string(path, d, endian, strings)?);
    }
    Ok(())
}

/// [`Dyn::string`] over a string table read by parts (the same result and error).
fn dyn_string<'a, D: Dyn<Endian = Endianness>, R: ReadRef<'a>>(
    path: &Path,
    d: &D,
    endian: Endianness,
    strings: StringTable<'a, R>,
) -> Result<&'a [u8]> {
    d.val32(endian)
        .and_then(|val| strings.get(val).ok())
        .ok_or_else(|| Error::elf(path, "dynamic section", "Invalid ELF dyn string"))
}

/// Allocated, read-only, non-executable PROGBITS sections: where string literals live.
fn read_rodata<'a, H: FileHeader<Endian = Endianness>, R: ReadRef<'a>>(
    path: &Path,
    sections: &SectionTable<'a, H, R>,
    endian: Endianness,
    data: R,
    whole: bool,
) -> Result<Vec<RoData<'a>>> {
    let mut out = Vec::new();
    for section in sections.iter() {
        let flags: u64 = section.sh_flags(endian).into();
        let wanted = section.sh_type(endian) == elf::SHT_PROGBITS
            && flags & u64::from(elf::SHF_ALLOC) != 0
            && flags & u64::from(elf::SHF_WRITE | elf::SHF_EXECINSTR) == 0;
        if !wanted {
            continue;
        }
        let name = sections
            .section_name(endian, section)
            .map_err(|e| Error::elf(path, "section names", e))?;
        if [
            &b".eh_frame"[..],
            b".gcc_except_table",
            b".interp",
            b".note",
        ]
        .iter()
        .any(|p| name.starts_with(p))
        {
            continue;
        }
        let ro_err = |e: &dyn std::fmt::Display| {
            Error::elf(
                path,
                "read-only data",
                format!("section {}: {e}", String::from_utf8_lossy(name)),
            )
        };
        let (offset, size) = section.file_range(endian).unwrap_or((0, 0));
        let bytes = if whole {
            section.data(endian, data).map_err(|e| ro_err(&e))?
        } else {
            // Read later, by the by-name scan; it must be in the file (else the whole file
            // is read, and `data` above says what is wrong).
            let len = data.len().unwrap_or(0);
            if !matches!(offset.checked_add(size), Some(end) if end <= len) {
                return Err(ro_err(&"past the end of the file"));
            }
            &[]
        };
        out.push(RoData {
            section: name,
            bytes,
            offset,
            size,
        });
    }
    Ok(out)
}
