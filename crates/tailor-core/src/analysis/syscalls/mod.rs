//! Stage 2, analysis: the system calls a program can make, found in its code. A statically
//! linked program asks nothing of its kernel through symbols (OSv runs it through the
//! `syscall` instruction), so the set comes from disassembly: every `syscall` (x86-64) or
//! `svc` (AArch64) instruction in code reachable from the entry point and from what the
//! program registers (init arrays, ifunc resolvers, address-taken functions), its number
//! traced backwards through moves, branches and calls into wrappers (musl's
//! `__syscall_cp_asm`, glibc's `syscall`) up to the constants at their call sites.
//!
//! The architecture front ends ([`x86_64`], [`aarch64`]) turn instructions into [`Insn`]
//! summaries (control flow, the one assignment the analysis follows, the registers written
//! otherwise, the code addresses taken); everything after that is architecture-neutral.

pub(crate) mod aarch64;
pub(crate) mod image;
pub(crate) mod linux_tables;
pub mod names;
pub(crate) mod osv_tables;
pub(crate) mod x86_64;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Serialize;

pub use image::Linkage;

use crate::error::Result;

/// The instruction sets read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    #[serde(rename = "x86-64")]
    X86_64,
    Aarch64,
}

impl Arch {
    /// The register holding the system call number (rax, x8).
    fn number_reg(self) -> Reg {
        match self {
            Arch::X86_64 => x86_64::RAX,
            Arch::Aarch64 => Reg(8),
        }
    }

    /// The first argument register (rdi, x0): `syscall()`'s number.
    fn arg0(self) -> Reg {
        match self {
            Arch::X86_64 => x86_64::RDI,
            Arch::Aarch64 => Reg(0),
        }
    }

    /// The name of Linux's table for the architecture, for messages.
    pub fn table_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86-64",
            Arch::Aarch64 => "AArch64 (generic)",
        }
    }
}

/// A general-purpose register: x86-64 in encoding order (rax 0, rcx 1, … r15 15), AArch64
/// x0 … x30.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Reg(pub(crate) u8);

/// A set of registers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RegSet(pub(crate) u64);

impl RegSet {
    pub(crate) fn add(&mut self, r: Reg) {
        self.0 |= 1u64 << (r.0 & 63);
    }
    pub(crate) fn has(self, r: Reg) -> bool {
        self.0 & (1u64 << (r.0 & 63)) != 0
    }
}

/// An instruction's control flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Next,
    Jump(u64),
    CondJump(u64),
    /// An indirect jump: `table` is the address of the absolute targets it indexes (x86-64
    /// `jmp [idx*8 + table]`), `mem` the address it loads its target from (a GOT slot).
    JumpIndirect {
        table: Option<u64>,
        mem: Option<u64>,
    },
    Call(u64),
    /// `mem`: the address the target is loaded from, when the instruction says.
    CallIndirect {
        mem: Option<u64>,
    },
    Return,
    /// Execution does not go on (hlt, ud2, brk, an undecodable instruction).
    Stop,
    /// `syscall` / `svc`.
    Syscall,
    /// `int 0x80` or `sysenter`: the i386 table, which this analysis does not map.
    LegacySyscall,
}

/// The one assignment of an instruction the analysis follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Def {
    None,
    Const(Reg, i64),
    Copy(Reg, Reg),
    /// A conditional move: the destination keeps its value or takes the source's.
    CondCopy(Reg, Reg),
}

/// One decoded instruction, summarised.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Insn {
    pub(crate) addr: u64,
    pub(crate) len: u8,
    pub(crate) flow: Flow,
    pub(crate) def: Def,
    /// Registers written other than by `def` (a call's caller-saved registers included).
    pub(crate) kills: RegSet,
    /// Addresses the instruction computes or names (`lea`, immediates, `adrp`+`add`): a code
    /// address among them is a function whose address is taken.
    pub(crate) refs: [Option<u64>; 2],
    /// A no-op (alignment padding when nothing jumps to it).
    pub(crate) nop: bool,
    /// A conditional jump that tests a register against zero (`test r, r; je`, `cbz`): the
    /// register is 0 on the taken edge (`true`) or on the fall-through (`false`).
    pub(crate) zero: Option<(Reg, bool)>,
}

/// A function of the analysis: a range of instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct FuncId(u32);

/// An instruction, by index into the decoded instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct InsnId(u32);

#[derive(Debug)]
struct Func<'a> {
    start: InsnId,
    /// One past the last instruction.
    end: InsnId,
    /// Entered other than by the calls seen: the entry point, a pointer to its first
    /// instruction in data or code, an export. Its arguments are then unknown.
    entered_unseen: bool,
    root: bool,
    /// An import stub (PLT entry) of this function.
    import: Option<&'a [u8]>,
}

/// A compressed adjacency list (keys dense, values sorted per key).
#[derive(Debug, Default)]
struct Csr {
    offsets: Vec<u32>,
    values: Vec<u32>,
}

impl Csr {
    fn new(keys: usize, mut pairs: Vec<(u32, u32)>) -> Self {
        pairs.sort_unstable();
        pairs.dedup();
        let mut offsets = vec![0u32; keys + 1];
        for &(k, _) in &pairs {
            offsets[k as usize + 1] += 1;
        }
        for i in 0..keys {
            offsets[i + 1] += offsets[i];
        }
        Csr {
            offsets,
            values: pairs.into_iter().map(|(_, v)| v).collect(),
        }
    }

    fn get(&self, k: u32) -> &[u32] {
        let k = k as usize;
        match (self.offsets.get(k), self.offsets.get(k + 1)) {
            (Some(&a), Some(&b)) => &self.values[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// Where a system call number comes from, as traced backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Atom {
    /// A constant, set by instruction `at`.
    Const {
        value: i64,
        at: InsnId,
    },
    /// The register's value on entry to a function: its callers say.
    Entry {
        func: FuncId,
        reg: Reg,
    },
    Unknown {
        at: InsnId,
        why: Why,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Why {
    /// Written by an instruction whose value the analysis does not follow (a load, arithmetic).
    Written,
    /// The result of a call (or clobbered by it).
    CallResult,
    /// No instruction is known to lead here, and its address is taken.
    NoPredecessor,
    /// An argument of a function entered through a pointer, by the kernel, or from outside.
    EnteredUnseen,
    /// `int 0x80` / `sysenter`: a call into the i386 table.
    LegacyAbi,
}

/// One system call the program can make.
#[derive(Debug, Clone, Serialize)]
pub struct SyscallUse {
    pub number: u32,
    /// Linux's name.
    pub name: &'static str,
    /// OSv's spelling, when OSv implements it.
    pub osv: Option<&'static str>,
    /// The functions that set the number (`name+0xOFF`, or the address without symbols).
    pub from: Vec<String>,
    /// The system call instructions (or `syscall()` calls) it is made through.
    pub through: Vec<String>,
}

/// A system call whose number the analysis could not recover.
#[derive(Debug, Clone, Serialize)]
pub struct UnknownSyscall {
    /// The `syscall`/`svc` instruction (or the call of `syscall()`).
    pub site: String,
    pub reason: String,
}

/// The system calls of one program.
#[derive(Debug, Serialize)]
pub struct FileSyscalls {
    pub path: String,
    pub arch: Arch,
    pub linkage: Linkage,
    /// Whether the file has `.symtab` (else functions come from the entry, calls and pointers).
    pub symbols: bool,
    pub instructions: usize,
    pub functions: usize,
    pub reachable_functions: usize,
    /// `syscall`/`svc` instructions (and `syscall()` calls) in reachable code.
    pub sites: usize,
    pub syscalls: Vec<SyscallUse>,
    pub unknown: Vec<UnknownSyscall>,
}

/// Reads and analyses one program.
pub fn analyze(path: &Path, data: &[u8]) -> Result<FileSyscalls> {
    let image = image::read(path, data)?;
    let program = Program::build(&image);
    Ok(program.syscalls(path))
}

/// Decodes every code section of `data` as the analysis does, for the fuzz target; returns
/// the instruction count.
pub fn decode_only(data: &[u8]) -> usize {
    let Ok(image) = image::read(Path::new("fuzz-input"), data) else {
        return 0;
    };
    let p = Program::build(&image);
    let _ = p.syscalls(Path::new("fuzz-input"));
    p.insns.len()
}

/// Decodes raw code bytes at `addr` (fuzzing the front ends alone).
pub fn decode_bytes(arch: Arch, addr: u64, bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    decode(arch, addr, bytes, &mut out);
    out.len()
}

fn decode(arch: Arch, addr: u64, bytes: &[u8], out: &mut Vec<Insn>) {
    match arch {
        Arch::X86_64 => x86_64::decode(addr, bytes, out),
        Arch::Aarch64 => aarch64::decode(addr, bytes, out),
    }
}

struct Program<'a> {
    image: &'a image::CodeImage<'a>,
    insns: Vec<Insn>,
    funcs: Vec<Func<'a>>,
    /// Per instruction, its function.
    func_of: Vec<FuncId>,
    /// Instruction → the jumps (not calls) that lead to it from elsewhere than the previous
    /// instruction.
    jump_preds: Csr,
    /// Function → the calls and tail jumps that enter it.
    callers: Csr,
    /// Function → its indirect jumps through tables the analysis cannot read.
    indirect_jumps: Csr,
    reachable: Vec<bool>,
    /// `syscall()` calls in a dynamically linked program: the number is the first argument.
    import_sites: Vec<InsnId>,
    /// (target, jump) pairs read from jump tables.
    table_edges: Vec<(u32, u32)>,
    /// Instructions whose address is in data or taken by code, sorted.
    pointed: Vec<u32>,
    /// Per function: whether it can return (a call of one that cannot does not fall through).
    returns: Vec<bool>,
}

impl<'a> Program<'a> {
    fn build(image: &'a image::CodeImage<'a>) -> Self {
        let arch = image.arch;
        // Roughly one instruction per 4 bytes of code.
        let code_bytes: usize = image.code.iter().map(|s| s.bytes.len()).sum();
        let mut insns = Vec::with_capacity(code_bytes / 4 + 16);
        for s in &image.code {
            decode(arch, s.addr, s.bytes, &mut insns);
        }
        // Sections are sorted and disjoint, so addresses increase; a decoder that ran past its
        // section's end would break that (drop what overlaps).
        let mut last_end = 0u64;
        insns.retain(|i| {
            let keep = i.addr >= last_end;
            if keep {
                last_end = i.addr + u64::from(i.len);
            }
            keep
        });
        let mut p = Program {
            image,
            insns,
            funcs: Vec::new(),
            func_of: Vec::new(),
            jump_preds: Csr::default(),
            callers: Csr::default(),
            indirect_jumps: Csr::default(),
            reachable: Vec::new(),
            import_sites: Vec::new(),
            table_edges: Vec::new(),
            pointed: Vec::new(),
            returns: Vec::new(),
        };
        p.partition();
        p.link();
        p
    }

    fn index_of(&self, addr: u64) -> Option<InsnId> {
        self.insns
            .binary_search_by_key(&addr, |i| i.addr)
            .ok()
            .map(|i| InsnId(i as u32))
    }

    fn insn(&self, i: InsnId) -> &Insn {
        &self.insns[i.0 as usize]
    }

    fn func(&self, i: InsnId) -> FuncId {
        self.func_of[i.0 as usize]
    }

    /// Function starts, then the functions: symbols, the entry, call targets, section starts,
    /// and (without symbols) code pointers and taken addresses.
    fn partition(&mut self) {
        let image = self.image;
        let mut starts: Vec<u32> = Vec::new();
        let mut names: HashMap<u32, (&'a [u8], bool)> = HashMap::new();
        for f in &image.funcs {
            if let Some(i) = self.index_of(f.addr) {
                starts.push(i.0);
                names.entry(i.0).or_insert((f.name, f.exported));
            }
            // What follows a sized function (padding, data in code, code without a symbol) is
            // a range of its own: an address taken there does not make the function reachable.
            if f.size > 0 {
                if let Some(i) = self.index_of(f.addr.saturating_add(f.size)) {
                    starts.push(i.0);
                }
            }
        }
        if let Some(i) = image.entry.and_then(|e| self.index_of(e)) {
            starts.push(i.0);
        }
        for s in &image.code {
            if let Some(i) = self.index_of(s.addr) {
                starts.push(i.0);
            }
        }
        for ins in &self.insns {
            if let Flow::Call(t) = ins.flow {
                if let Some(i) = self.index_of(t) {
                    starts.push(i.0);
                }
            }
        }
        starts.sort_unstable();
        starts.dedup();

        // Jump tables of absolute addresses: their entries are jump targets inside the
        // function that jumps, not functions (read against the functions known so far).
        let mut table_words: Vec<(u64, u64)> = Vec::new();
        let mut table_edges: Vec<(u32, u32)> = Vec::new();
        for (idx, ins) in self.insns.iter().enumerate() {
            let Flow::JumpIndirect {
                table: Some(table), ..
            } = ins.flow
            else {
                continue;
            };
            let (lo, hi) = range_around(&starts, idx as u32, self.insns.len() as u32);
            let mut k = 0u64;
            while k < 4096 {
                let Some(word) = image.read_u64(table + 8 * k) else {
                    break;
                };
                match self.index_of(word) {
                    Some(t) if t.0 >= lo && t.0 < hi => table_edges.push((t.0, idx as u32)),
                    _ => break,
                }
                k += 1;
            }
            if k > 0 {
                table_words.push((table, table + 8 * k));
            }
        }
        table_words.sort_unstable();

        // Code pointers: aligned words of data that are instruction addresses, and the
        // relocations' targets.
        let in_table = |a: u64| {
            let i = table_words.partition_point(|&(s, _)| s <= a);
            i > 0 && a < table_words[i - 1].1
        };
        let mut pointers: Vec<u32> = Vec::new();
        for d in &image.data {
            let skip = (8 - (d.addr % 8) as usize) % 8;
            let Some(aligned) = d.bytes.get(skip..) else {
                continue;
            };
            for (k, w) in aligned.chunks_exact(8).enumerate() {
                let mut b = [0u8; 8];
                b.copy_from_slice(w);
                let value = u64::from_le_bytes(b);
                if value == 0 {
                    continue;
                }
                if let Some(i) = self.index_of(value) {
                    if !in_table(d.addr + skip as u64 + 8 * k as u64) {
                        pointers.push(i.0);
                    }
                }
            }
        }
        for &a in &image.reloc_pointers {
            if let Some(i) = self.index_of(a) {
                pointers.push(i.0);
            }
        }
        let mut taken: Vec<u32> = Vec::new();
        for ins in &self.insns {
            for a in ins.refs.iter().flatten() {
                if let Some(i) = self.index_of(*a) {
                    taken.push(i.0);
                }
            }
        }
        if !image.has_symtab {
            starts.extend(&pointers);
            starts.extend(&taken);
            starts.sort_unstable();
            starts.dedup();
        }
        pointers.sort_unstable();
        pointers.dedup();

        // The functions.
        let n = self.insns.len() as u32;
        self.func_of = vec![FuncId(0); n as usize];
        for (k, &s) in starts.iter().enumerate() {
            let end = starts.get(k + 1).copied().unwrap_or(n);
            let exported = names.get(&s).is_some_and(|&(_, exported)| exported);
            let entered_unseen = exported
                || Some(self.insns[s as usize].addr) == image.entry
                || pointers.binary_search(&s).is_ok()
                || (!image.has_symtab && taken.contains(&s));
            for f in &mut self.func_of[s as usize..end as usize] {
                *f = FuncId(k as u32);
            }
            self.funcs.push(Func {
                start: InsnId(s),
                end: InsnId(end),
                entered_unseen,
                root: entered_unseen
                    || image
                        .code
                        .iter()
                        .any(|c| c.addr == self.insns[s as usize].addr && is_init_section(c.name)),
                import: None,
            });
        }
        // Code pointers into a function (not at its start) make it a root too.
        for &pi in &pointers {
            let f = self.func_of[pi as usize];
            self.funcs[f.0 as usize].root = true;
        }
        self.table_edges = table_edges;
        pointers.extend(&taken);
        pointers.sort_unstable();
        pointers.dedup();
        self.pointed = pointers;
    }
}

/// The constants (with the instruction setting each) and the unknowns found for a register.
type Values = (Vec<(i64, InsnId)>, Vec<(InsnId, Why)>);

enum Step {
    /// The value after the instruction is `Reg`'s before it.
    Before(Reg),
    /// A conditional move: either register's value before it.
    Fork(Reg, Reg),
    Done(Atom),
}

impl<'a> Program<'a> {
    /// Edges between functions, predecessors of instructions, callers of functions, import
    /// stubs and `syscall()` calls; then what is reachable from the roots.
    fn link(&mut self) {
        let nf = self.funcs.len();
        let mut jump_preds: Vec<(u32, u32)> = Vec::new();
        let mut callers: Vec<(u32, u32)> = Vec::new();
        let mut indirect: Vec<(u32, u32)> = Vec::new();
        let mut edges: Vec<(u32, u32)> = Vec::new();
        for (idx, ins) in self.insns.iter().enumerate() {
            let f = self.func_of[idx];
            match ins.flow {
                Flow::Call(t) => {
                    if let Some(ti) = self.index_of(t) {
                        let g = self.func(ti);
                        callers.push((g.0, idx as u32));
                        edges.push((f.0, g.0));
                    }
                }
                Flow::Jump(t) | Flow::CondJump(t) => {
                    if let Some(ti) = self.index_of(t) {
                        let g = self.func(ti);
                        if self.funcs[g.0 as usize].start == ti && g != f {
                            callers.push((g.0, idx as u32));
                        } else {
                            jump_preds.push((ti.0, idx as u32));
                        }
                        edges.push((f.0, g.0));
                    }
                }
                Flow::JumpIndirect { table: None, .. } => indirect.push((f.0, idx as u32)),
                _ => {}
            }
            for a in ins.refs.iter().flatten() {
                if let Some(ti) = self.index_of(*a) {
                    edges.push((f.0, self.func(ti).0));
                }
            }
        }
        for &(t, j) in &self.table_edges {
            jump_preds.push((t, j));
            edges.push((self.func_of[j as usize].0, self.func_of[t as usize].0));
        }
        for g in 1..nf {
            if let Some(p) = self.fallthrough_pred(self.funcs[g].start) {
                edges.push((self.func(p).0, g as u32));
            }
        }
        // Import stubs: a function whose first instructions jump through an imported
        // function's GOT slot (a PLT entry); calls through a slot directly (-fno-plt).
        let imports = &self.image.imports;
        let mut import_sites = Vec::new();
        for f in &mut self.funcs {
            let first = f.start.0 as usize;
            let last = (first + 4).min(f.end.0 as usize);
            for ins in &self.insns[first..last] {
                if let Flow::JumpIndirect { mem: Some(m), .. } = ins.flow {
                    if let Some(name) = imports.get(&m) {
                        f.import = Some(name);
                    }
                    break;
                }
            }
        }
        for (idx, ins) in self.insns.iter().enumerate() {
            let callee_import = match ins.flow {
                Flow::Call(t) => self
                    .index_of(t)
                    .and_then(|ti| self.funcs[self.func(ti).0 as usize].import),
                Flow::CallIndirect { mem: Some(m) } => imports.get(&m).copied(),
                _ => None,
            };
            if callee_import == Some(&b"syscall"[..]) {
                import_sites.push(InsnId(idx as u32));
            }
        }
        self.import_sites = import_sites;
        self.returns = self.may_return(&callers);
        self.jump_preds = Csr::new(self.insns.len(), jump_preds);
        self.callers = Csr::new(nf, callers);
        self.indirect_jumps = Csr::new(nf, indirect);
        let edges = Csr::new(nf, edges);

        let mut reachable = vec![false; nf];
        let mut work: Vec<u32> = Vec::new();
        for (k, f) in self.funcs.iter().enumerate() {
            if f.root {
                reachable[k] = true;
                work.push(k as u32);
            }
        }
        while let Some(f) = work.pop() {
            for &g in edges.get(f) {
                if !reachable[g as usize] {
                    reachable[g as usize] = true;
                    work.push(g);
                }
            }
        }
        self.reachable = reachable;
    }

    /// Which functions can return, to a fixed point: one with a `ret`, an indirect jump that
    /// is not a table's (a tail call through a pointer, a PLT entry), or a tail jump to (or a
    /// fall into) a function that can.
    fn may_return(&self, callers: &[(u32, u32)]) -> Vec<bool> {
        let nf = self.funcs.len();
        let mut returns = vec![false; nf];
        // Function → the functions it tail-jumps or falls into.
        let mut next: Vec<(u32, u32)> = Vec::new();
        for &(g, site) in callers {
            if !matches!(self.insns[site as usize].flow, Flow::Call(_)) {
                next.push((self.func_of[site as usize].0, g));
            }
        }
        for (k, f) in self.funcs.iter().enumerate() {
            let body = &self.insns[f.start.0 as usize..f.end.0 as usize];
            returns[k] = body.iter().any(|i| {
                matches!(
                    i.flow,
                    Flow::Return | Flow::JumpIndirect { table: None, .. }
                )
            });
            if let Some(last) = body.iter().rev().find(|i| !i.nop) {
                if matches!(last.flow, Flow::Next | Flow::CondJump(_) | Flow::Syscall) && k + 1 < nf
                {
                    next.push((k as u32, k as u32 + 1));
                }
            }
        }
        let next = Csr::new(nf, next);
        let mut changed = true;
        while changed {
            changed = false;
            for k in 0..nf {
                if !returns[k] && next.get(k as u32).iter().any(|&g| returns[g as usize]) {
                    returns[k] = true;
                    changed = true;
                }
            }
        }
        returns
    }

    /// The instruction before `i` when execution falls from it into `i` (not from a call into
    /// the next function: that call does not return).
    fn fallthrough_pred(&self, i: InsnId) -> Option<InsnId> {
        let p = i.0.checked_sub(1)?;
        let prev = &self.insns[p as usize];
        let cur = self.insn(i);
        if prev.addr + u64::from(prev.len) != cur.addr {
            return None;
        }
        let into_function = self.funcs[self.func(i).0 as usize].start == i;
        match prev.flow {
            Flow::Next | Flow::CondJump(_) | Flow::Syscall | Flow::LegacySyscall => Some(InsnId(p)),
            Flow::Call(t) if !into_function => {
                let callee = self.index_of(t).map(|ti| self.func(ti).0 as usize);
                match callee.and_then(|g| self.returns.get(g)) {
                    Some(false) => None,
                    _ => Some(InsnId(p)),
                }
            }
            Flow::CallIndirect { .. } if !into_function => Some(InsnId(p)),
            _ => None,
        }
    }

    /// What instruction `p` does to `reg`'s value, on its taken edge or its fall-through.
    fn step(&self, p: InsnId, reg: Reg, taken: bool) -> Step {
        let ins = self.insn(p);
        if ins.zero == Some((reg, taken)) {
            return Step::Done(Atom::Const { value: 0, at: p });
        }
        match ins.def {
            Def::Const(d, v) if d == reg => return Step::Done(Atom::Const { value: v, at: p }),
            Def::Copy(d, s) if d == reg => return Step::Before(s),
            Def::CondCopy(d, s) if d == reg => return Step::Fork(reg, s),
            _ => {}
        }
        if ins.kills.has(reg) {
            let why = match ins.flow {
                Flow::Call(_) | Flow::CallIndirect { .. } | Flow::Syscall => Why::CallResult,
                _ => Why::Written,
            };
            return Step::Done(Atom::Unknown { at: p, why });
        }
        Step::Before(reg)
    }

    fn after(&self, p: InsnId, reg: Reg, work: &mut Vec<(InsnId, Reg)>, out: &mut Vec<Atom>) {
        let taken = matches!(self.insn(p).flow, Flow::CondJump(_));
        match self.step(p, reg, taken) {
            Step::Before(r) => work.push((p, r)),
            Step::Fork(a, b) => {
                work.push((p, a));
                work.push((p, b));
            }
            Step::Done(atom) => out.push(atom),
        }
    }

    /// Where `reg`'s value just before instruction `start` comes from, within its function
    /// (and the functions that jump into it): constants, unknowns, and the function entries
    /// whose callers say more.
    fn atoms_before(&self, start: InsnId, reg: Reg) -> Vec<Atom> {
        let mut out = Vec::new();
        let mut seen: HashSet<(InsnId, Reg)> = HashSet::new();
        let mut work = vec![(start, reg)];
        while let Some((mut i, mut r)) = work.pop() {
            loop {
                let f = self.func(i);
                let at_start = self.funcs[f.0 as usize].start == i;
                if at_start {
                    out.push(Atom::Entry { func: f, reg: r });
                }
                let jp = self.jump_preds.get(i.0);
                let ft = self.fallthrough_pred(i);
                if jp.is_empty() && ft.is_none() {
                    // Nothing is known to lead here: alignment padding after a jump (dead), an
                    // address taken (entered from anywhere), a target of the function's
                    // indirect jumps (their state), or else code nothing reaches.
                    if !at_start && !self.insn(i).nop {
                        let ij = self.indirect_jumps.get(f.0);
                        if self.pointed.binary_search(&i.0).is_ok() {
                            out.push(Atom::Unknown {
                                at: i,
                                why: Why::NoPredecessor,
                            });
                        } else if !ij.is_empty() && seen.insert((i, r)) {
                            for &p in ij {
                                self.after(InsnId(p), r, &mut work, &mut out);
                            }
                        }
                    }
                    break;
                }
                if !jp.is_empty() {
                    if !seen.insert((i, r)) {
                        break;
                    }
                    for &p in jp {
                        self.after(InsnId(p), r, &mut work, &mut out);
                    }
                }
                let Some(p) = ft else { break };
                match self.step(p, r, false) {
                    Step::Before(r2) => {
                        i = p;
                        r = r2;
                    }
                    Step::Fork(a, b) => {
                        work.push((p, a));
                        work.push((p, b));
                        break;
                    }
                    Step::Done(atom) => {
                        out.push(atom);
                        break;
                    }
                }
            }
        }
        let mut unique = HashSet::new();
        out.retain(|a| unique.insert(*a));
        out
    }

    /// Every value `reg` can have just before `site`, following function entries to the
    /// reachable calls of the function (through as many wrapper levels as there are).
    fn values(
        &self,
        site: InsnId,
        reg: Reg,
        memo: &mut HashMap<(InsnId, Reg), Vec<Atom>>,
    ) -> Values {
        let mut consts = Vec::new();
        let mut unknown = Vec::new();
        let mut visited: HashSet<(FuncId, Reg)> = HashSet::new();
        let mut stack: Vec<Atom> = memo
            .entry((site, reg))
            .or_insert_with(|| self.atoms_before(site, reg))
            .clone();
        while let Some(a) = stack.pop() {
            match a {
                Atom::Const { value, at } => consts.push((value, at)),
                Atom::Unknown { at, why } => unknown.push((at, why)),
                Atom::Entry { func, reg } => {
                    if !visited.insert((func, reg)) {
                        continue;
                    }
                    let f = &self.funcs[func.0 as usize];
                    if f.entered_unseen {
                        unknown.push((f.start, Why::EnteredUnseen));
                    }
                    for &c in self.callers.get(func.0) {
                        let c = InsnId(c);
                        if !self.reachable[self.func(c).0 as usize] {
                            continue;
                        }
                        let atoms = memo
                            .entry((c, reg))
                            .or_insert_with(|| self.atoms_before(c, reg));
                        stack.extend(atoms.iter().copied());
                    }
                }
            }
        }
        consts.sort_unstable();
        consts.dedup();
        unknown.sort_unstable();
        unknown.dedup();
        (consts, unknown)
    }

    /// `name+0xOFF` for an instruction, from the symbols (the address without them).
    fn place(&self, i: InsnId) -> String {
        let addr = self.insn(i).addr;
        let funcs = &self.image.funcs;
        let k = funcs.partition_point(|f| f.addr <= addr);
        if k > 0 {
            let f = &funcs[k - 1];
            // A symbol without a size reaches to the next one.
            let next = funcs.get(k).map_or(u64::MAX, |n| n.addr);
            if addr < f.addr.saturating_add(f.size) || (f.size == 0 && addr < next) {
                return format!("{}+{:#x}", String::from_utf8_lossy(f.name), addr - f.addr);
            }
        }
        let f = &self.funcs[self.func(i).0 as usize];
        let start = self.insn(f.start).addr;
        if start == addr {
            format!("{addr:#x}")
        } else {
            format!("{start:#x}+{:#x}", addr - start)
        }
    }

    /// The function `place` names for an instruction, without the offset.
    fn function_name(&self, i: InsnId) -> String {
        let p = self.place(i);
        match p.rsplit_once('+') {
            Some((name, _)) => name.to_string(),
            None => p,
        }
    }

    /// The instruction at `i`, disassembled (for messages).
    fn text(&self, i: InsnId) -> String {
        let ins = self.insn(i);
        let bytes = self.image.code.iter().find_map(|s| {
            let off = usize::try_from(ins.addr.checked_sub(s.addr)?).ok()?;
            s.bytes.get(off..off + usize::from(ins.len))
        });
        match (bytes, self.image.arch) {
            (Some(b), Arch::X86_64) => x86_64::format(ins.addr, b),
            (Some(b), Arch::Aarch64) => aarch64::format(ins.addr, b),
            (None, _) => String::from("?"),
        }
    }

    fn explain(&self, at: InsnId, why: Why) -> String {
        match why {
            Why::Written => format!(
                "its number is set by `{}` at {}, whose value the analysis does not follow",
                self.text(at),
                self.place(at)
            ),
            Why::CallResult => format!(
                "its number is what `{}` at {} leaves in the register",
                self.text(at),
                self.place(at)
            ),
            Why::NoPredecessor => format!(
                "its number comes from code at {}, whose address is taken: it is entered from \
                 places the analysis does not see",
                self.place(at)
            ),
            Why::EnteredUnseen => format!(
                "its number is an argument of {}, which is entered through a pointer (or from \
                 outside the program), so its callers are not all visible",
                self.function_name(at)
            ),
            Why::LegacyAbi => format!(
                "`{}` at {} enters the i386 system call table",
                self.text(at),
                self.place(at)
            ),
        }
    }

    /// The report: every system call of the reachable code, by number.
    fn syscalls(&self, path: &Path) -> FileSyscalls {
        use std::collections::{BTreeMap, BTreeSet};
        let arch = self.image.arch;
        let mut sites: Vec<(InsnId, Reg)> = Vec::new();
        let mut unknown: BTreeSet<(String, String)> = BTreeSet::new();
        for (idx, ins) in self.insns.iter().enumerate() {
            if !self.reachable[self.func_of[idx].0 as usize] {
                continue;
            }
            match ins.flow {
                Flow::Syscall => sites.push((InsnId(idx as u32), arch.number_reg())),
                Flow::LegacySyscall => {
                    let i = InsnId(idx as u32);
                    unknown.insert((self.place(i), self.explain(i, Why::LegacyAbi)));
                }
                _ => {}
            }
        }
        for &s in &self.import_sites {
            if self.reachable[self.func(s).0 as usize] {
                sites.push((s, arch.arg0()));
            }
        }
        let site_count = sites.len() + unknown.len();
        let mut memo = HashMap::new();
        let mut uses: BTreeMap<u32, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
        for (site, reg) in sites {
            let (consts, unk) = self.values(site, reg, &mut memo);
            for (value, at) in consts {
                match u32::try_from(value)
                    .ok()
                    .and_then(|n| names::linux_name(arch, n).map(|name| (n, name)))
                {
                    Some((n, _)) => {
                        let e = uses.entry(n).or_default();
                        e.0.insert(self.function_name(at));
                        e.1.insert(self.function_name(site));
                    }
                    None => {
                        unknown.insert((
                            self.place(site),
                            format!(
                                "its number {value} (set by `{}` at {}) is not in Linux's {} table",
                                self.text(at),
                                self.place(at),
                                arch.table_name()
                            ),
                        ));
                    }
                }
            }
            for (at, why) in unk {
                unknown.insert((self.place(site), self.explain(at, why)));
            }
        }
        let syscalls = uses
            .into_iter()
            .filter_map(|(number, (from, through))| {
                Some(SyscallUse {
                    number,
                    name: names::linux_name(arch, number)?,
                    osv: names::osv_name(arch, number),
                    from: from.into_iter().collect(),
                    through: through.into_iter().collect(),
                })
            })
            .collect();
        FileSyscalls {
            path: crate::analysis::display_path(path),
            arch,
            linkage: self.image.linkage,
            symbols: self.image.has_symtab,
            instructions: self.insns.len(),
            functions: self.funcs.len(),
            reachable_functions: self.reachable.iter().filter(|&&r| r).count(),
            sites: site_count,
            syscalls,
            unknown: unknown
                .into_iter()
                .map(|(site, reason)| UnknownSyscall { site, reason })
                .collect(),
        }
    }
}

/// Sections the C runtime runs without a visible call (`_init`, `_fini`).
fn is_init_section(name: &[u8]) -> bool {
    matches!(name, b".init" | b".fini")
}

/// The start (inclusive) and end (exclusive) of the range of `starts` containing `i`.
fn range_around(starts: &[u32], i: u32, n: u32) -> (u32, u32) {
    let k = starts.partition_point(|&s| s <= i);
    let lo = if k == 0 { 0 } else { starts[k - 1] };
    let hi = starts.get(k).copied().unwrap_or(n);
    (lo, hi)
}
