//! Stage 4, build: embedded artifact archives — a reproducible tar (sorted names, regular files
//! and symlinks only, zero owner, group and mtime or SOURCE_DATE_EPOCH), compressed with xz or
//! zstd, behind a header (magic, format version, name, compression, payload length, blake3
//! checksum) so it can be found even in a stripped image, emitted as a relocatable ELF object
//! with global symbols `NAME_data`, `NAME_data_end` and `NAME_size`.
//!
//! Header layout (little-endian): magic (16) | version u32 | name length u32 | name, padded to
//! 8 | compression u32 | reserved u32 | payload length u64 | blake3 of the payload (32) |
//! payload. `NAME_data` is the payload's first byte.

use std::io::Write;
use std::path::{Path, PathBuf};

use object::write::{Object, StandardSection, Symbol, SymbolSection};
use object::{Architecture, BinaryFormat, Endianness, SymbolFlags, SymbolKind, SymbolScope};

use crate::error::{Error, Result};

/// The header's magic.
pub const MAGIC: &[u8; 16] = b"\x7fTAILOR-EMBED\x00\x01\x02";
/// The header format version.
pub const VERSION: u32 = 1;

/// How the tar is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Xz,
    Zstd,
}

impl Compression {
    fn code(self) -> u32 {
        match self {
            Compression::None => 0,
            Compression::Xz => 1,
            Compression::Zstd => 2,
        }
    }
    fn from_code(c: u32) -> Option<Self> {
        Some(match c {
            0 => Compression::None,
            1 => Compression::Xz,
            2 => Compression::Zstd,
            _ => return None,
        })
    }
    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
        }
    }
}

/// One file of the archive: its path inside it and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Member {
    pub name: String,
    pub source: PathBuf,
}

/// The files under the inputs (a directory's contents at the archive's root, a file by its
/// name), sorted by archive path; symlinks are members themselves, not followed.
pub fn collect_members(inputs: &[PathBuf]) -> Result<Vec<Member>> {
    let mut members = Vec::new();
    for input in inputs {
        let meta = std::fs::symlink_metadata(input).map_err(|e| Error::io("reading", input, e))?;
        if meta.is_dir() {
            walk(input, "", &mut members)?;
        } else {
            let name = input
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            members.push(Member {
                name,
                source: input.clone(),
            });
        }
    }
    members.sort();
    members.dedup_by(|a, b| a.name == b.name);
    Ok(members)
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<Member>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io("reading directory", dir, e))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = format!("{prefix}{}", e.file_name().to_string_lossy());
        let ft = e
            .file_type()
            .map_err(|er| Error::io("reading", &e.path(), er))?;
        if ft.is_dir() {
            walk(&e.path(), &format!("{name}/"), out)?;
        } else if ft.is_file() || ft.is_symlink() {
            out.push(Member {
                name,
                source: e.path(),
            });
        }
    }
    Ok(())
}

/// Builds the tar of `members` (comments stripped from headers when asked).
pub fn build_tar(members: &[Member], strip_comments: bool, mtime: u64) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    for m in members {
        let meta =
            std::fs::symlink_metadata(&m.source).map_err(|e| Error::io("reading", &m.source, e))?;
        let mut header = tar::Header::new_gnu();
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        let tar_err = |e: std::io::Error| Error::io("adding to the archive", &m.source, e);
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&m.source)
                .map_err(|e| Error::io("reading link", &m.source, e))?;
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_mode(0o777);
            header.set_size(0);
            builder
                .append_link(&mut header, &m.name, &target)
                .map_err(tar_err)?;
        } else {
            let mut data =
                std::fs::read(&m.source).map_err(|e| Error::io("reading", &m.source, e))?;
            if strip_comments && super::strip_comments::is_header(&m.name) {
                data = super::strip_comments::strip(&data);
            }
            use std::os::unix::fs::PermissionsExt;
            let exec = meta.permissions().mode() & 0o111 != 0;
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(if exec { 0o755 } else { 0o644 });
            header.set_size(data.len() as u64);
            builder
                .append_data(&mut header, &m.name, data.as_slice())
                .map_err(tar_err)?;
        }
    }
    builder
        .into_inner()
        .map_err(|e| Error::io("finishing", Path::new("the archive"), e))
}

/// Compresses (deterministically: single-threaded, fixed levels).
pub fn compress(data: &[u8], how: Compression) -> Result<Vec<u8>> {
    let err = |e: std::io::Error| Error::io("compressing", Path::new("the archive"), e);
    match how {
        Compression::None => Ok(data.to_vec()),
        Compression::Xz => {
            // Preset 6 (xz's default, as Linux's IKHEADERS uses): its 8 MiB dictionary covers
            // header trees; preset 9 allocates 674 MiB to set up even for a few kilobytes.
            let mut enc = xz2::write::XzEncoder::new(Vec::new(), 6);
            enc.write_all(data).map_err(err)?;
            enc.finish().map_err(err)
        }
        // Level 19 for trees, 15 below 1 MiB: on tailor's 20 KB plan, 19 costs 23 ms of CPU
        // (btultra2's second pass) for 15 bytes less than 15 gives in 2 ms (1,665 against
        // 1,680 bytes, musl's plan for hello and lua) — on every link.
        Compression::Zstd => {
            let level = if data.len() < 1 << 20 { 15 } else { 19 };
            zstd::bulk::compress(data, level).map_err(err)
        }
    }
}

/// Decompresses, refusing more than `limit` bytes of output (a bomb is an error, not an OOM).
pub fn decompress(
    data: &[u8],
    how: Compression,
    limit: u64,
) -> std::result::Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = Vec::new();
    let read = match how {
        Compression::None => return Ok(data.to_vec()),
        Compression::Xz => xz2::read::XzDecoder::new(data)
            .take(limit + 1)
            .read_to_end(&mut out),
        Compression::Zstd => zstd::stream::read::Decoder::new(data)
            .and_then(|d| d.take(limit + 1).read_to_end(&mut out)),
    };
    read.map_err(|e| format!("corrupt {} payload: {e}", how.name()))?;
    if out.len() as u64 > limit {
        return Err(format!("payload expands beyond {limit} bytes"));
    }
    Ok(out)
}

/// The header followed by the payload.
pub fn framed(name: &str, how: Compression, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 128);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(name.len() as u32).to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    while out.len() % 8 != 0 {
        out.push(0);
    }
    out.extend_from_slice(&how.code().to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(blake3::hash(payload).as_bytes());
    out.extend_from_slice(payload);
    out
}

/// An archive found in an image.
#[derive(Debug, Clone)]
pub struct Found<'a> {
    pub name: String,
    pub compression: Compression,
    /// File offset of the header.
    pub offset: usize,
    pub payload: &'a [u8],
    pub checksum_ok: bool,
}

/// Parses a header at `offset` of `data`.
pub fn parse_at(data: &[u8], offset: usize) -> std::result::Result<Found<'_>, String> {
    let rest = data
        .get(offset..)
        .ok_or("offset past the end of the file")?;
    if !rest.starts_with(MAGIC) {
        return Err("no archive header at this offset".into());
    }
    let u32_at = |o: usize| -> std::result::Result<u32, String> {
        let b = rest.get(o..o + 4).ok_or("truncated header")?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let version = u32_at(16)?;
    if version != VERSION {
        return Err(format!("unsupported archive format version {version}"));
    }
    let name_len = u32_at(20)? as usize;
    if name_len > 255 {
        return Err(format!("bad name length {name_len}"));
    }
    let name = rest.get(24..24 + name_len).ok_or("truncated header")?;
    let name = std::str::from_utf8(name)
        .map_err(|_| "name is not UTF-8")?
        .to_string();
    let fixed = (24 + name_len).next_multiple_of(8);
    let compression = Compression::from_code(u32_at(fixed)?).ok_or("unknown compression")?;
    let len_bytes = rest.get(fixed + 8..fixed + 16).ok_or("truncated header")?;
    let len = u64::from_le_bytes(len_bytes.try_into().map_err(|_| "truncated header")?);
    let checksum = rest.get(fixed + 16..fixed + 48).ok_or("truncated header")?;
    let start = fixed + 48;
    let payload = usize::try_from(len)
        .ok()
        .and_then(|l| rest.get(start..start.checked_add(l)?))
        .ok_or_else(|| {
            format!(
                "archive `{name}` is truncated: payload of {len} bytes past the end of the file"
            )
        })?;
    let checksum_ok = blake3::hash(payload).as_bytes() == checksum;
    Ok(Found {
        name,
        compression,
        offset,
        payload,
        checksum_ok,
    })
}

/// Every archive in `data`, found by the header's magic (works on stripped images).
pub fn find_all(data: &[u8]) -> Vec<std::result::Result<Found<'_>, (usize, String)>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = data[from..].windows(MAGIC.len()).position(|w| w == MAGIC) {
        let at = from + p;
        out.push(parse_at(data, at).map_err(|e| (at, e)));
        from = at + MAGIC.len();
    }
    out
}

/// The symbol prefix of an archive name (`tailor-plan` → `tailor_plan`).
pub fn symbol_prefix(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The symbols an archive's object defines: NAME_data, NAME_data_end, NAME_size.
pub fn symbol_names(name: &str) -> [String; 3] {
    let prefix = symbol_prefix(name);
    ["data", "data_end", "size"].map(|s| format!("{prefix}_{s}"))
}

/// The target of the object: `--like OBJ` (architecture, endianness, ELF flags of an existing
/// object of the build) or `--target x86_64|i386|aarch64|arm|riscv64|ppc|ppc64|ppc64le|s390x`.
pub fn object_target(
    like: Option<&Path>,
    target: Option<&str>,
) -> Result<(Architecture, Endianness, Option<object::FileFlags>)> {
    use object::Object as _;
    if let Some(path) = like {
        let data = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
        let file = object::File::parse(&*data).map_err(|e| Error::elf(path, "ELF header", e))?;
        let endian = if file.is_little_endian() {
            Endianness::Little
        } else {
            Endianness::Big
        };
        return Ok((file.architecture(), endian, Some(file.flags())));
    }
    let (arch, endian) = match target.unwrap_or(std::env::consts::ARCH) {
        "x86_64" => (Architecture::X86_64, Endianness::Little),
        "i386" | "x86" | "i686" => (Architecture::I386, Endianness::Little),
        "aarch64" => (Architecture::Aarch64, Endianness::Little),
        "arm" => (Architecture::Arm, Endianness::Little),
        "riscv64" => (Architecture::Riscv64, Endianness::Little),
        "ppc" | "powerpc" => (Architecture::PowerPc, Endianness::Big),
        "ppc64" | "powerpc64" => (Architecture::PowerPc64, Endianness::Big),
        "ppc64le" => (Architecture::PowerPc64, Endianness::Little),
        "s390x" => (Architecture::S390x, Endianness::Big),
        other => return Err(Error::Usage(format!("unknown --target `{other}`"))),
    };
    Ok((arch, endian, None))
}

/// Where the archive goes in the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Loaded read-only data (`.rodata` or the named section), with global symbols a program
    /// (or a kernel serving its headers) can read at run time.
    Loaded(Option<String>),
    /// A non-allocated section: in the file (found by `tailor extract`), never loaded, never
    /// removed by `--gc-sections`, exporting nothing; its symbols are local.
    FileOnly(String),
}

/// The relocatable object holding `framed`, with NAME_data, NAME_data_end and NAME_size
/// (absolute).
pub fn object_bytes(
    name: &str,
    framed: &[u8],
    payload_len: u64,
    placement: &Placement,
    (arch, endian, flags): (Architecture, Endianness, Option<object::FileFlags>),
) -> Result<Vec<u8>> {
    let mut obj = Object::new(BinaryFormat::Elf, arch, endian);
    if let Some(f) = flags {
        obj.flags = f;
    }
    let (id, scope) = match placement {
        Placement::Loaded(Some(s)) => (
            obj.add_section(
                Vec::new(),
                s.as_bytes().to_vec(),
                object::SectionKind::ReadOnlyData,
            ),
            SymbolScope::Dynamic,
        ),
        Placement::Loaded(None) => (
            obj.section_id(StandardSection::ReadOnlyData),
            SymbolScope::Dynamic,
        ),
        Placement::FileOnly(s) => (
            obj.add_section(
                Vec::new(),
                s.as_bytes().to_vec(),
                object::SectionKind::Elf(object::elf::SHT_PROGBITS),
            ),
            SymbolScope::Compilation,
        ),
    };
    if let Placement::FileOnly(_) = placement {
        // GNU ld's --gc-sections drops the non-allocated sections of an object none of whose
        // sections is live; SHF_GNU_RETAIN keeps it (GNU ld 2.36+, lld 13+, mold). GNU ld
        // honours the flag only in ELFOSABI_GNU objects, as gas marks them when it emits it.
        obj.section_mut(id).flags = object::SectionFlags::Elf {
            sh_flags: u64::from(object::elf::SHF_GNU_RETAIN),
        };
        obj.flags = match obj.flags {
            object::FileFlags::Elf {
                abi_version,
                e_flags,
                ..
            } => object::FileFlags::Elf {
                os_abi: object::elf::ELFOSABI_GNU,
                abi_version,
                e_flags,
            },
            _ => object::FileFlags::Elf {
                os_abi: object::elf::ELFOSABI_GNU,
                abi_version: 0,
                e_flags: 0,
            },
        };
    }
    let base = obj.append_section_data(id, framed, 8);
    // No executable stack: without this note GNU ld makes the linked image's stack executable.
    obj.add_section(
        Vec::new(),
        b".note.GNU-stack".to_vec(),
        object::SectionKind::Elf(object::elf::SHT_PROGBITS),
    );
    let payload_start = base + framed.len() as u64 - payload_len;
    let prefix = symbol_prefix(name);
    let mut add = |sym: &str, value: u64, size: u64, section: SymbolSection| {
        obj.add_symbol(Symbol {
            name: format!("{prefix}_{sym}").into_bytes(),
            value,
            size,
            kind: SymbolKind::Data,
            scope,
            weak: false,
            section,
            flags: SymbolFlags::None,
        });
    };
    add(
        "data",
        payload_start,
        payload_len,
        SymbolSection::Section(id),
    );
    add(
        "data_end",
        payload_start + payload_len,
        0,
        SymbolSection::Section(id),
    );
    add("size", payload_len, 0, SymbolSection::Absolute);
    obj.write()
        .map_err(|e| Error::Usage(format!("writing the object for `{name}`: {e}")))
}
