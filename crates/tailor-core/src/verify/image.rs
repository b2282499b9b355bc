//! Stage 5, verification: size figures of a linked image — file size, loadable size, the
//! allocated sections grouped as a size table (text, read-only data, data, bss, dynamic-linking
//! tables, other), with a total that adds up.

use std::path::Path;

use object::read::elf::{FileHeader, ProgramHeader, SectionHeader};
use object::{elf, Endianness};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::inputs::Mapped;

/// Size figures of one image.
#[derive(Debug, Clone, Serialize)]
pub struct ImageStats {
    pub file_size: u64,
    /// Sum of the PT_LOAD segments' memory sizes.
    pub loadable_size: u64,
    /// Allocated section bytes by group, in [`GROUPS`] order; sums to `allocated`.
    pub sections: Vec<(String, u64)>,
    /// All allocated section bytes.
    pub allocated: u64,
    /// Number of sections.
    pub section_count: usize,
}

/// The groups of the size table.
pub const GROUPS: [&str; 6] = ["text", "rodata", "data", "bss", "dynamic tables", "other"];

fn group_of(name: &[u8], sh_type: u32) -> usize {
    let n = String::from_utf8_lossy(name);
    let starts = |p: &str| n == p || n.starts_with(&format!("{p}."));
    if sh_type == elf::SHT_NOBITS {
        3
    } else if starts(".text") || starts(".init") || starts(".fini") || starts(".plt") {
        0
    } else if starts(".rodata")
        || starts(".eh_frame")
        || n == ".eh_frame_hdr"
        || starts(".gcc_except_table")
    {
        1
    } else if starts(".data")
        || starts(".got")
        || n.contains("_array")
        || starts(".tdata")
        || n == ".data.rel.ro"
    {
        2
    } else if matches!(
        sh_type,
        elf::SHT_DYNSYM
            | elf::SHT_DYNAMIC
            | elf::SHT_HASH
            | elf::SHT_GNU_HASH
            | elf::SHT_GNU_VERSYM
            | elf::SHT_GNU_VERDEF
            | elf::SHT_GNU_VERNEED
            | elf::SHT_RELA
            | elf::SHT_REL
    ) || n == ".dynstr"
        || n == ".interp"
    {
        4
    } else {
        5
    }
}

/// Reads the size figures of the ELF image at `path`.
pub fn stats(path: &Path) -> Result<ImageStats> {
    let map = Mapped::open(path)?;
    let data = map.bytes();
    let class = data.get(4).copied().unwrap_or(0);
    match class {
        elf::ELFCLASS32 => stats_generic::<elf::FileHeader32<Endianness>>(path, data),
        elf::ELFCLASS64 => stats_generic::<elf::FileHeader64<Endianness>>(path, data),
        _ => Err(Error::not_elf(path, data)),
    }
}

fn stats_generic<H: FileHeader<Endian = Endianness>>(
    path: &Path,
    data: &[u8],
) -> Result<ImageStats> {
    let err = |e: object::read::Error| Error::elf(path, "section headers", e);
    let header = H::parse(data).map_err(err)?;
    let endian = header.endian().map_err(err)?;
    let sections = header.sections(endian, data).map_err(err)?;
    let mut groups = [0u64; GROUPS.len()];
    for s in sections.iter() {
        let flags: u64 = s.sh_flags(endian).into();
        if flags & u64::from(elf::SHF_ALLOC) == 0 {
            continue;
        }
        let name = sections.section_name(endian, s).map_err(err)?;
        groups[group_of(name, s.sh_type(endian))] += s.sh_size(endian).into();
    }
    let loadable_size = header
        .program_headers(endian, data)
        .map_err(|e| Error::elf(path, "program headers", e))?
        .iter()
        .filter(|p| p.p_type(endian) == elf::PT_LOAD)
        .map(|p| p.p_memsz(endian).into())
        .sum();
    Ok(ImageStats {
        file_size: data.len() as u64,
        loadable_size,
        sections: GROUPS
            .iter()
            .zip(groups)
            .map(|(g, n)| (g.to_string(), n))
            .collect(),
        allocated: groups.iter().sum(),
        section_count: sections.len(),
    })
}
