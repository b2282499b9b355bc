//! Stage 2, analysis: the provider's own by-name lookups, read exactly from its object files.
//!
//! A dynamic linker that looks its own entry points up (`find_sym(&ldso, "__dls3")`) passes a
//! string literal; in an object file that literal is a whole NUL-terminated string that a
//! relocation points at — nothing is merged yet. So the strings referenced by relocations of
//! the link's objects (and archive members), taken whole, are the provider's candidate
//! by-name lookups, with none of the string *tails* a scan of the linked image must assume
//! (`pipe` in "Broken pipe", `system` in "Read-only file system").

use std::path::Path;

use object::elf;
use object::read::elf::{FileHeader, Rel, Rela, SectionHeader, Sym};
use object::Endianness;
use rayon::prelude::*;

use super::byname::ByNameHit;
use super::exports::Exports;
use crate::error::{Error, Result};
use crate::inputs::Mapped;

/// A by-name hit found in an object: the export and where the string is.
#[derive(Debug, Clone)]
pub struct ObjectHit<'n> {
    pub name: &'n [u8],
    /// `object.o` or `archive.a(member.o)`, then `:section`.
    pub place: String,
    pub offset: u64,
}

/// Scans the link inputs that are objects or archives, given with their sizes (`None`: missing
/// or not a file); other inputs (shared libraries, linker scripts) are skipped. Hits are
/// sorted and each export named once per place.
pub fn scan_link_inputs<'n>(
    inputs: &[(&Path, Option<u64>)],
    exports: &Exports<'n>,
) -> Result<Vec<ObjectHit<'n>>> {
    let per_file: Vec<Result<Vec<ObjectHit<'n>>>> = inputs
        .par_iter()
        .map(|&(path, size)| match size {
            Some(size) => scan_file(path, size, exports),
            None => Ok(Vec::new()),
        })
        .collect();
    let mut hits = Vec::new();
    for r in per_file {
        hits.extend(r?);
    }
    Ok(hits)
}

fn scan_file<'n>(path: &Path, size: u64, exports: &Exports<'n>) -> Result<Vec<ObjectHit<'n>>> {
    // Objects are small (musl's average 3 KB): open + one read costs less than mmap + munmap,
    // which serialize on the process's mmap lock (1,300 objects: 30 ms mapped, 5 ms read).
    let owned;
    let map;
    let data: &[u8] = if size < (1 << 20) {
        owned = read_exact_size(path, size)?;
        &owned
    } else {
        map = Mapped::open(path)?;
        map.bytes()
    };
    let display = path.display().to_string();
    if data.starts_with(b"!<arch>\n") || data.starts_with(b"!<thin>\n") {
        let archive = object::read::archive::ArchiveFile::parse(data)
            .map_err(|e| Error::elf(path, "archive", e))?;
        let mut hits = Vec::new();
        for member in archive.members() {
            let member = member.map_err(|e| Error::elf(path, "archive members", e))?;
            let Ok(bytes) = member.data(data) else {
                continue;
            };
            let place = format!("{display}({})", String::from_utf8_lossy(member.name()));
            hits.extend(scan_object(path, &place, bytes, exports)?);
        }
        return Ok(hits);
    }
    scan_object(path, &display, data, exports)
}

/// Reads a file whose size is known: open, one read, close.
fn read_exact_size(path: &Path, size: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| Error::io("opening", path, e))?;
    let mut buf = Vec::with_capacity(size as usize);
    file.read_to_end(&mut buf)
        .map_err(|e| Error::io("reading", path, e))?;
    Ok(buf)
}

/// One relocatable object (anything else is skipped).
fn scan_object<'n>(
    path: &Path,
    place: &str,
    data: &[u8],
    exports: &Exports<'n>,
) -> Result<Vec<ObjectHit<'n>>> {
    if !data.starts_with(b"\x7fELF") || data.len() < 20 {
        return Ok(Vec::new());
    }
    match data[4] {
        elf::ELFCLASS32 => {
            scan_generic::<elf::FileHeader32<Endianness>>(path, place, data, exports)
        }
        elf::ELFCLASS64 => {
            scan_generic::<elf::FileHeader64<Endianness>>(path, place, data, exports)
        }
        _ => Ok(Vec::new()),
    }
}

fn scan_generic<'n, H: FileHeader<Endian = Endianness>>(
    path: &Path,
    place: &str,
    data: &[u8],
    exports: &Exports<'n>,
) -> Result<Vec<ObjectHit<'n>>> {
    let err =
        |e: object::read::Error| Error::elf(path, "object relocations", format!("{place}: {e}"));
    let header = H::parse(data).map_err(err)?;
    let endian = header.endian().map_err(err)?;
    if header.e_type(endian) != elf::ET_REL {
        return Ok(Vec::new());
    }
    let sections = header.sections(endian, data).map_err(err)?;
    let symtab = sections
        .symbols(endian, data, elf::SHT_SYMTAB)
        .map_err(err)?;
    let mips64el = header.is_mips64el(endian);
    let mut hits = Vec::new();
    for rel_section in sections.iter() {
        let target = rel_section.sh_info(endian) as usize;
        let Ok(target_section) = sections.section(object::SectionIndex(target)) else {
            continue;
        };
        let target_flags: u64 = target_section.sh_flags(endian).into();
        if target_flags & u64::from(elf::SHF_ALLOC) == 0 {
            continue;
        }
        // (symbol index, explicit addend or None for REL)
        let mut refs: Vec<(u32, Option<i64>, u64)> = Vec::new();
        if let Some((relas, _)) = rel_section.rela(endian, data).map_err(err)? {
            refs.extend(relas.iter().map(|r| {
                (
                    r.r_sym(endian, mips64el),
                    Some(r.r_addend(endian).into()),
                    r.r_offset(endian).into(),
                )
            }));
        } else if let Some((rels, _)) = rel_section.rel(endian, data).map_err(err)? {
            refs.extend(
                rels.iter()
                    .map(|r| (r.r_sym(endian), None, r.r_offset(endian).into())),
            );
        } else {
            continue;
        }
        let target_data = target_section.data(endian, data).unwrap_or(&[]);
        for (sym_index, addend, r_offset) in refs {
            let Ok(sym) = symtab.symbol(object::SymbolIndex(sym_index as usize)) else {
                continue;
            };
            let shndx = sym.st_shndx(endian);
            if shndx == elf::SHN_UNDEF || shndx >= elf::SHN_LORESERVE {
                continue;
            }
            let Ok(section) = sections.section(object::SectionIndex(usize::from(shndx))) else {
                continue;
            };
            if !is_read_only_data(section, endian) {
                continue;
            }
            let Ok(bytes) = section.data(endian, data) else {
                continue;
            };
            let addend = addend.unwrap_or_else(|| {
                implicit_addend(target_data, r_offset, header.is_little_endian())
            });
            let value: u64 = sym.st_value(endian).into();
            let mut candidates = vec![value.wrapping_add(addend as u64)];
            if sym.st_type() == elf::STT_SECTION {
                // PC-relative references carry the instruction's tail in the addend (-4).
                candidates.push(value.wrapping_add(addend as u64).wrapping_add(4));
            } else {
                candidates.push(value);
            }
            for off in candidates {
                if let Some(name) = string_at(bytes, off).and_then(|s| exports.canonical(s)) {
                    let section_name = sections.section_name(endian, section).unwrap_or(b"?");
                    hits.push(ObjectHit {
                        name,
                        place: format!("{place}:{}", String::from_utf8_lossy(section_name)),
                        offset: off,
                    });
                }
            }
        }
    }
    hits.sort_by(|a, b| (a.name, &a.place).cmp(&(b.name, &b.place)));
    hits.dedup_by(|a, b| (a.name, &a.place) == (b.name, &b.place));
    Ok(hits)
}

fn is_read_only_data<S: SectionHeader<Endian = Endianness>>(s: &S, endian: Endianness) -> bool {
    let flags: u64 = s.sh_flags(endian).into();
    s.sh_type(endian) == elf::SHT_PROGBITS
        && flags & u64::from(elf::SHF_ALLOC) != 0
        && flags & u64::from(elf::SHF_WRITE | elf::SHF_EXECINSTR) == 0
}

/// The addend a REL relocation keeps in the bytes it patches (32-bit word).
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

/// The whole NUL-terminated string starting at `offset` (it must start there: offset 0 or
/// right after a NUL).
fn string_at(bytes: &[u8], offset: u64) -> Option<&[u8]> {
    let o = usize::try_from(offset).ok()?;
    if o >= bytes.len() || (o > 0 && bytes[o - 1] != 0) {
        return None;
    }
    let len = bytes[o..].iter().position(|&b| b == 0)?;
    (len > 0).then(|| &bytes[o..o + len])
}

/// The hits as [`ByNameHit`]s for the plan (the place goes in the section field).
pub fn as_byname_hits<'a>(hits: &'a [ObjectHit<'a>]) -> Vec<ByNameHit<'a>> {
    hits.iter()
        .map(|h| ByNameHit {
            name: h.name,
            section: h.place.as_bytes(),
            offset: h.offset,
            suffix: false,
        })
        .collect()
}
