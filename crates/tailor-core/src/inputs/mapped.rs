//! Read-only memory maps of input files (an empty file is an empty slice, not an error).

use std::path::Path;

use memmap2::Mmap;

use crate::error::{Error, Result};

/// A file's bytes, memory-mapped.
#[derive(Debug)]
pub enum Mapped {
    /// A non-empty file.
    Map(Mmap),
    /// A zero-length file (mmap refuses those).
    Empty,
    /// A part of a file: an ELF image embedded in an object's section.
    Part(Mmap, std::ops::Range<usize>),
}

impl Mapped {
    /// Opens and maps `path`, a regular file (anything else is refused before it is opened).
    pub fn open(path: &Path) -> Result<Self> {
        super::regular_file(path, "opening")?;
        let file = std::fs::File::open(path).map_err(|e| Error::io("opening", path, e))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io("reading", path, e))?
            .len();
        if len == 0 {
            return Ok(Mapped::Empty);
        }
        // SAFETY: the map is read-only; a file truncated underneath us by another process could
        // fault, as with every mmap-based tool (ld, nm); inputs are build products we read once.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io("mapping", path, e))?;
        Ok(Mapped::Map(map))
    }

    /// Maps the bytes `range` of `path` (an image inside it); a range past the end is an error.
    pub fn open_part(path: &Path, range: std::ops::Range<usize>) -> Result<Self> {
        match Mapped::open(path)? {
            Mapped::Map(m) if range.end <= m.len() && range.start < range.end => {
                Ok(Mapped::Part(m, range))
            }
            other => Err(Error::Truncated {
                path: path.to_path_buf(),
                len: other.bytes().len() as u64,
                detail: format!(
                    "an embedded image at bytes {:#x}..{:#x} ends past the file",
                    range.start, range.end
                ),
            }),
        }
    }

    /// The file's bytes (the part's, for a part).
    pub fn bytes(&self) -> &[u8] {
        match self {
            Mapped::Map(m) => m,
            Mapped::Empty => &[],
            Mapped::Part(m, r) => &m[r.clone()],
        }
    }

    /// Drops the pages mapped so far from this process (they stay in the page cache); the map
    /// stays valid and re-faults if read again.
    pub fn release_pages(&self) {
        if let Mapped::Map(m) = self {
            // SAFETY: a read-only private file mapping: DONTNEED only drops clean page-table
            // entries; later reads fault the same file contents back in.
            let _ = unsafe { m.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
        }
    }

    /// [`Mapped::release_pages`] for the whole pages inside `part`, a slice of this map.
    pub fn release_range(&self, part: &[u8]) {
        let (Mapped::Map(m) | Mapped::Part(m, _)) = self else {
            return;
        };
        const PAGE: usize = 4096;
        let base = m.as_ptr() as usize;
        let from = part.as_ptr() as usize;
        if from < base || from + part.len() > base + m.len() {
            return;
        }
        let start = (from - base).next_multiple_of(PAGE);
        let end = (from - base + part.len()) / PAGE * PAGE;
        if end > start {
            // SAFETY: as in release_pages, on a sub-range of the same read-only map.
            let _ = unsafe {
                m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
            };
        }
    }

    /// Whether the file starts with the ELF magic.
    pub fn is_elf(&self) -> bool {
        self.bytes().starts_with(b"\x7fELF")
    }
}
