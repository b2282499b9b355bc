//! Stage 1, inputs: the parts of a file a reader asks for, read with `pread` into one reused
//! buffer instead of mapping the whole file.
//!
//! Over the 3,500 ELF files of /usr the dynamic-linking facts live in a few hundred bytes to
//! a few megabytes of each (`.dynsym`, `.dynstr`, the version sections, `.dynamic`); mapping
//! every file cost a map, its page faults and an unmap each (half the run's time was the
//! kernel's). Reading just those byte ranges costs three or four `pread` calls a file, into a
//! buffer that only grows. The parts keep their file offsets' alignment (modulo 8), so
//! structures parse in place exactly as they would from a map.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use object::read::ReadRef;

use crate::error::{Error, Result};

/// Ranges closer than this are read as one (a page: one `pread` instead of two).
const MERGE_GAP: u64 = 4096;

/// An open regular file, read by parts.
#[derive(Debug)]
pub struct PartFile {
    file: File,
    len: u64,
}

impl PartFile {
    /// Opens `path`, a regular file (anything else is refused before it is opened, as
    /// [`super::Mapped::open`] does).
    pub fn open(path: &Path) -> Result<Self> {
        super::regular_file(path, "opening")?;
        let file = File::open(path).map_err(|e| Error::io("opening", path, e))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io("reading", path, e))?
            .len();
        Ok(PartFile { file, len })
    }

    /// The file's length when it was opened.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file was empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Fills `out` with the bytes at `offset`; `false` when they are not all there (past the
    /// end, or a read error: the caller reads the whole file instead, which reports it).
    pub fn read_at(&self, offset: u64, out: &mut [u8]) -> bool {
        offset
            .checked_add(out.len() as u64)
            .is_some_and(|end| end <= self.len)
            && self.file.read_exact_at(out, offset).is_ok()
    }
}

/// One part read: `len` bytes of the file at `offset`, at byte `at` of the buffer.
#[derive(Debug, Clone, Copy)]
struct Part {
    offset: u64,
    at: usize,
    len: usize,
}

/// The parts read from one file, in one buffer reused from file to file (it grows to the
/// largest file's parts and is never zeroed again: only its first `used` bytes mean anything).
#[derive(Debug, Default)]
pub struct PartsBuf {
    /// `u64`s so that the buffer starts 8-aligned; viewed as bytes.
    words: Vec<u64>,
    used: usize,
    parts: Vec<Part>,
}

impl PartsBuf {
    /// Forgets the parts read (keeps the memory).
    pub fn clear(&mut self) {
        self.used = 0;
        self.parts.clear();
    }

    /// Reads the byte ranges `(offset, len)` of `file` (in any order; close ones are read
    /// together) after the parts already read. `false` when one is not all in the file.
    pub fn read(&mut self, file: &PartFile, ranges: &mut [(u64, u64)]) -> bool {
        // Checked before anything is allocated: a bogus size in a header asks for terabytes.
        let in_file = |&(o, l): &(u64, u64)| o.checked_add(l).is_some_and(|end| end <= file.len);
        if !ranges.iter().all(in_file) {
            return false;
        }
        ranges.sort_unstable();
        let mut i = 0;
        while i < ranges.len() {
            let (start, mut end) = (ranges[i].0, ranges[i].0.saturating_add(ranges[i].1));
            i += 1;
            while let Some(&(o, l)) = ranges.get(i) {
                if o > end.saturating_add(MERGE_GAP) {
                    break;
                }
                end = end.max(o.saturating_add(l));
                i += 1;
            }
            if !self.read_one(file, start, end - start) {
                return false;
            }
        }
        true
    }

    fn read_one(&mut self, file: &PartFile, offset: u64, len: u64) -> bool {
        let Ok(len) = usize::try_from(len) else {
            return false;
        };
        if len == 0 || self.parts.iter().any(|p| contains(p, offset, len as u64)) {
            return true;
        }
        // The same alignment modulo 8 as in the file (and so as in a page-aligned map).
        let at = self.used.next_multiple_of(8) + (offset % 8) as usize;
        let end = at + len;
        let words = end.div_ceil(8);
        if self.words.len() < words {
            self.words.resize(words, 0);
        }
        let bytes = object::pod::bytes_of_slice_mut(&mut self.words[..]);
        if !file.read_at(offset, &mut bytes[at..end]) {
            return false;
        }
        self.used = end;
        self.parts.push(Part { offset, at, len });
        true
    }

    /// The parts as the file's bytes: reads outside them fail.
    pub fn view(&self, file: &PartFile) -> PartsRef<'_> {
        PartsRef {
            bytes: &object::pod::bytes_of_slice(&self.words[..])[..self.used],
            parts: &self.parts,
            len: file.len,
        }
    }
}

fn contains(p: &Part, offset: u64, len: u64) -> bool {
    offset >= p.offset && offset.saturating_add(len) <= p.offset + p.len as u64
}

/// A file's bytes as far as they were read: [`ReadRef`] for the object crate's parsers; a read
/// outside the parts read is an error (the caller then reads the whole file).
#[derive(Debug, Clone, Copy)]
pub struct PartsRef<'a> {
    bytes: &'a [u8],
    parts: &'a [Part],
    len: u64,
}

impl<'a> PartsRef<'a> {
    /// The part holding `offset` that goes furthest after it (parts can overlap: a section
    /// read whole starts inside the file's first bytes), from there to its end.
    fn from(self, offset: u64) -> Option<(&'a [u8], u64)> {
        let p = self
            .parts
            .iter()
            .filter(|p| offset >= p.offset && offset < p.offset + p.len as u64)
            .max_by_key(|p| p.offset + p.len as u64)?;
        let skip = (offset - p.offset) as usize;
        Some((self.bytes.get(p.at + skip..p.at + p.len)?, offset))
    }
}

impl<'a> ReadRef<'a> for PartsRef<'a> {
    fn len(self) -> std::result::Result<u64, ()> {
        Ok(self.len)
    }

    fn read_bytes_at(self, offset: u64, size: u64) -> std::result::Result<&'a [u8], ()> {
        if size == 0 {
            return if offset <= self.len { Ok(&[]) } else { Err(()) };
        }
        let (rest, _) = self.from(offset).ok_or(())?;
        rest.get(..usize::try_from(size).map_err(|_| ())?).ok_or(())
    }

    fn read_bytes_at_until(
        self,
        range: std::ops::Range<u64>,
        delimiter: u8,
    ) -> std::result::Result<&'a [u8], ()> {
        let (rest, start) = self.from(range.start).ok_or(())?;
        let want = usize::try_from(range.end.saturating_sub(start)).map_err(|_| ())?;
        let bytes = &rest[..want.min(rest.len())];
        match memchr::memchr(delimiter, bytes) {
            Some(n) => Ok(&bytes[..n]),
            // Not in what was read: an error here, whatever the whole file says.
            None => Err(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_read_merged_and_viewed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let file = PartFile::open(&path).unwrap();
        let mut buf = PartsBuf::default();
        assert!(buf.read(&file, &mut [(10_003, 5), (3, 10), (100, 7)]));
        let view = buf.view(&file);
        assert_eq!(view.read_bytes_at(5, 100).unwrap(), &data[5..105]);
        assert_eq!(
            view.read_bytes_at(10_004, 3).unwrap(),
            &data[10_004..10_007]
        );
        assert!(view.read_bytes_at(200, 1).is_err());
        // A part overlapping another one's end: a range in it is found whole.
        assert!(buf.read(&file, &mut [(9_000, 8_000)]));
        let view = buf.view(&file);
        assert_eq!(
            view.read_bytes_at(10_004, 6_000).unwrap(),
            &data[10_004..16_004]
        );
        assert_eq!(view.len().unwrap(), 20_000);
        // Offsets keep their alignment modulo 8.
        assert_eq!(
            view.read_bytes_at(10_003, 1).unwrap().as_ptr() as usize % 8,
            3
        );
        buf.clear();
        assert!(!buf.read(&file, &mut [(19_999, 2)]));
        assert!(!buf.read(&file, &mut [(0, 1), (8, u64::MAX - 4)]));
        assert!(buf.read(&file, &mut [(0, 251 * 2)]));
        let view = buf.view(&file);
        assert_eq!(view.read_bytes_at_until(1..400, 0).unwrap(), &data[1..251]);
        assert!(view.read_bytes_at_until(252..300, 0).is_err());
    }
}
