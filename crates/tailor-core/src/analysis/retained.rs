//! Stage 2, analysis: what each root costs and how an item is reached — the dominator tree
//! of the live section graph from one meta-root (retained sizes, as twiggy computes them)
//! and the shortest distinct chains from a root to an item (`tailor why --all N`).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::gc::{EdgeKind, GcResult};
use super::ids::SectionId;

/// Node numbering of the dominator graph: 0 is the meta-root, `1..=roots` the roots, then
/// one node per section.
pub struct Retained {
    pub roots: usize,
    /// Retained bytes by node.
    pub retained: Vec<u64>,
    /// Immediate dominator by node (the meta-root dominates itself); `None` for nodes the
    /// meta-root does not reach (dead sections).
    pub idom: Vec<Option<u32>>,
}

impl Retained {
    pub fn section_node(&self, s: SectionId) -> usize {
        1 + self.roots + s.index()
    }
    pub fn root_node(&self, r: usize) -> usize {
        1 + r
    }
}

/// Computes retained sizes over the live graph; `size` is each section's own size.
pub fn retained_sizes(gc: &GcResult, size: &[u64]) -> Retained {
    let roots = gc.roots.len();
    let n = 1 + roots + gc.live.len();
    let sec = |s: SectionId| (1 + roots + s.index()) as u32;
    // Successors.
    let succ = |v: usize, out: &mut Vec<u32>| {
        out.clear();
        if v == 0 {
            out.extend((1..=roots as u32).collect::<Vec<_>>());
        } else if v <= roots {
            out.push(sec(gc.roots[v - 1].section));
        } else {
            let s = SectionId::from_index(v - 1 - roots);
            out.extend(
                gc.graph
                    .out(s)
                    .iter()
                    .filter(|e| gc.live[e.to.index()])
                    .map(|e| sec(e.to)),
            );
        }
    };
    // Reverse postorder by iterative DFS.
    let mut order = Vec::with_capacity(n);
    let mut visited = vec![false; n];
    let mut stack: Vec<(u32, Vec<u32>, usize)> = Vec::new();
    let mut buf = Vec::new();
    visited[0] = true;
    succ(0, &mut buf);
    stack.push((0, buf.clone(), 0));
    while let Some((v, children, i)) = stack.last_mut() {
        if *i < children.len() {
            let c = children[*i];
            *i += 1;
            if !visited[c as usize] {
                visited[c as usize] = true;
                succ(c as usize, &mut buf);
                stack.push((c, buf.clone(), 0));
            }
        } else {
            order.push(*v);
            stack.pop();
        }
    }
    order.reverse();
    // Set for every node the DFS reaches; only those are read.
    let mut rpo_index = vec![0u32; n];
    for (i, &v) in order.iter().enumerate() {
        rpo_index[v as usize] = i as u32;
    }
    // Predecessors of reachable nodes.
    let mut preds: Vec<Vec<u32>> = vec![Vec::new(); n];
    for &v in &order {
        succ(v as usize, &mut buf);
        for &c in &buf {
            preds[c as usize].push(v);
        }
    }
    // Cooper, Harvey, Kennedy: "A Simple, Fast Dominance Algorithm".
    let mut idom: Vec<Option<u32>> = vec![None; n];
    idom[0] = Some(0);
    let mut changed = true;
    while changed {
        changed = false;
        for &v in order.iter().skip(1) {
            let mut new = None;
            for &p in &preds[v as usize] {
                if idom[p as usize].is_none() {
                    continue;
                }
                new = Some(match new {
                    None => p,
                    Some(q) => intersect(&idom, &rpo_index, p, q),
                });
            }
            if new.is_some() && idom[v as usize] != new {
                idom[v as usize] = new;
                changed = true;
            }
        }
    }
    let mut retained = vec![0u64; n];
    for &v in &order {
        if v as usize > roots {
            retained[v as usize] = size[v as usize - 1 - roots];
        }
    }
    for &v in order.iter().rev() {
        if let Some(d) = idom[v as usize].filter(|_| v != 0) {
            retained[d as usize] += retained[v as usize];
        }
    }
    Retained {
        roots,
        retained,
        idom,
    }
}

/// The nearest common dominator of `a` and `b`, both with a dominator: up the tree, whose
/// every node on the way has one (the meta-root is its own).
fn intersect(idom: &[Option<u32>], rpo: &[u32], mut a: u32, mut b: u32) -> u32 {
    let up = |v: u32| idom[v as usize].unwrap_or(0);
    while a != b {
        while rpo[a as usize] > rpo[b as usize] {
            a = up(a);
        }
        while rpo[b as usize] > rpo[a as usize] {
            b = up(b);
        }
    }
    a
}

/// One chain: the root index, then sections from the root's section to the item, with the
/// edge that leads into each section after the first.
#[derive(Debug, Clone)]
pub struct Chain {
    pub root: usize,
    pub hops: Vec<(SectionId, Option<(SectionId, EdgeKind)>)>,
}

/// Live edges by target (compressed rows): `(from, kind)`, sorted by `from`.
struct Preds {
    offsets: Vec<u32>,
    edges: Vec<(SectionId, EdgeKind)>,
}

impl Preds {
    fn of(gc: &GcResult) -> Self {
        let n = gc.live.len();
        let live_edges = || {
            (0..n)
                .filter(|&s| gc.live[s])
                .flat_map(|s| {
                    let from = SectionId::from_index(s);
                    gc.graph.out(from).iter().map(move |e| (from, e))
                })
                .filter(|(_, e)| gc.live[e.to.index()])
        };
        let mut offsets = vec![0u32; n + 1];
        for (_, e) in live_edges() {
            offsets[e.to.index() + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut edges = vec![(SectionId(0), EdgeKind::Group); offsets[n] as usize];
        for (from, e) in live_edges() {
            let slot = &mut fill[e.to.index()];
            edges[*slot as usize] = (from, e.kind);
            *slot += 1;
        }
        for t in 0..n {
            edges[offsets[t] as usize..offsets[t + 1] as usize].sort_by_key(|p| p.0);
        }
        Preds { offsets, edges }
    }

    /// The live edges into `s`, one per source section (chains are distinct as section
    /// sequences).
    fn sources_of(&self, s: SectionId) -> impl Iterator<Item = (SectionId, EdgeKind)> + '_ {
        let row =
            &self.edges[self.offsets[s.index()] as usize..self.offsets[s.index() + 1] as usize];
        row.iter()
            .enumerate()
            .filter(|&(i, p)| i == 0 || row[i - 1].0 != p.0)
            .map(|(_, &p)| p)
    }
}

/// Distance of every live section from the nearest root section, over live edges.
fn distances(gc: &GcResult, roots_of: &[Vec<usize>]) -> Vec<Option<u32>> {
    let mut dist = vec![None; gc.live.len()];
    let mut queue: Vec<SectionId> = Vec::new();
    for (s, r) in roots_of.iter().enumerate() {
        if !r.is_empty() {
            dist[s] = Some(0);
            queue.push(SectionId::from_index(s));
        }
    }
    let mut head = 0;
    while head < queue.len() {
        let s = queue[head];
        head += 1;
        let d = dist[s.index()].map_or(0, |d| d + 1);
        for e in gc.graph.out(s) {
            if gc.live[e.to.index()] && dist[e.to.index()].is_none() {
                dist[e.to.index()] = Some(d);
                queue.push(e.to);
            }
        }
    }
    dist
}

/// A partial chain in the search: its section, the node it continues (towards the target)
/// and the edge from this section into that one.
type Node = (SectionId, Option<u32>, Option<EdgeKind>);

/// Up to `k` shortest distinct chains from a root to section `target` (live).
pub fn chains(gc: &GcResult, target: SectionId, k: usize) -> Vec<Chain> {
    let n = gc.live.len();
    let preds = Preds::of(gc);
    let mut roots_of: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, r) in gc.roots.iter().enumerate() {
        roots_of[r.section.index()].push(i);
    }
    let dist = distances(gc, &roots_of);
    let Some(target_dist) = dist[target.index()] else {
        return Vec::new();
    };
    // Best-first search backwards; the heuristic (distance to a root) is exact, so chains come
    // out shortest first. Partial chains live in an arena.
    let mut arena: Vec<Node> = vec![(target, None, None)];
    let mut heap = BinaryHeap::new();
    heap.push(Reverse((target_dist, 0u32, 0u32)));
    let mut out = Vec::new();
    let mut pops = 0;
    while let Some(Reverse((_, len, node))) = heap.pop() {
        pops += 1;
        if pops > 200_000 {
            break;
        }
        let s = arena[node as usize].0;
        for &root in &roots_of[s.index()] {
            out.push(Chain {
                root,
                hops: hops_from(&arena, node),
            });
            if out.len() >= k {
                return out;
            }
        }
        if !roots_of[s.index()].is_empty() {
            continue;
        }
        for (p, kind) in preds.sources_of(s) {
            let Some(d) = dist[p.index()] else { continue };
            if on_chain(&arena, node, p) {
                continue;
            }
            arena.push((p, Some(node), Some(kind)));
            let id = arena.len() as u32 - 1;
            heap.push(Reverse((len + 1 + d, len + 1, id)));
        }
    }
    out
}

/// The chain from arena node `node` (a root's section) forwards to the target.
fn hops_from(arena: &[Node], node: u32) -> Vec<(SectionId, Option<(SectionId, EdgeKind)>)> {
    let mut hops = Vec::new();
    let mut at = Some(node);
    let mut edge_in: Option<(SectionId, EdgeKind)> = None;
    while let Some(i) = at {
        let (sec, next, edge) = arena[i as usize];
        hops.push((sec, edge_in));
        edge_in = edge.map(|k| (sec, k));
        at = next;
    }
    hops
}

fn on_chain(arena: &[Node], node: u32, s: SectionId) -> bool {
    let mut at = Some(node);
    while let Some(i) = at {
        if arena[i as usize].0 == s {
            return true;
        }
        at = arena[i as usize].1;
    }
    false
}
