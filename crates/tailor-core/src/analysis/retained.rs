//! Stage 2, analysis: what each root costs and how an item is reached — the dominator tree
//! of the live section graph from one meta-root (retained sizes, as twiggy computes them)
//! and the shortest distinct chains from a root to an item (`tailor why --all N`).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::gc::{EdgeKind, GcResult};

/// Node numbering of the dominator graph: 0 is the meta-root, `1..=roots` the roots, then
/// one node per section.
pub struct Retained {
    pub roots: usize,
    /// Retained bytes by node.
    pub retained: Vec<u64>,
    /// Immediate dominator by node (the meta-root dominates itself).
    pub idom: Vec<u32>,
}

impl Retained {
    pub fn section_node(&self, s: u32) -> usize {
        1 + self.roots + s as usize
    }
    pub fn root_node(&self, r: usize) -> usize {
        1 + r
    }
}

/// Computes retained sizes over the live graph; `size` is each section's own size.
pub fn retained_sizes(gc: &GcResult, size: &[u64]) -> Retained {
    let roots = gc.roots.len();
    let n = 1 + roots + gc.live.len();
    let sec = |s: u32| (1 + roots + s as usize) as u32;
    // Successors.
    let succ = |v: usize, out: &mut Vec<u32>| {
        out.clear();
        if v == 0 {
            out.extend((1..=roots as u32).collect::<Vec<_>>());
        } else if v <= roots {
            out.push(sec(gc.roots[v - 1].section));
        } else {
            let s = (v - 1 - roots) as u32;
            out.extend(
                gc.graph
                    .out(s)
                    .iter()
                    .filter(|e| gc.live[e.to as usize])
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
    let mut rpo_index = vec![u32::MAX; n];
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
    const UNDEF: u32 = u32::MAX;
    let mut idom = vec![UNDEF; n];
    idom[0] = 0;
    let mut changed = true;
    while changed {
        changed = false;
        for &v in order.iter().skip(1) {
            let mut new = UNDEF;
            for &p in &preds[v as usize] {
                if idom[p as usize] == UNDEF {
                    continue;
                }
                new = if new == UNDEF {
                    p
                } else {
                    intersect(&idom, &rpo_index, p, new)
                };
            }
            if new != UNDEF && idom[v as usize] != new {
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
        let d = idom[v as usize];
        if v != 0 && d != UNDEF {
            retained[d as usize] += retained[v as usize];
        }
    }
    Retained {
        roots,
        retained,
        idom,
    }
}

fn intersect(idom: &[u32], rpo: &[u32], mut a: u32, mut b: u32) -> u32 {
    while a != b {
        while rpo[a as usize] > rpo[b as usize] {
            a = idom[a as usize];
        }
        while rpo[b as usize] > rpo[a as usize] {
            b = idom[b as usize];
        }
    }
    a
}

/// One chain: the root index, then sections from the root's section to the item, with the
/// edge that leads into each section after the first.
#[derive(Debug, Clone)]
pub struct Chain {
    pub root: usize,
    pub hops: Vec<(u32, Option<(u32, EdgeKind)>)>,
}

/// Up to `k` shortest distinct chains from a root to section `target` (live).
pub fn chains(gc: &GcResult, target: u32, k: usize) -> Vec<Chain> {
    let n = gc.live.len();
    // Predecessors over live edges: (from, kind).
    let mut pred_count = vec![0u32; n + 1];
    for s in 0..n {
        if gc.live[s] {
            for e in gc.graph.out(s as u32) {
                if gc.live[e.to as usize] {
                    pred_count[e.to as usize + 1] += 1;
                }
            }
        }
    }
    for i in 0..n {
        pred_count[i + 1] += pred_count[i];
    }
    let mut fill = pred_count.clone();
    let mut preds = vec![(u32::MAX, EdgeKind::Group); pred_count[n] as usize];
    for s in 0..n {
        if gc.live[s] {
            for e in gc.graph.out(s as u32) {
                if gc.live[e.to as usize] {
                    let slot = &mut fill[e.to as usize];
                    preds[*slot as usize] = (s as u32, e.kind);
                    *slot += 1;
                }
            }
        }
    }
    // One edge per (from, to) pair: chains are distinct as section sequences.
    for t in 0..n {
        let (a, b) = (pred_count[t] as usize, pred_count[t + 1] as usize);
        let row = &mut preds[a..b];
        row.sort_by_key(|p| p.0);
        let mut prev = u32::MAX;
        for p in row.iter_mut() {
            if p.0 == prev {
                p.0 = u32::MAX;
            } else {
                prev = p.0;
            }
        }
    }
    // Distance from the nearest root section.
    let mut roots_of: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, r) in gc.roots.iter().enumerate() {
        roots_of[r.section as usize].push(i);
    }
    let mut dist = vec![u32::MAX; n];
    let mut queue: Vec<u32> = Vec::new();
    for (s, r) in roots_of.iter().enumerate() {
        if !r.is_empty() {
            dist[s] = 0;
            queue.push(s as u32);
        }
    }
    let mut head = 0;
    while head < queue.len() {
        let s = queue[head];
        head += 1;
        for e in gc.graph.out(s) {
            if gc.live[e.to as usize] && dist[e.to as usize] == u32::MAX {
                dist[e.to as usize] = dist[s as usize] + 1;
                queue.push(e.to);
            }
        }
    }
    if dist[target as usize] == u32::MAX {
        return Vec::new();
    }
    // Best-first search backwards; the heuristic (distance to a root) is exact, so chains come
    // out shortest first. Partial chains live in an arena: (section, parent, edge into parent).
    let mut arena: Vec<(u32, u32, Option<EdgeKind>)> = vec![(target, u32::MAX, None)];
    let mut heap = BinaryHeap::new();
    heap.push(Reverse((dist[target as usize], 0u32, 0u32)));
    let mut out = Vec::new();
    let mut pops = 0;
    while let Some(Reverse((_, len, node))) = heap.pop() {
        pops += 1;
        if pops > 200_000 {
            break;
        }
        let s = arena[node as usize].0;
        for &root in &roots_of[s as usize] {
            // Walk to the target: the arena chain runs from this root section forwards.
            let mut hops = Vec::new();
            let mut at = node;
            let mut edge_in: Option<(u32, EdgeKind)> = None;
            loop {
                let (sec, parent, edge) = arena[at as usize];
                hops.push((sec, edge_in));
                if parent == u32::MAX {
                    break;
                }
                edge_in = edge.map(|k| (sec, k));
                at = parent;
            }
            out.push(Chain { root, hops });
            if out.len() >= k {
                return out;
            }
        }
        if !roots_of[s as usize].is_empty() {
            continue;
        }
        let (a, b) = (
            pred_count[s as usize] as usize,
            pred_count[s as usize + 1] as usize,
        );
        for &(p, kind) in &preds[a..b] {
            if p == u32::MAX || dist[p as usize] == u32::MAX || on_chain(&arena, node, p) {
                continue;
            }
            arena.push((p, node, Some(kind)));
            let id = arena.len() as u32 - 1;
            heap.push(Reverse((len + 1 + dist[p as usize], len + 1, id)));
        }
    }
    out
}

fn on_chain(arena: &[(u32, u32, Option<EdgeKind>)], mut node: u32, s: u32) -> bool {
    while node != u32::MAX {
        if arena[node as usize].0 == s {
            return true;
        }
        node = arena[node as usize].1;
    }
    false
}
