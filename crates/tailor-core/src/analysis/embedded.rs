//! Stage 2, analysis: ELF images embedded in the link's own objects — consumers of the image
//! that no manifest names. OSv links its vDSO (`libvdso.so`, which imports `clock_gettime`,
//! `gettimeofday`, `time`, `__errno_location` and `fsgsbase_avail` from the kernel) into the
//! kernel through `libvdso-content.o`, an `.incbin` of the library in `.data`; a bootfs
//! object carries files the same way. An image is found where its ELF header stands in a
//! section of a relocatable object and everything the header points at fits in the section.

use std::path::Path;

use object::read::elf::{FileHeader, SectionHeader};
use object::Endianness;

use crate::inputs::Part;

/// The executables and shared objects embedded in the sections of `data`, a relocatable ELF
/// object (anything else has none).
pub fn images_in_object(data: &[u8]) -> Vec<Part> {
    match data.get(4) {
        Some(1) => images::<object::elf::FileHeader32<Endianness>>(data),
        Some(2) => images::<object::elf::FileHeader64<Endianness>>(data),
        _ => Vec::new(),
    }
}

fn images<H: FileHeader<Endian = Endianness>>(data: &[u8]) -> Vec<Part> {
    let Ok(header) = H::parse(data) else {
        return Vec::new();
    };
    let Ok(endian) = header.endian() else {
        return Vec::new();
    };
    if header.e_type(endian) != object::elf::ET_REL {
        return Vec::new();
    }
    let Ok(sections) = header.sections(endian, data) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for section in sections.iter() {
        if section.sh_type(endian) != object::elf::SHT_PROGBITS {
            continue;
        }
        let Ok(bytes) = section.data(endian, data) else {
            continue;
        };
        // Named only when it holds an image (most sections hold none).
        let name = || {
            sections
                .section_name(endian, section)
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_default()
        };
        let file_offset = section.sh_offset(endian).into() as usize;
        let mut at = 0;
        while let Some(i) = find_magic(&bytes[at..]) {
            let start = at + i;
            match image_len(&bytes[start..]) {
                Some(len) => {
                    out.push(Part {
                        section: name(),
                        offset_in_section: start as u64,
                        range: file_offset + start..file_offset + start + len,
                    });
                    at = start + len;
                }
                None => at = start + 1,
            }
        }
    }
    out
}

/// The offset of the next `\x7fELF` in `bytes`.
fn find_magic(bytes: &[u8]) -> Option<usize> {
    // One searcher for the run: `memmem::find` builds one a call, which over musl's 16,000
    // sections cost more than the searching.
    static MAGIC: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\x7fELF"));
    if bytes.len() < SMALLEST_HEADER {
        return None;
    }
    MAGIC.find(bytes)
}

/// The size of the smallest ELF file header (32-bit): a section holds no image in fewer bytes.
const SMALLEST_HEADER: usize = 52;

/// The length of the executable or shared object whose header starts `bytes`: the end of the
/// furthest table or section it points at, when all of them fit.
fn image_len(bytes: &[u8]) -> Option<usize> {
    match bytes.get(4) {
        Some(1) => image_len_as::<object::elf::FileHeader32<Endianness>>(bytes),
        Some(2) => image_len_as::<object::elf::FileHeader64<Endianness>>(bytes),
        _ => None,
    }
}

fn image_len_as<H: FileHeader<Endian = Endianness>>(bytes: &[u8]) -> Option<usize> {
    let header = H::parse(bytes).ok()?;
    let endian = header.endian().ok()?;
    if !matches!(
        header.e_type(endian),
        object::elf::ET_DYN | object::elf::ET_EXEC
    ) {
        return None;
    }
    let mut end = header.e_ehsize(endian) as u64;
    let table = |off: u64, n: u64, size: u64| off.checked_add(n.checked_mul(size)?);
    end = end.max(table(
        header.e_phoff(endian).into(),
        header.e_phnum(endian) as u64,
        header.e_phentsize(endian) as u64,
    )?);
    end = end.max(table(
        header.e_shoff(endian).into(),
        header.e_shnum(endian) as u64,
        header.e_shentsize(endian) as u64,
    )?);
    let sections = header.sections(endian, bytes).ok()?;
    if sections.is_empty() {
        return None;
    }
    for s in sections.iter() {
        if s.sh_type(endian) != object::elf::SHT_NOBITS {
            end = end.max(
                s.sh_offset(endian)
                    .into()
                    .checked_add(s.sh_size(endian).into())?,
            );
        }
    }
    let end = usize::try_from(end).ok()?;
    (end <= bytes.len()).then_some(end)
}

/// The images embedded in the relocatable objects among `objects`, as consumer candidates,
/// in the objects' order. Unreadable or non-ELF files are skipped: the link itself reports
/// them.
pub fn candidates(objects: &[&Path]) -> Vec<crate::inputs::Candidate> {
    use rayon::prelude::*;
    let found: Vec<Vec<crate::inputs::Candidate>> = objects
        .par_iter()
        .map(|o| {
            let Ok(map) = crate::inputs::Mapped::open(o) else {
                return Vec::new();
            };
            candidates_of(o, images_in_object(map.bytes()))
        })
        .collect();
    found.into_iter().flatten().collect()
}

/// The images embedded in the relocatable objects a link reads (already mapped), as consumer
/// candidates, in the link's order.
pub fn candidates_in_link(files: &super::link_model::LinkFiles) -> Vec<crate::inputs::Candidate> {
    use rayon::prelude::*;
    let cwd = std::env::current_dir().unwrap_or_default();
    let found: Vec<Vec<crate::inputs::Candidate>> = files
        .files
        .par_iter()
        .filter(|f| f.kind == super::link_model::FileKind::Object)
        // Named as the command names them: relative to the directory the link runs in (worked
        // out only for the rare object holding an image: `strip_prefix` walks both paths'
        // components, 3 M instructions over musl's 1,343 objects).
        .map(|f| match images_in_object(f.bytes.get()) {
            parts if parts.is_empty() => Vec::new(),
            parts => candidates_of(f.path.strip_prefix(&cwd).unwrap_or(&f.path), parts),
        })
        .collect();
    found.into_iter().flatten().collect()
}

/// The images `parts` embedded in the object at `path`, as consumer candidates.
fn candidates_of(path: &Path, parts: Vec<Part>) -> Vec<crate::inputs::Candidate> {
    parts
        .into_iter()
        .map(|part| crate::inputs::Candidate {
            path: path.to_path_buf(),
            origin: crate::inputs::Origin::Collected,
            regular: true,
            part: Some(part),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nothing_in_garbage_and_truncated_images() {
        assert!(images_in_object(b"").is_empty());
        assert!(images_in_object(b"\x7fELF\x02\x01\x01").is_empty());
        assert_eq!(
            image_len(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0"),
            None
        );
    }
}
