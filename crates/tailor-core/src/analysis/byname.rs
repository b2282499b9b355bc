//! Stage 2, analysis: exports looked up by name at run time (`dlsym(h, "foo")`, a dynamic linker
//! finding its own entry points) — NUL-terminated strings in read-only data that equal an export.
//!
//! Linkers merge string literals by suffix (GNU ld's SEC_MERGE tail merging stores `"free"` as
//! the tail of `"xfree"`), so every suffix of a string that equals an export is a candidate,
//! not only the whole string. Over-keeping a name costs bytes; missing one crashes the program.
//!
//! The scan makes one pass over the data, 64 bytes at a time: a bit mask of the NULs gives the
//! ends of the strings at least as long as the shortest export, two 8 KiB tables (of a hash of
//! the exports' last four bytes, and of the short exports' last two) reject most of those, and
//! a trie of the reversed export names is walked backwards from the rest, starting four bytes
//! deep where it can, a few steps each. (Hashing every suffix of every string instead
//! took 4 s over the `dlsym` users of /usr; a trie walk from every NUL, 0.49 s of CPU; this,
//! about 0.2 s, near the 0.15 s a plain count of their NULs takes on the same machine.)

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
    /// The nodes, the root first: each node's children one run sorted by byte, the runs in
    /// depth-first order (a chain of single children is one stretch of memory). A step is
    /// a search of one run, which holds what the next step needs: the walks from string
    /// ends miss the caches at each step, and a node and its edges apart were two misses.
    nodes: Vec<Node>,
    /// Per node, the name ending there.
    names: Vec<Option<&'a [u8]>>,
    /// The nodes four bytes deep, by those bytes: a walk from a string's end starts there.
    quads: QuadNodes,
    /// The root's children by last byte (0: none).
    root: [u32; 256],
    /// What the end of a string that can end in an export looks like.
    filter: Box<EndFilter>,
    /// Length of the shortest name (a shorter string ends in none).
    min_len: usize,
    /// Length of the longest name (a trie walk goes back at most this far).
    max_len: usize,
}

impl Default for ReverseTrie<'_> {
    fn default() -> Self {
        ReverseTrie {
            nodes: Vec::new(),
            names: Vec::new(),
            quads: QuadNodes::default(),
            root: [0; 256],
            filter: Box::new(EndFilter {
                tails: [0; 1024],
                quads: [0; 1024],
                lo: u8::MAX,
                span: 0,
            }),
            min_len: usize::MAX,
            max_len: 0,
        }
    }
}

/// One bit per (byte before the last, last byte) pair: see [`EndFilter::tails`]; or per
/// hash of four last bytes: [`EndFilter::quads`].
type TailSet = [u64; 1024];

/// The tests a string's end passes before the trie is walked from it, exact (a string that
/// fails them ends in no export), sized for L1.
#[derive(Debug, Clone)]
struct EndFilter {
    /// One bit per (byte before the last, last byte) of a string that can end in an export
    /// of at most three bytes (any first byte for a one-byte name; 0 stands for "no byte",
    /// the string's start): 8 KiB, so most strings are rejected with two L1 loads.
    tails: TailSet,
    /// One bit per [`quad_index`] of the last four bytes of an export of four bytes or more.
    /// Of the 1.46 M ends the block masks let through over /usr's `dlsym` users, a table of
    /// the last two bytes of every export passed 763 K, and the trie walks from them failed
    /// at the third byte or later (3.3 M trie steps, about 60% of the scan's time); this
    /// table with the two-byte one of the short names passes 316 K (whole_blocks: 380 M
    /// instructions under callgrind to 316 M).
    quads: TailSet,
    /// Every byte of every name is in `lo ..= lo + span` (`lo` is at least 1): the last
    /// bytes before a NUL are tested against it in the block masks, sixteen bytes at a time
    /// (C names are `.`..`z`; the bytes of binary tables mostly are not).
    lo: u8,
    span: u8,
}

impl EndFilter {
    /// Passes every string end (for tests).
    #[cfg(test)]
    fn all() -> Self {
        EndFilter {
            tails: [!0; 1024],
            quads: [!0; 1024],
            lo: 1,
            span: 254,
        }
    }

    /// Whether the string ending just before `data[nul]` can end in an export.
    #[inline(always)]
    fn passes(&self, data: &[u8], nul: usize) -> bool {
        let q = quad_index(last_four(data, nul));
        self.quads[q / 64] & 1 << (q % 64) != 0 || tail_in(&self.tails, data, nul)
    }

    /// Whether `b` is in the names' byte range.
    #[inline(always)]
    fn in_range(&self, b: u8) -> bool {
        b.wrapping_sub(self.lo) <= self.span
    }
}

/// Whether `set` holds the pair ending just before `data[nul]` (0 for a byte before `data`).
#[inline(always)]
fn tail_in(set: &TailSet, data: &[u8], nul: usize) -> bool {
    let (before, last) = match nul {
        0 => return false,
        1 => (0, data[0]),
        _ => (data[nul - 2], data[nul - 1]),
    };
    let i = tail_index(before, last);
    set[i / 64] & 1 << (i % 64) != 0
}

/// The four bytes before `data[end]`, the first in the low byte (a byte before `data` as 0).
#[inline(always)]
fn last_four(data: &[u8], end: usize) -> u32 {
    match end.checked_sub(4).and_then(|at| data.get(at..end)) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => data
            .get(..end)
            .unwrap_or(&[])
            .iter()
            .fold(0, |w, &b| w >> 8 | u32::from(b) << 24),
    }
}

/// Index in [`EndFilter::quads`] of four last bytes (a multiplicative hash to 16 bits).
#[inline(always)]
fn quad_index(four: u32) -> usize {
    (four.wrapping_mul(0x9E37_79B1) >> 16) as usize
}

/// A node of [`ReverseTrie`].
#[derive(Debug, Clone, Copy, Default)]
struct Node {
    /// Where the node's children are in [`ReverseTrie::nodes`].
    first: u32,
    /// How many children, with [`TERMINAL`] set when a name ends at the node.
    count: u32,
    /// The byte on the edge from the node's parent.
    byte: u8,
}

/// [`Node::count`]: a name ends at the node.
const TERMINAL: u32 = 1 << 31;

/// The trie's nodes four bytes deep, by their four bytes ([`last_four`] of a name): an open
/// addressing table, probed linearly from the [`quad_index`] hash. Of the 316 K walks from
/// string ends that pass [`EndFilter`] over /usr's `dlsym` users, most match four bytes or
/// more (278 K); starting those four bytes deep took the walks' 1.8 M steps to 0.69 M
/// (whole_blocks: 316 M instructions under callgrind to 262 M).
#[derive(Debug, Default)]
struct QuadNodes {
    /// (four bytes, node); node 0 (the root) marks an empty slot. [`SHORT`] set in the node:
    /// a name of fewer than four bytes ends on the way there (the walk starts at the root).
    slots: Vec<(u32, u32)>,
    /// Bits of the hash that index `slots` (its length is `1 << bits`).
    bits: u32,
}

/// [`QuadNodes::slots`]: a shorter name ends between the root and the node.
const SHORT: u32 = 1 << 31;

impl QuadNodes {
    /// The table of `nodes`, (four bytes, node | [`SHORT`]) with distinct four bytes.
    fn new(nodes: &[(u32, u32)]) -> Self {
        let bits = (nodes.len() * 2)
            .next_power_of_two()
            .max(16)
            .trailing_zeros();
        let mut table = QuadNodes {
            slots: vec![(0, 0); 1 << bits],
            bits,
        };
        let mask = table.slots.len() - 1;
        for &(four, node) in nodes {
            let mut i = table.slot(four);
            while table.slots[i].1 != 0 {
                i = (i + 1) & mask;
            }
            table.slots[i] = (four, node);
        }
        table
    }

    /// Where a probe for `four` starts.
    #[inline(always)]
    fn slot(&self, four: u32) -> usize {
        (four.wrapping_mul(0x9E37_79B1) >> (32 - self.bits)) as usize
    }

    /// The node (and [`SHORT`]) four bytes deep for `four`, if there is one.
    #[inline(always)]
    fn get(&self, four: u32) -> Option<u32> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut i = self.slot(four);
        loop {
            let &(key, node) = self.slots.get(i)?;
            if node == 0 {
                return None;
            }
            if key == four {
                return Some(node);
            }
            i = (i + 1) & mask;
        }
    }
}

/// Index of the (byte before the last, last byte) pair in [`ReverseTrie::tails`].
fn tail_index(before: u8, last: u8) -> usize {
    usize::from(before) << 8 | usize::from(last)
}

impl<'a> ReverseTrie<'a> {
    /// Builds the trie of `names` read backwards.
    pub fn new(names: impl Iterator<Item = &'a [u8]>) -> Self {
        // Built with per-node child lists threaded through two flat arrays (first child, next
        // sibling), then flattened into sorted edge runs: a `Vec` per node was 20,000
        // allocations for musl's exports, three quarters of the build's 6 M instructions.
        let mut first_child: Vec<Option<u32>> = vec![None];
        let mut next_sibling: Vec<Option<u32>> = vec![None];
        let mut byte_of: Vec<u8> = vec![0];
        let mut terminal: Vec<Option<&'a [u8]>> = vec![None];
        let mut trie = ReverseTrie::default();
        let (mut lo, mut hi) = (u8::MAX, 0u8);
        for name in names.filter(|n| !n.is_empty()) {
            trie.add_tail(name);
            for &b in name {
                (lo, hi) = (lo.min(b), hi.max(b));
            }
            trie.min_len = trie.min_len.min(name.len());
            trie.max_len = trie.max_len.max(name.len());
            let mut node = 0usize;
            for &b in name.iter().rev() {
                let mut edge = first_child[node];
                while let Some(c) = edge.filter(|&c| byte_of[c as usize] != b) {
                    edge = next_sibling[c as usize];
                }
                node = match edge {
                    Some(child) => child as usize,
                    None => {
                        let child = byte_of.len() as u32;
                        byte_of.push(b);
                        first_child.push(None);
                        terminal.push(None);
                        next_sibling.push(first_child[node]);
                        first_child[node] = Some(child);
                        child as usize
                    }
                };
            }
            terminal[node] = Some(name);
        }
        // Names hold no NUL; with none, the range is empty (one byte, never met: no ends).
        trie.filter.lo = lo.max(1);
        trie.filter.span = hi.saturating_sub(trie.filter.lo);
        // Lay the nodes out depth first, each node's children one sorted run; note the nodes
        // four bytes deep: (their four bytes, node | SHORT).
        let mut quads = Vec::new();
        let mut kids: Vec<(u8, u32)> = Vec::new();
        trie.nodes.push(Node::default());
        trie.names.push(None);
        // (node as built, its place in `nodes`, its four last bytes, depth, a name
        // shorter than four bytes ends on the way).
        let mut stack = vec![(0usize, 0usize, 0u32, 0usize, false)];
        while let Some((old, at, four, depth, short)) = stack.pop() {
            if depth == 4 {
                quads.push((four, at as u32 | if short { SHORT } else { 0 }));
            }
            let short = short || (depth > 0 && terminal[old].is_some());
            trie.names[at] = terminal[old];
            kids.clear();
            let mut edge = first_child[old];
            while let Some(c) = edge {
                kids.push((byte_of[c as usize], c));
                edge = next_sibling[c as usize];
            }
            kids.sort_unstable();
            let first = trie.nodes.len();
            let flag = if terminal[old].is_some() { TERMINAL } else { 0 };
            trie.nodes[at].first = first as u32;
            trie.nodes[at].count = kids.len() as u32 | flag;
            for &(byte, _) in kids.iter() {
                trie.nodes.push(Node {
                    byte,
                    ..Node::default()
                });
                trie.names.push(None);
            }
            // Visited in byte order: the first child's run comes right after this one.
            for (i, &(b, child)) in kids.iter().enumerate().rev() {
                // Read backwards: the byte `depth` from the end goes `depth` bytes down.
                let four = match depth {
                    0..4 => four | u32::from(b) << (8 * (3 - depth)),
                    _ => four,
                };
                stack.push((child as usize, first + i, four, depth + 1, short));
            }
        }
        trie.quads = QuadNodes::new(&quads);
        let root = trie.nodes[0];
        for i in root.first..root.first + (root.count & !TERMINAL) {
            trie.root[usize::from(trie.nodes[i as usize].byte)] = i;
        }
        trie
    }

    /// Marks the last four bytes of `name` in the quad table, or, for a name of up to three
    /// bytes, its last two (of a one-byte name: that byte after any byte) in the pair table.
    fn add_tail(&mut self, name: &[u8]) {
        if name.len() >= 4 {
            let q = quad_index(last_four(name, name.len()));
            self.filter.quads[q / 64] |= 1 << (q % 64);
            return;
        }
        let tails = &mut self.filter.tails;
        let mut set = |i: usize| tails[i / 64] |= 1 << (i % 64);
        match name {
            [.., before, last] => set(tail_index(*before, *last)),
            [last] => (0..=255).for_each(|before| set(tail_index(before, *last))),
            [] => {}
        }
    }

    fn child(&self, node: u32, byte: u8) -> Option<u32> {
        let &Node { first, count, .. } = self.nodes.get(node as usize)?;
        let run = self
            .nodes
            .get(first as usize..(first + (count & !TERMINAL)) as usize)?;
        run.binary_search_by_key(&byte, |n| n.byte)
            .ok()
            .map(|i| first + i as u32)
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
        // Four bytes down at once when no shorter name ends on the way (the four bytes are
        // names' bytes, so none is NUL: the string goes on that far).
        if let Some(deep) = end
            .checked_sub(4)
            .and_then(|_| self.quads.get(last_four(data, end)))
        {
            if deep & SHORT == 0 {
                node = deep;
                pos = end - 4;
                self.found_at(data, node, pos, &mut found);
            }
        }
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
            self.found_at(data, node, pos, &mut found);
        }
    }

    /// Reports the name ending at `node`, if any, found at `data[pos]`.
    #[inline(always)]
    fn found_at(
        &self,
        data: &[u8],
        node: u32,
        pos: usize,
        found: &mut impl FnMut(&'a [u8], usize, bool),
    ) {
        if self
            .nodes
            .get(node as usize)
            .is_some_and(|n| n.count & TERMINAL != 0)
        {
            if let Some(&Some(name)) = self.names.get(node as usize) {
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
            for_each_string_end(bytes, start, end, trie.min_len, &trie.filter, |nul| {
                trie.suffixes_ending_at(bytes, nul, |name, at, suffix| {
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

/// Bytes of a section [`scan_read`] reads at a time: the window stays in L2 while it is
/// scanned, right after the kernel copied it there.
const WINDOW: usize = 256 << 10;

/// [`scan`] of sections not in memory (`RoData::bytes` empty): each is read `WINDOW` bytes at
/// a time into `window` with `read(offset, out)` (`false`: not read, and the scan gives
/// `None`), each window after the bytes a string ending in it can reach back to. The same
/// hits, in the same order, as scanning the whole sections. A file of more than one window
/// has its windows scanned in parallel (each thread with its own buffer): the largest
/// `dlsym` users of /usr (node's 44 MB, two libLLVMs' 30 MB) were each one thread's 20–33 ms
/// alone at the end of the read.
pub fn scan_read<'n: 's, 's>(
    rodata: &[RoData<'s>],
    trie: &ReverseTrie<'n>,
    window: &mut Vec<u8>,
    read: &(dyn Fn(u64, &mut [u8]) -> bool + Sync),
) -> Option<Vec<ByNameHit<'s>>> {
    scan_windows(rodata, trie, WINDOW, window, read)
}

/// One window of [`scan_read`]: bytes `start..end` of section `ro`.
#[derive(Clone, Copy)]
struct Window {
    ro: usize,
    start: u64,
    end: u64,
}

thread_local! {
    /// The buffer of the windows a thread scans for another's file.
    static WINDOW_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`scan_read`] with windows of `size` bytes (a multiple of 64).
fn scan_windows<'n: 's, 's>(
    rodata: &[RoData<'s>],
    trie: &ReverseTrie<'n>,
    size: usize,
    window: &mut Vec<u8>,
    read: &(dyn Fn(u64, &mut [u8]) -> bool + Sync),
) -> Option<Vec<ByNameHit<'s>>> {
    use rayon::prelude::*;
    let mut windows = Vec::new();
    for (i, ro) in rodata.iter().enumerate() {
        let mut start = 0u64;
        while start < ro.size {
            let end = (start + size as u64).min(ro.size);
            windows.push(Window { ro: i, start, end });
            start = end;
        }
    }
    let mut hits = Vec::new();
    if windows.len() <= 1 {
        for &w in &windows {
            scan_window(rodata, trie, w, window, read, &mut hits)?;
        }
    } else {
        let parts: Vec<Vec<ByNameHit<'s>>> = windows
            .par_iter()
            .map(|&w| {
                let mut hits = Vec::new();
                WINDOW_BUF.with(|buf| match buf.try_borrow_mut() {
                    Ok(mut buf) => scan_window(rodata, trie, w, &mut buf, read, &mut hits),
                    Err(_) => scan_window(rodata, trie, w, &mut Vec::new(), read, &mut hits),
                })?;
                Some(hits)
            })
            .collect::<Option<_>>()?;
        hits = parts.concat();
    }
    let mut seen = crate::hash::FxHashSet::default();
    hits.retain(|h| seen.insert((h.name, h.section)));
    Some(hits)
}

/// Reads window `w` into `buf` (after the bytes a string ending in it can reach back to) and
/// adds its hits to `hits`.
fn scan_window<'n: 's, 's>(
    rodata: &[RoData<'s>],
    trie: &ReverseTrie<'n>,
    w: Window,
    buf: &mut Vec<u8>,
    read: &(dyn Fn(u64, &mut [u8]) -> bool + Sync),
    hits: &mut Vec<ByNameHit<'s>>,
) -> Option<()> {
    let ro = rodata.get(w.ro)?;
    // A name ending at a NUL of the window starts at least one byte after the context (so
    // whether it is a whole string is seen), and the block before the first visited one is
    // there for the minimum-length test.
    let context = (trie.max_len + 1).next_multiple_of(64) as u64;
    let from = w.start.saturating_sub(context);
    let len = (w.end - from) as usize;
    // Grown once to its largest size and not cleared: every byte used is read below.
    if buf.len() < len {
        buf.resize(len, 0);
    }
    let bytes = &mut buf[..len];
    if !read(ro.offset + from, bytes) {
        return None;
    }
    let bytes = &*bytes;
    let first = (w.start - from) as usize;
    for_each_string_end(bytes, first, len, trie.min_len, &trie.filter, |nul| {
        trie.suffixes_ending_at(bytes, nul, |name, at, suffix| {
            hits.push(ByNameHit {
                name,
                section: ro.section,
                offset: from + at as u64,
                suffix,
            })
        })
    });
    Some(())
}

/// Longest string length [`for_each_string_end`] checks before visiting an end (shorter
/// names are rare: a longer minimum only visits ends the trie then rejects).
const MAX_CHECKED_LEN: usize = 4;

/// Calls `f` with the index of every NUL byte in `data[from..to]` that ends a string of at
/// least `min_len` bytes (checked up to [`MAX_CHECKED_LEN`]; the bytes before `data` count as
/// NULs) that passes `filter`, in order. `from` is a multiple of 64.
///
/// Hot loop: read-only data is a third NULs and most "strings" in it are bytes of binary
/// tables (the `dlsym` users of /usr: 262 MB in 4.1 M blocks of 64 bytes, 10 M ends of
/// strings of 3 bytes or more). A byte loop over the words holding a NUL, with a trie step at
/// every string end, scanned them at 0.68 GB/s of CPU time; a mask per 8-byte word,
/// 0.9–1.3 GB/s; a mask of the NULs of 64 bytes at a time (eight words, each NUL bit
/// gathered with one multiply) with the ends of long enough strings derived by a loop of
/// shifts, 1.4–1.7 GB/s (810 M instructions under callgrind, about 200 a block). This one
/// takes the mask from four SSE2 compares and unrolls the shifts for the minimum length (a
/// const parameter), with the tail-pair test in the loop and the trie walk (`f`, for one end
/// in six) called out of it: 0.59 G instructions. Testing in the masks that the last bytes
/// are in the names' byte range (four more SSE2 operations a 16 bytes) leaves a fifth of the
/// ends to the tail test (1.5 M of 10.2 M): 0.50 G.
fn for_each_string_end(
    data: &[u8],
    from: usize,
    to: usize,
    min_len: usize,
    filter: &EndFilter,
    f: impl FnMut(usize),
) {
    match min_len.clamp(1, MAX_CHECKED_LEN) {
        1 => string_ends::<1>(data, from, to, filter, f),
        2 => string_ends::<2>(data, from, to, filter, f),
        3 => string_ends::<3>(data, from, to, filter, f),
        _ => string_ends::<4>(data, from, to, filter, f),
    }
}

/// [`for_each_string_end`] for strings of at least `N` bytes.
fn string_ends<const N: u32>(
    data: &[u8],
    from: usize,
    to: usize,
    filter: &EndFilter,
    mut f: impl FnMut(usize),
) {
    let to = to.min(data.len());
    // Bit i of `prev`: byte i of the block before is in the names' range (none before
    // `data`); such a byte is not NUL.
    let prev = match from.checked_sub(64) {
        Some(at) => masks(data.get(at..from).unwrap_or(&[]), filter).1,
        None => 0,
    };
    #[cfg(target_arch = "x86_64")]
    let (base, prev) = if std::arch::is_x86_feature_detected!("avx512bw") {
        // SAFETY: the CPU has AVX-512BW (detected just above).
        unsafe { whole_blocks_avx512::<N>(data, from, to, filter, prev, &mut f) }
    } else if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (detected just above).
        unsafe { whole_blocks_avx2::<N>(data, from, to, filter, prev, &mut f) }
    } else {
        // SAFETY: with `SSE2` `whole_blocks` requires nothing.
        unsafe { whole_blocks::<N, SSE2>(data, from, to, filter, prev, &mut f) }
    };
    #[cfg(not(target_arch = "x86_64"))]
    // SAFETY: with `SSE2` `whole_blocks` requires nothing.
    let (base, prev) = unsafe { whole_blocks::<N, SSE2>(data, from, to, filter, prev, &mut f) };
    if base < to {
        // The last, partial block: bytes past its end count as not NUL, so end nothing.
        let (nul, named) = masks(data.get(base..to).unwrap_or(&[]), filter);
        let mut ends = nul & long_enough::<N>(named, prev);
        while ends != 0 {
            let nul = base + ends.trailing_zeros() as usize;
            if filter.passes(data, nul) {
                f(nul);
            }
            ends &= ends - 1;
        }
    }
}

/// The whole 64-byte blocks of `data[base..to]` for [`string_ends`], `prev` the range mask
/// of the block before; gives where they end and the last one's range mask. `SIMD`: the
/// masks from [`masks64`] ([`SSE2`], or the bytes one at a time off x86_64),
/// [`masks64_avx2`] ([`AVX2`]) or [`masks64_avx512`] ([`AVX512`]).
///
/// # Safety
/// With [`AVX2`], the CPU must have AVX2; with [`AVX512`], AVX-512BW.
#[inline(always)]
unsafe fn whole_blocks<const N: u32, const SIMD: u8>(
    data: &[u8],
    mut base: usize,
    to: usize,
    filter: &EndFilter,
    mut prev: u64,
    f: &mut impl FnMut(usize),
) -> (usize, u64) {
    while let Some(block) = data.get(base..to).and_then(|rest| rest.first_chunk::<64>()) {
        #[cfg(target_arch = "x86_64")]
        let (nul, named) = match SIMD {
            // SAFETY: with `AVX512` the CPU has AVX-512BW (this function's contract).
            AVX512 => unsafe { masks64_avx512(block, filter) },
            // SAFETY: with `AVX2` the CPU has AVX2 (this function's contract).
            AVX2 => unsafe { masks64_avx2(block, filter) },
            _ => masks64(block, filter),
        };
        #[cfg(not(target_arch = "x86_64"))]
        let (nul, named) = masks64(block, filter);
        let mut ends = nul & long_enough::<N>(named, prev);
        prev = named;
        while ends != 0 {
            let nul = base + ends.trailing_zeros() as usize;
            if filter.passes(data, nul) {
                f(nul);
            }
            ends &= ends - 1;
        }
        base += 64;
    }
    (base, prev)
}

/// [`whole_blocks`] compiled for AVX2: two 32-byte compares a mask where SSE2 takes four
/// (callgrind over /usr: the scan's 0.50 G instructions become 0.39 G).
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn whole_blocks_avx2<const N: u32>(
    data: &[u8],
    base: usize,
    to: usize,
    filter: &EndFilter,
    prev: u64,
    f: &mut impl FnMut(usize),
) -> (usize, u64) {
    // SAFETY: the CPU has AVX2 (this function's contract).
    unsafe { whole_blocks::<N, AVX2>(data, base, to, filter, prev, f) }
}

/// [`whole_blocks`] compiled for AVX-512BW: one 64-byte load, a test and a compare into mask
/// registers a block.
///
/// # Safety
/// The CPU must have AVX-512BW.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512bw")]
unsafe fn whole_blocks_avx512<const N: u32>(
    data: &[u8],
    base: usize,
    to: usize,
    filter: &EndFilter,
    prev: u64,
    f: &mut impl FnMut(usize),
) -> (usize, u64) {
    // SAFETY: the CPU has AVX-512BW (this function's contract).
    unsafe { whole_blocks::<N, AVX512>(data, base, to, filter, prev, f) }
}

/// [`masks64`] with AVX-512BW.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512bw")]
#[inline]
fn masks64_avx512(block: &[u8; 64], filter: &EndFilter) -> (u64, u64) {
    use std::arch::x86_64::{__m512i, _mm512_cmple_epu8_mask, _mm512_loadu_si512};
    use std::arch::x86_64::{_mm512_set1_epi8, _mm512_sub_epi8, _mm512_testn_epi8_mask};
    // SAFETY: the unaligned 64-byte load reads `block`.
    let v = unsafe { _mm512_loadu_si512(block.as_ptr().cast::<__m512i>()) };
    let nul = _mm512_testn_epi8_mask(v, v);
    // In range: b - lo <= span (unsigned).
    let x = _mm512_sub_epi8(v, _mm512_set1_epi8(filter.lo as i8));
    let named = _mm512_cmple_epu8_mask(x, _mm512_set1_epi8(filter.span as i8));
    (nul, named)
}

/// `SIMD` of [`whole_blocks`]: SSE2 (the x86_64 baseline), AVX2, AVX-512BW.
const SSE2: u8 = 0;
#[cfg(target_arch = "x86_64")]
const AVX2: u8 = 1;
#[cfg(target_arch = "x86_64")]
const AVX512: u8 = 2;

/// [`masks64`] with AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn masks64_avx2(block: &[u8; 64], filter: &EndFilter) -> (u64, u64) {
    use std::arch::x86_64::_mm256_sub_epi8;
    use std::arch::x86_64::{__m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_min_epu8};
    use std::arch::x86_64::{_mm256_movemask_epi8, _mm256_set1_epi8, _mm256_setzero_si256};
    let p = block.as_ptr().cast::<__m256i>();
    // SAFETY: the two unaligned 32-byte loads read bytes 0..32 and 32..64 of `block`.
    let (a, b) = unsafe { (_mm256_loadu_si256(p), _mm256_loadu_si256(p.add(1))) };
    let zero = _mm256_setzero_si256();
    let lo = _mm256_set1_epi8(filter.lo as i8);
    let span = _mm256_set1_epi8(filter.span as i8);
    let nul_a = _mm256_movemask_epi8(_mm256_cmpeq_epi8(a, zero)) as u32;
    let nul_b = _mm256_movemask_epi8(_mm256_cmpeq_epi8(b, zero)) as u32;
    // In range: b - lo <= span (unsigned), i.e. min(b - lo, span) == b - lo.
    let (xa, xb) = (_mm256_sub_epi8(a, lo), _mm256_sub_epi8(b, lo));
    let named_a = _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(xa, span), xa)) as u32;
    let named_b = _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(xb, span), xb)) as u32;
    (
        u64::from(nul_a) | u64::from(nul_b) << 32,
        u64::from(named_a) | u64::from(named_b) << 32,
    )
}

/// Bit i set when bytes i-1 ..= i-N of a block are all in `nonzero` (a mask of bytes that
/// are not NUL), `prev` the block before's.
#[inline(always)]
fn long_enough<const N: u32>(nonzero: u64, prev: u64) -> u64 {
    let mut m = !0;
    let mut back = 1;
    while back <= N {
        m &= nonzero << back | prev >> (64 - back);
        back += 1;
    }
    m
}

/// The masks of the 64-byte `block`: bit i of the first set when byte i is NUL, of the
/// second when it is in `filter`'s byte range. Four SSE2 compares (part of the x86_64
/// baseline) for the NULs, 12 instructions where a word-at-a-time mask took about 50, and
/// four more operations a 16 bytes for the range. Callgrind over `version-script` on /usr:
/// the scan went from 1.35 G instructions to 0.85 G with the NUL compares, and to 0.59 G
/// with the unrolled shifts and the tail test in the loop.
#[cfg(target_arch = "x86_64")]
fn masks64(block: &[u8; 64], filter: &EndFilter) -> (u64, u64) {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8};
    use std::arch::x86_64::{_mm_movemask_epi8, _mm_set1_epi8, _mm_setzero_si128, _mm_sub_epi8};
    let p = block.as_ptr().cast::<__m128i>();
    // SAFETY: SSE2 is enabled on every x86_64 target; the four unaligned 16-byte loads read
    // bytes 0..16, 16..32, 32..48 and 48..64 of `block`, all inside it.
    unsafe {
        let zero = _mm_setzero_si128();
        let lo = _mm_set1_epi8(filter.lo as i8);
        let span = _mm_set1_epi8(filter.span as i8);
        let part = |i: usize| {
            let v = _mm_loadu_si128(p.add(i));
            let nul = _mm_movemask_epi8(_mm_cmpeq_epi8(v, zero));
            // In range: b - lo <= span (unsigned), i.e. min(b - lo, span) == b - lo.
            let x = _mm_sub_epi8(v, lo);
            let named = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x, span), x));
            (
                u64::from(nul as u16) << (16 * i),
                u64::from(named as u16) << (16 * i),
            )
        };
        let (a, b, c, d) = (part(0), part(1), part(2), part(3));
        (a.0 | b.0 | c.0 | d.0, a.1 | b.1 | c.1 | d.1)
    }
}

/// [`masks`] of a whole block, elsewhere.
#[cfg(not(target_arch = "x86_64"))]
fn masks64(block: &[u8; 64], filter: &EndFilter) -> (u64, u64) {
    masks(block, filter)
}

/// [`masks64`] of up to 64 bytes; bytes past the end are neither NUL nor in range.
fn masks(block: &[u8], filter: &EndFilter) -> (u64, u64) {
    let mut named = 0;
    for (i, &b) in block.iter().enumerate().take(64) {
        named |= u64::from(filter.in_range(b)) << i;
    }
    (nul_mask(block), named)
}

/// Bit i set when byte i of `block` (up to 64 bytes) is NUL; bytes past its end are not.
fn nul_mask(block: &[u8]) -> u64 {
    let mut words = block.chunks_exact(8);
    let mut mask = 0;
    for (i, w) in (&mut words).enumerate() {
        mask |= word_nul_bits(u64::from_le_bytes(w.try_into().unwrap_or_default())) << (8 * i);
    }
    let done = block.len() - words.remainder().len();
    for (i, &b) in words.remainder().iter().enumerate() {
        mask |= u64::from(b == 0) << (done + i);
    }
    mask
}

/// Bit i set when byte i of the little-endian word `v` is NUL (eight bits).
fn word_nul_bits(v: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // High bit of each byte: set when the byte is NUL (exact: no carry crosses bytes).
    let nul = !((v & LOW7).wrapping_add(LOW7) | v) & 0x8080_8080_8080_8080;
    // Gather the eight high bits into the top byte, then down.
    (nul >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(data: &[u8], names: &[&'static str]) -> Vec<(String, u64, bool)> {
        let trie = ReverseTrie::new(names.iter().map(|n| n.as_bytes()));
        let ro = [RoData {
            section: b".rodata",
            bytes: data,
            offset: 0,
            size: data.len() as u64,
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
    fn string_end_positions() {
        // Strings and NUL runs of many lengths, at every alignment (a fixed pseudo-random mix).
        let mut x = 7u32;
        let data: Vec<u8> = (0..400)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                if (x >> 16) % 5 < 2 {
                    0
                } else {
                    b'a' + ((x >> 8) % 26) as u8
                }
            })
            .collect();
        for min_len in 1..=20 {
            for from in [0, 64, 128] {
                for to in [
                    from,
                    from + 1,
                    from + 7,
                    from + 63,
                    from + 64,
                    from + 100,
                    301,
                    400,
                ] {
                    let mut got = Vec::new();
                    for_each_string_end(&data, from, to, min_len, &EndFilter::all(), |i| {
                        got.push(i)
                    });
                    let want: Vec<usize> = (from..to)
                        .filter(|&i| {
                            let run = data[..i].iter().rev().take_while(|&&b| b != 0).count();
                            data[i] == 0 && run >= min_len.min(MAX_CHECKED_LEN)
                        })
                        .collect();
                    assert_eq!(got, want, "min_len {min_len}, {from}..{to}");
                }
            }
        }
    }

    #[test]
    fn block_masks_agree() {
        // The SSE2 and AVX2 masks against the byte-at-a-time ones, over random blocks and
        // byte ranges.
        let mut x = 3u32;
        let mut next = || {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        };
        for _ in 0..2000 {
            let block: [u8; 64] = std::array::from_fn(|_| match next() % 4 {
                0 => 0,
                _ => next(),
            });
            let lo = next().max(1);
            let filter = EndFilter {
                tails: [0; 1024],
                quads: [0; 1024],
                lo,
                span: next() % (255 - lo + 1),
            };
            let want = masks(&block, &filter);
            assert_eq!(masks64(&block, &filter), want);
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 was detected just above.
                assert_eq!(unsafe { masks64_avx2(&block, &filter) }, want);
            }
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx512bw") {
                // SAFETY: AVX-512BW was detected just above.
                assert_eq!(unsafe { masks64_avx512(&block, &filter) }, want);
            }
        }
    }

    /// The string ends [`whole_blocks`] gives with each SIMD level the CPU has, the same.
    fn block_ends_agree<const N: u32>(data: &[u8], filter: &EndFilter) {
        let ends = |level: u8| {
            let mut got = Vec::new();
            let mut f = |i: usize| got.push(i);
            // SAFETY: each level is run only when the CPU has it (SSE2: always).
            let end = unsafe {
                match level {
                    #[cfg(target_arch = "x86_64")]
                    AVX512 => whole_blocks::<N, AVX512>(data, 64, data.len(), filter, 0, &mut f),
                    #[cfg(target_arch = "x86_64")]
                    AVX2 => whole_blocks::<N, AVX2>(data, 64, data.len(), filter, 0, &mut f),
                    _ => whole_blocks::<N, SSE2>(data, 64, data.len(), filter, 0, &mut f),
                }
            };
            (got, end)
        };
        let want = ends(SSE2);
        assert!(!want.0.is_empty());
        #[cfg(target_arch = "x86_64")]
        for (level, feature) in [(AVX2, "avx2"), (AVX512, "avx512bw")] {
            let has = match feature {
                "avx2" => std::arch::is_x86_feature_detected!("avx2"),
                _ => std::arch::is_x86_feature_detected!("avx512bw"),
            };
            if has {
                assert_eq!(ends(level), want, "{feature}, N = {N}");
            }
        }
    }

    #[test]
    fn simd_levels_find_the_same_ends() {
        // Every end, and the ends a trie's filter passes (names' byte range, both tables).
        let (names, data) = suffix_rich(6);
        let trie = ReverseTrie::new(names.iter().map(|n| n.as_slice()));
        for filter in [&EndFilter::all(), &*trie.filter] {
            block_ends_agree::<1>(&data, filter);
            block_ends_agree::<2>(&data, filter);
            block_ends_agree::<3>(&data, filter);
            block_ends_agree::<4>(&data, filter);
        }
    }

    #[test]
    fn one_byte_names_and_string_starts() {
        assert_eq!(hits(b"x\0ax\0", &["x"]), vec![("x".into(), 0, false)]);
        assert_eq!(hits(b"\0ax\0", &["x"]), vec![("x".into(), 2, true)]);
        assert_eq!(
            hits(b"ax\0", &["ax", "x"]),
            vec![("x".into(), 1, true), ("ax".into(), 0, false)]
        );
    }

    #[test]
    fn windows_read_find_what_a_whole_scan_finds() {
        // 3,000 names, each once, whole or as the tail of a longer string, among words and
        // NUL runs, at an odd file offset, read 4 KiB at a time: the same hits as the scan
        // of the bytes in memory (the hits of each name are kept once, so each must be one).
        let names: Vec<String> = (0..3000).map(|i| format!("n{i}_{}", i % 7)).collect();
        let mut x = 11u32;
        let mut data = Vec::new();
        for name in &names {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            for _ in 0..(x >> 16) % 90 {
                data.push(match (x >> 3) % 3 {
                    0 => 0,
                    _ => b'q',
                });
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            }
            if (x >> 20) & 1 == 0 {
                data.extend_from_slice(b"xy");
            } else {
                data.push(0);
            }
            data.extend_from_slice(name.as_bytes());
            data.push(0);
        }
        let file: Vec<u8> = [&b"ELF?"[..], &data].concat();
        let trie = ReverseTrie::new(names.iter().map(|n| n.as_bytes()));
        let whole = [RoData {
            section: b".rodata",
            bytes: &data,
            offset: 4,
            size: data.len() as u64,
        }];
        let parts = [RoData {
            bytes: &[],
            ..whole[0]
        }];
        let want = scan_with(&whole, &trie, &mut |_| {});
        let read = |at: u64, out: &mut [u8]| {
            out.copy_from_slice(&file[at as usize..at as usize + out.len()]);
            true
        };
        let got = scan_windows(&parts, &trie, 4096, &mut Vec::new(), &read).unwrap();
        let key = |h: &ByNameHit<'_>| (h.name.to_vec(), h.offset, h.suffix);
        assert_eq!(want.len(), names.len());
        assert_eq!(
            got.iter().map(key).collect::<Vec<_>>(),
            want.iter().map(key).collect::<Vec<_>>()
        );
    }

    /// Every (name, start, tail-merged) that a byte-by-byte comparison finds at the string
    /// ending at each NUL of `data`, shortest first.
    fn brute_force(data: &[u8], names: &[Vec<u8>]) -> Vec<Vec<(Vec<u8>, usize, bool)>> {
        let mut by_len: Vec<&Vec<u8>> = names.iter().collect();
        by_len.sort_by_key(|n| n.len());
        (0..data.len())
            .filter(|&i| data[i] == 0)
            .map(|end| {
                let start = data[..end]
                    .iter()
                    .rposition(|&b| b == 0)
                    .map_or(0, |i| i + 1);
                by_len
                    .iter()
                    .filter(|n| n.len() <= end - start && data[end - n.len()..end] == n[..])
                    .map(|n| (n.to_vec(), end - n.len(), end - n.len() > start))
                    .collect()
            })
            .collect()
    }

    /// Names over a three-letter alphabet, one to eight bytes long (four to eight for an odd
    /// seed: only the four-byte table then passes ends), so that many are suffixes of others
    /// (short names on the way to a node four bytes deep: `b`, `ab`, `cab`, `acab`), and
    /// strings of them with NULs, from a fixed pseudo-random sequence.
    fn suffix_rich(seed: u32) -> (Vec<Vec<u8>>, Vec<u8>) {
        let shortest = if seed % 2 == 1 { 4 } else { 1 };
        let mut x = seed;
        let mut next = move |n: u32| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) % n
        };
        let mut names: Vec<Vec<u8>> = (0..60)
            .map(|_| {
                let len = shortest + next(9 - shortest);
                (0..len).map(|_| b"abc"[next(3) as usize]).collect()
            })
            .collect();
        names.sort();
        names.dedup();
        let data = (0..3000)
            .map(|_| match next(7) {
                0 => 0,
                6 => b'd',
                _ => b"abc"[next(3) as usize],
            })
            .collect();
        (names, data)
    }

    #[test]
    fn filter_and_walk_find_what_byte_compares_find() {
        // The end filter passes every string end that ends in a name, and the walk (four
        // bytes down at once, or from the root past short names) reports what a byte-by-byte
        // comparison does, at every NUL (the data's first bytes included).
        for seed in 0..40 {
            let (names, data) = suffix_rich(seed);
            let trie = ReverseTrie::new(names.iter().map(|n| n.as_slice()));
            let want = brute_force(&data, &names);
            let ends = (0..data.len()).filter(|&i| data[i] == 0);
            for (end, want) in ends.zip(want) {
                if !want.is_empty() {
                    assert!(trie.filter.passes(&data, end), "seed {seed}, end {end}");
                }
                let mut got = Vec::new();
                trie.suffixes_ending_at(&data, end, |name, at, suffix| {
                    got.push((name.to_vec(), at, suffix))
                });
                assert_eq!(got, want, "seed {seed}, end {end}");
            }
        }
    }

    #[test]
    fn scan_finds_what_byte_compares_find() {
        // The whole scan (block masks, filter, walk, the hits of each name once) against the
        // byte-by-byte comparison, in memory and read in windows.
        for seed in 0..40 {
            let (names, data) = suffix_rich(seed);
            let trie = ReverseTrie::new(names.iter().map(|n| n.as_slice()));
            let mut want: Vec<(Vec<u8>, u64, bool)> = Vec::new();
            for (name, at, suffix) in brute_force(&data, &names).into_iter().flatten() {
                if !want.iter().any(|w| w.0 == name) {
                    want.push((name, at as u64, suffix));
                }
            }
            let whole = [RoData {
                section: b".rodata",
                bytes: &data,
                offset: 0,
                size: data.len() as u64,
            }];
            let key = |h: &ByNameHit<'_>| (h.name.to_vec(), h.offset, h.suffix);
            let got: Vec<_> = scan_with(&whole, &trie, &mut |_| {})
                .iter()
                .map(key)
                .collect();
            assert_eq!(got, want, "seed {seed}");
            let parts = [RoData {
                bytes: &[],
                ..whole[0]
            }];
            let read = |at: u64, out: &mut [u8]| {
                out.copy_from_slice(&data[at as usize..at as usize + out.len()]);
                true
            };
            let got = scan_windows(&parts, &trie, 256, &mut Vec::new(), &read).unwrap();
            assert_eq!(got.iter().map(key).collect::<Vec<_>>(), want, "seed {seed}");
        }
    }

    #[test]
    fn no_terminator_no_hit() {
        assert!(hits(b"free", &["free"]).is_empty());
        assert_eq!(hits(b"free\0", &["free"]), vec![("free".into(), 0, false)]);
    }
}
