//! Stage 2, analysis: exports looked up by name at run time (`dlsym(h, "foo")`, a dynamic linker
//! finding its own entry points) — NUL-terminated strings in read-only data that equal an export.
//!
//! Linkers merge string literals by suffix (GNU ld's SEC_MERGE tail merging stores `"free"` as
//! the tail of `"xfree"`), so every suffix of a string that equals an export is a candidate,
//! not only the whole string. Over-keeping a name costs bytes; missing one crashes the program.
//!
//! The scan walks a trie of the reversed export names backwards from every NUL byte: one pass
//! over the data, a few steps per string. (Hashing every suffix of every string instead took
//! 4 s over the `dlsym` users of /usr; this takes a fraction of that.)

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

/// A trie of reversed export names.
#[derive(Debug)]
pub struct ReverseTrie<'a> {
    /// Per node: (first edge, edge count, name ending here).
    nodes: Vec<(u32, u32, Option<&'a [u8]>)>,
    /// Edges (byte, child), grouped by node, sorted by byte within a node.
    edges: Vec<(u8, u32)>,
    /// The root's children by last byte (0: none): most strings end in a byte no export
    /// ends with, and are rejected with one load.
    root: [u32; 256],
}

impl Default for ReverseTrie<'_> {
    fn default() -> Self {
        ReverseTrie {
            nodes: Vec::new(),
            edges: Vec::new(),
            root: [0; 256],
        }
    }
}

impl<'a> ReverseTrie<'a> {
    /// Builds the trie of `names` read backwards.
    pub fn new(names: impl Iterator<Item = &'a [u8]>) -> Self {
        // Build with per-node child lists, then flatten into sorted edge runs.
        let mut children: Vec<Vec<(u8, u32)>> = vec![Vec::new()];
        let mut terminal: Vec<Option<&'a [u8]>> = vec![None];
        for name in names.filter(|n| !n.is_empty()) {
            let mut node = 0usize;
            for &b in name.iter().rev() {
                node = match children[node].iter().find(|e| e.0 == b) {
                    Some(&(_, child)) => child as usize,
                    None => {
                        let child = children.len();
                        children.push(Vec::new());
                        terminal.push(None);
                        children[node].push((b, child as u32));
                        child
                    }
                };
            }
            terminal[node] = Some(name);
        }
        let mut trie = ReverseTrie::default();
        for (kids, end) in children.iter_mut().zip(terminal) {
            kids.sort_unstable();
            trie.nodes
                .push((trie.edges.len() as u32, kids.len() as u32, end));
            trie.edges.extend_from_slice(kids);
        }
        for &(byte, child) in children.first().map_or(&[][..], |k| k.as_slice()) {
            trie.root[usize::from(byte)] = child;
        }
        trie
    }

    fn child(&self, node: u32, byte: u8) -> Option<u32> {
        let &(start, len, _) = self.nodes.get(node as usize)?;
        let edges = self.edges.get(start as usize..(start + len) as usize)?;
        edges
            .binary_search_by_key(&byte, |e| e.0)
            .ok()
            .map(|i| edges[i].1)
    }

    /// Every export that is a suffix of the string ending just before `data[end]` (a NUL),
    /// with its start offset and whether it is the whole string.
    fn suffixes_ending_at(
        &self,
        data: &[u8],
        end: usize,
        mut found: impl FnMut(&'a [u8], usize, bool),
    ) {
        let mut node = 0u32;
        let mut pos = end;
        while pos > 0 {
            let b = data[pos - 1];
            if b == 0 {
                break;
            }
            let next = if node == 0 {
                Some(self.root[usize::from(b)]).filter(|&c| c != 0)
            } else {
                self.child(node, b)
            };
            match next {
                Some(next) => node = next,
                None => return,
            }
            pos -= 1;
            if let Some(&(_, _, Some(name))) = self.nodes.get(node as usize) {
                let whole = pos == 0 || data[pos - 1] == 0;
                found(name, pos, !whole);
            }
        }
    }
}

/// Scans read-only sections for strings equal to an export. Hits are in section/offset order,
/// each (name, section) once.
pub fn scan<'n: 's, 's>(rodata: &[RoData<'s>], exports: &Exports<'n>) -> Vec<ByNameHit<'s>> {
    scan_with(rodata, exports.reverse_trie(), &mut |_| {})
}

/// Bytes scanned between two calls of the `scanned` callback of [`scan_with`].
const CHUNK: usize = 8 << 20;

/// [`scan`] with a prebuilt trie; `scanned` is called with each part of the data (up to 8 MiB)
/// once it has been scanned, so that its pages can be released from a large file's map.
pub fn scan_with<'n: 's, 's>(
    rodata: &[RoData<'s>],
    trie: &ReverseTrie<'n>,
    scanned: &mut dyn FnMut(&[u8]),
) -> Vec<ByNameHit<'s>> {
    let mut hits = Vec::new();
    for ro in rodata {
        let bytes = ro.bytes;
        let mut start = 0;
        while start < bytes.len() {
            let end = (start + CHUNK).min(bytes.len());
            for_each_nul(&bytes[start..end], |nul| {
                trie.suffixes_ending_at(bytes, start + nul, |name, at, suffix| {
                    hits.push(ByNameHit {
                        name,
                        section: ro.section,
                        offset: at as u64,
                        suffix,
                    })
                })
            });
            scanned(&bytes[start..end]);
            start = end;
        }
    }
    let mut seen = crate::hash::FxHashSet::default();
    hits.retain(|h| seen.insert((h.name, h.section)));
    hits
}

/// Calls `f` with the index of every NUL byte of `data`, in order. Hot loop: eight bytes at a
/// time, looking at single bytes only in words that hold a NUL (string data has few).
fn for_each_nul(data: &[u8], mut f: impl FnMut(usize)) {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut chunks = data.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let v = u64::from_le_bytes(word);
        if v.wrapping_sub(LO) & !v & HI != 0 {
            for (i, &b) in chunk.iter().enumerate() {
                if b == 0 {
                    f(base + i);
                }
            }
        }
        base += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == 0 {
            f(base + i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(data: &[u8], names: &[&'static str]) -> Vec<(String, u64, bool)> {
        let trie = ReverseTrie::new(names.iter().map(|n| n.as_bytes()));
        let ro = [RoData {
            section: b".rodata",
            bytes: data,
        }];
        scan_with(&ro, &trie, &mut |_| {})
            .into_iter()
            .map(|h| {
                (
                    String::from_utf8_lossy(h.name).into_owned(),
                    h.offset,
                    h.suffix,
                )
            })
            .collect()
    }

    #[test]
    fn whole_strings_and_tails() {
        let data = b"\0free\0xmalloc\0%s: puts\0putsx\0";
        let got = hits(data, &["free", "malloc", "puts", "put", "xmalloc"]);
        assert_eq!(
            got,
            vec![
                ("free".into(), 1, false),
                ("malloc".into(), 7, true),
                ("xmalloc".into(), 6, false),
                ("puts".into(), 18, true),
            ]
        );
    }

    #[test]
    fn nul_positions() {
        let data: Vec<u8> = (0..100u8)
            .map(|i| if i % 7 == 3 { 0 } else { b'a' + i % 26 })
            .collect();
        let mut got = Vec::new();
        for_each_nul(&data, |i| got.push(i));
        let want: Vec<usize> = (0..100).filter(|i| i % 7 == 3).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn no_terminator_no_hit() {
        assert!(hits(b"free", &["free"]).is_empty());
        assert_eq!(hits(b"free\0", &["free"]), vec![("free".into(), 0, false)]);
    }
}
