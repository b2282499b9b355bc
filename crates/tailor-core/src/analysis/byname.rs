//! Stage 2, analysis: exports looked up by name at run time (`dlsym(h, "foo")`, a dynamic linker
//! finding its own entry points) — NUL-terminated strings in read-only data that equal an export.
//!
//! Linkers merge string literals by suffix (GNU ld's SEC_MERGE tail merging stores `"free"` as
//! the tail of `"xfree"`), so every identifier suffix of a string is a candidate, not only the
//! whole string. Over-keeping a name costs bytes; missing one crashes the program.

use super::elf::RoData;
use super::exports::Exports;

/// One string that equals an exported name.
#[derive(Debug, Clone, Copy)]
pub struct ByNameHit<'a> {
    /// The export's name (borrowed from the provider or list).
    pub name: &'a [u8],
    /// The section where the string was found.
    pub section: &'a [u8],
    /// Offset of the name inside that section.
    pub offset: u64,
    /// The name is the tail of a longer string (tail-merged).
    pub suffix: bool,
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'$'
}

/// Scans read-only sections for strings equal to an export. Hits are in section/offset order,
/// each (name, section) once.
pub fn scan<'a>(rodata: &[RoData<'a>], exports: &Exports<'a>) -> Vec<ByNameHit<'a>> {
    let max = exports.max_name_len();
    let mut hits = Vec::new();
    if max == 0 {
        return hits;
    }
    for ro in rodata {
        let bytes = ro.bytes;
        let mut start = 0usize;
        // Hot loop: one pass over the bytes, hashing only identifier tails of strings.
        while let Some(len) = bytes[start..].iter().position(|&b| b == 0) {
            let end = start + len;
            let string = &bytes[start..end];
            let tail_len = string.iter().rev().take_while(|&&b| is_ident(b)).count();
            let first = string.len() - tail_len.min(max);
            for p in first..string.len() {
                let candidate = &string[p..];
                if candidate[0].is_ascii_digit() {
                    continue;
                }
                if let Some(name) = exports.canonical(candidate) {
                    hits.push(ByNameHit {
                        name,
                        section: ro.section,
                        offset: (start + p) as u64,
                        suffix: p > 0,
                    });
                }
            }
            start = end + 1;
        }
    }
    let mut seen = crate::hash::FxHashSet::default();
    hits.retain(|h| seen.insert((h.name, h.section)));
    hits
}
