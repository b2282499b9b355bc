//! The parts of an executable's ELF file the system-call analysis reads: its code sections,
//! data sections, function symbols, entry point, the relocations that hold code pointers, and
//! the GOT slots of imported functions (a dynamically linked program's `syscall()`).

use std::collections::HashMap;
use std::path::Path;

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader, Rela, SectionHeader, Sym};
use object::Endianness;

use super::Arch;
use crate::error::{Error, Result};

/// A section of code, mapped at `addr`.
#[derive(Debug)]
pub(crate) struct CodeSection<'a> {
    pub(crate) name: &'a [u8],
    pub(crate) addr: u64,
    pub(crate) bytes: &'a [u8],
}

/// An allocated section of data (its bytes as in the file; `.bss` has none).
#[derive(Debug)]
pub(crate) struct DataSection<'a> {
    pub(crate) addr: u64,
    pub(crate) bytes: &'a [u8],
}

/// A function symbol (`STT_FUNC`/`STT_GNU_IFUNC`, defined in a code section).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FuncSym<'a> {
    pub(crate) addr: u64,
    pub(crate) size: u64,
    pub(crate) name: &'a [u8],
    /// Exported from the dynamic symbol table (a root of a shared library).
    pub(crate) exported: bool,
}

/// How the program is linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Linkage {
    /// `ET_EXEC` without an interpreter.
    Static,
    /// `ET_DYN` without an interpreter (`-static-pie`).
    StaticPie,
    /// An executable with an interpreter (its libraries make system calls of their own).
    Dynamic,
    /// A shared library (`ET_DYN` with exported functions and no interpreter or entry).
    SharedLibrary,
}

/// One ELF file, read for its code.
#[derive(Debug)]
pub(crate) struct CodeImage<'a> {
    pub(crate) arch: Arch,
    pub(crate) linkage: Linkage,
    pub(crate) entry: Option<u64>,
    pub(crate) code: Vec<CodeSection<'a>>,
    pub(crate) data: Vec<DataSection<'a>>,
    /// Sorted by address.
    pub(crate) funcs: Vec<FuncSym<'a>>,
    /// Whether `.symtab` was there (a stripped file has only the dynamic symbols, if any).
    pub(crate) has_symtab: bool,
    /// Addresses that relocations store into data: `R_*_RELATIVE`, `R_*_IRELATIVE`
    /// (an ifunc resolver, run at start-up) and absolute relocations against defined symbols.
    pub(crate) reloc_pointers: Vec<u64>,
    /// GOT slot → the imported function it is bound to (`JUMP_SLOT`, `GLOB_DAT`).
    pub(crate) imports: HashMap<u64, &'a [u8]>,
}

impl CodeImage<'_> {
    /// Whether `addr` is inside a code section.
    pub(crate) fn in_code(&self, addr: u64) -> bool {
        self.code
            .iter()
            .any(|s| addr >= s.addr && addr - s.addr < s.bytes.len() as u64)
    }

    /// The 8 bytes at `addr` in a data or code section, little-endian.
    pub(crate) fn read_u64(&self, addr: u64) -> Option<u64> {
        let find = |base: u64, bytes: &[u8]| -> Option<u64> {
            let off = usize::try_from(addr.checked_sub(base)?).ok()?;
            let b = bytes.get(off..off.checked_add(8)?)?;
            Some(u64::from_le_bytes(b.try_into().ok()?))
        };
        self.data
            .iter()
            .find_map(|s| find(s.addr, s.bytes))
            .or_else(|| self.code.iter().find_map(|s| find(s.addr, s.bytes)))
    }
}

/// Reads `data` (the file `path`) for its code. Errors (exit 2) name the file: not ELF, not
/// 64-bit little-endian x86-64 or AArch64, no code, a section past the end of the file.
pub(crate) fn read<'a>(path: &Path, data: &'a [u8]) -> Result<CodeImage<'a>> {
    if !data.starts_with(b"\x7fELF") {
        return Err(Error::not_elf(path, data));
    }
    match (data.get(4), data.get(5)) {
        (Some(&elf::ELFCLASS64), Some(&elf::ELFDATA2LSB)) => {}
        (Some(&elf::ELFCLASS32), _) => {
            return Err(unsupported(path, "a 32-bit ELF file"));
        }
        (Some(&elf::ELFCLASS64), Some(&elf::ELFDATA2MSB)) => {
            return Err(unsupported(path, "a big-endian ELF file"));
        }
        _ => {
            return Err(super::super::truncation::explain(
                path,
                data,
                bad(path, "malformed ELF identification"),
            ))
        }
    }
    read_64(path, data).map_err(|e| super::super::truncation::explain(path, data, e))
}

fn unsupported(path: &Path, what: &str) -> Error {
    Error::Usage(format!(
        "{}: {what}: tailor syscalls reads x86-64 and AArch64 (64-bit little-endian) code",
        path.display()
    ))
}

fn bad(path: &Path, detail: impl std::fmt::Display) -> Error {
    Error::elf(path, "code", detail)
}

fn read_64<'a>(path: &Path, data: &'a [u8]) -> Result<CodeImage<'a>> {
    let header = elf::FileHeader64::<Endianness>::parse(data).map_err(|e| bad(path, e))?;
    let endian = header.endian().map_err(|e| bad(path, e))?;
    let arch = match header.e_machine(endian) {
        elf::EM_X86_64 => Arch::X86_64,
        elf::EM_AARCH64 => Arch::Aarch64,
        m => {
            return Err(unsupported(
                path,
                &format!("machine {m} ({})", machine_name(m)),
            ))
        }
    };
    let e_type = header.e_type(endian);
    if e_type != elf::ET_EXEC && e_type != elf::ET_DYN {
        return Err(Error::Usage(format!(
            "{}: {} : not an executable or shared library (tailor syscalls reads linked programs)",
            path.display(),
            match e_type {
                elf::ET_REL => "a relocatable object",
                elf::ET_CORE => "a core dump",
                _ => "an ELF file of unknown type",
            }
        )));
    }
    let segments = header
        .program_headers(endian, data)
        .map_err(|e| bad(path, e))?;
    let interp = segments.iter().any(|p| p.p_type(endian) == elf::PT_INTERP);
    let sections = header.sections(endian, data).map_err(|e| bad(path, e))?;
    let mut code = Vec::new();
    let mut datas = Vec::new();
    for s in sections.iter() {
        let flags = s.sh_flags(endian);
        if flags & u64::from(elf::SHF_ALLOC) == 0 || s.sh_type(endian) == elf::SHT_NOBITS {
            continue;
        }
        let name = sections.section_name(endian, s).unwrap_or(b"");
        let bytes = s.data(endian, data).map_err(|_| Error::Truncated {
            path: path.to_path_buf(),
            len: data.len() as u64,
            detail: format!(
                "section {} at offset {:#x} size {:#x} ends past the end of the file",
                String::from_utf8_lossy(name),
                s.sh_offset(endian),
                s.sh_size(endian)
            ),
        })?;
        if flags & u64::from(elf::SHF_EXECINSTR) != 0 {
            code.push(CodeSection {
                name,
                addr: s.sh_addr(endian),
                bytes,
            });
        } else {
            datas.push(DataSection {
                addr: s.sh_addr(endian),
                bytes,
            });
        }
    }
    if code.is_empty() {
        // A file without section headers (sstrip'ed): its executable segments are the code.
        for p in segments.iter() {
            if p.p_type(endian) == elf::PT_LOAD {
                let bytes = p.data(endian, data).map_err(|_| Error::Truncated {
                    path: path.to_path_buf(),
                    len: data.len() as u64,
                    detail: format!(
                        "segment at offset {:#x} size {:#x} ends past the end of the file",
                        p.p_offset(endian),
                        p.p_filesz(endian)
                    ),
                })?;
                let seg = (p.p_vaddr(endian), bytes);
                if p.p_flags(endian) & elf::PF_X != 0 {
                    code.push(CodeSection {
                        name: b"(segment)",
                        addr: seg.0,
                        bytes: seg.1,
                    });
                } else {
                    datas.push(DataSection {
                        addr: seg.0,
                        bytes: seg.1,
                    });
                }
            }
        }
    }
    if code.is_empty() {
        return Err(Error::Usage(format!(
            "{}: no code (no executable section or segment)",
            path.display()
        )));
    }
    code.sort_by_key(|s| s.addr);
    // Overlapping code sections (a malformed file) would give two instructions one address.
    for w in code.windows(2) {
        if w[0].addr + w[0].bytes.len() as u64 > w[1].addr {
            return Err(bad(
                path,
                format!(
                    "code sections {} and {} overlap",
                    String::from_utf8_lossy(w[0].name),
                    String::from_utf8_lossy(w[1].name)
                ),
            ));
        }
    }
    let mut image = CodeImage {
        arch,
        linkage: Linkage::Static,
        entry: None,
        code,
        data: datas,
        funcs: Vec::new(),
        has_symtab: false,
        reloc_pointers: Vec::new(),
        imports: HashMap::new(),
    };
    let entry = header.e_entry(endian);
    image.entry = (entry != 0 && image.in_code(entry)).then_some(entry);

    // Function symbols: .symtab, else .dynsym.
    let mut exported_any = false;
    for (table, exported) in [(elf::SHT_SYMTAB, false), (elf::SHT_DYNSYM, true)] {
        let symtab = sections
            .symbols(endian, data, table)
            .map_err(|e| bad(path, e))?;
        if table == elf::SHT_SYMTAB && !symtab.is_empty() {
            image.has_symtab = true;
        }
        for sym in symtab.symbols().iter().skip(1) {
            let ty = sym.st_type();
            if (ty != elf::STT_FUNC && ty != elf::STT_GNU_IFUNC) || sym.st_shndx(endian) == 0 {
                continue;
            }
            let addr = sym.st_value(endian);
            if !image.in_code(addr) {
                continue;
            }
            exported_any |= exported;
            image.funcs.push(FuncSym {
                addr,
                size: sym.st_size(endian),
                name: symtab.symbol_name(endian, sym).unwrap_or(b""),
                exported,
            });
        }
    }
    // One symbol an address: the .symtab one first, a global name over a local one would be
    // nicer but the first is deterministic; exported if any alias is.
    image
        .funcs
        .sort_by(|a, b| a.addr.cmp(&b.addr).then(b.size.cmp(&a.size)));
    let mut merged: Vec<FuncSym<'_>> = Vec::with_capacity(image.funcs.len());
    for f in image.funcs.drain(..) {
        match merged.last_mut() {
            Some(last) if last.addr == f.addr => last.exported |= f.exported,
            _ => merged.push(f),
        }
    }
    image.funcs = merged;

    image.linkage = match (e_type, interp) {
        (_, true) => Linkage::Dynamic,
        (elf::ET_EXEC, false) => Linkage::Static,
        _ if image.entry.is_none() || exported_any && !has_static_pie_start(&image) => {
            Linkage::SharedLibrary
        }
        _ => Linkage::StaticPie,
    };

    // Relocations: code pointers stored into data, and imported functions' GOT slots.
    let (relative, irelative, abs64, jump_slot, glob_dat) = match arch {
        Arch::X86_64 => (
            elf::R_X86_64_RELATIVE,
            elf::R_X86_64_IRELATIVE,
            elf::R_X86_64_64,
            elf::R_X86_64_JUMP_SLOT,
            elf::R_X86_64_GLOB_DAT,
        ),
        Arch::Aarch64 => (
            elf::R_AARCH64_RELATIVE,
            elf::R_AARCH64_IRELATIVE,
            elf::R_AARCH64_ABS64,
            elf::R_AARCH64_JUMP_SLOT,
            elf::R_AARCH64_GLOB_DAT,
        ),
    };
    for (index, s) in sections.iter().enumerate() {
        if s.sh_type(endian) != elf::SHT_RELA || s.sh_flags(endian) & u64::from(elf::SHF_ALLOC) == 0
        {
            continue;
        }
        let Ok(Some((relas, link))) = s.rela(endian, data) else {
            return Err(bad(
                path,
                format!("relocation section {index} is malformed"),
            ));
        };
        let symtab = if link.0 == 0 {
            None
        } else {
            sections.symbol_table_by_index(endian, data, link).ok()
        };
        for r in relas {
            let ty = r.r_type(endian, false);
            let addend = r.r_addend(endian) as u64;
            let sym = r.r_sym(endian, false);
            let target = symtab
                .as_ref()
                .and_then(|t| t.symbol(object::SymbolIndex(sym as usize)).ok());
            if ty == relative || ty == irelative {
                image.reloc_pointers.push(addend);
            } else if ty == abs64 || ty == jump_slot || ty == glob_dat {
                match target {
                    Some(t) if t.st_shndx(endian) != 0 => {
                        image
                            .reloc_pointers
                            .push(t.st_value(endian).wrapping_add(addend));
                    }
                    Some(t) => {
                        if let Some(table) = symtab.as_ref() {
                            let name = table.symbol_name(endian, t).unwrap_or(b"");
                            image.imports.insert(r.r_offset(endian), name);
                        }
                    }
                    None => {}
                }
            }
        }
    }
    Ok(image)
}

/// A static PIE exports nothing but may carry a `.dynsym`; a shared library's entry (if any)
/// is not `_start`. Only called when the file has an entry and exported functions.
fn has_static_pie_start(image: &CodeImage<'_>) -> bool {
    image
        .funcs
        .iter()
        .any(|f| Some(f.addr) == image.entry && f.name == b"_start")
}

fn machine_name(m: u16) -> &'static str {
    match m {
        elf::EM_386 => "i386",
        elf::EM_ARM => "32-bit ARM",
        elf::EM_RISCV => "RISC-V",
        elf::EM_PPC64 => "PowerPC 64",
        elf::EM_PPC => "PowerPC",
        elf::EM_S390 => "s390",
        elf::EM_MIPS => "MIPS",
        elf::EM_SPARCV9 => "SPARC V9",
        elf::EM_LOONGARCH => "LoongArch",
        _ => "unknown machine",
    }
}
