//! Stage 2, analysis: where a string's address goes in x86-64 code, to tell a string that may
//! reach a lookup by name from one that only feeds code that ignores it or formats it.
//!
//! The by-name fixed point ([`super::gc`]) keeps an export when live code refers to a
//! read-only string equal to its name. This module follows such a reference through the
//! relocated code of the link (iced-x86 on the input sections, call targets resolved through
//! the relocations) and answers whether the string can reach a lookup. When in doubt it says
//! yes: a missed lookup crashes at run time, a false one only costs bytes.
//!
//! The string's address is tracked register by register through the function holding the
//! reference (a forward data flow over its instructions, joined at branches) and through the
//! functions it is passed to (a summary per callee and set of parameter registers, computed
//! once). It **reaches no lookup** when on every path it is only
//! - copied between registers or offset (`mov`, `lea`, `add`), compared as a pointer;
//! - passed in a register the callee never reads, or only passes on to such registers
//!   (OSv's `mtx_init(m, "accept", ...)`, whose body ignores the name), or returned to a
//!   caller that does so;
//! - passed in a variadic position: the callee's prologue (gcc's) saves that register for
//!   `va_arg`, which is how printf-like and assertion code takes it;
//! - passed to a function of the C or C++ library that only writes it out (`perror`,
//!   `fputs`, `fwrite`, musl's `__fwritex` under printf, `__assert_fail`:
//!   [`super::output_sinks`]), whichever definition runs;
//! - read character by character, each character only moved between registers, passed to
//!   or returned from code that does the same, and compared with a constant (`s[0] == '/'`,
//!   musl's fwrite looking for `'\n'`) or with a case-folded character (`(c | 32) ==
//!   "nan"[i]`, number parsing): a lookup compares the name exactly with a symbol table's
//!   names, which are neither constants of the code nor case-folded.
//!
//! Anything else **may reach a lookup**: its characters compared with anything else
//! (`strcmp`, an inlined comparison with a table's names), combined (a hash, a word-at-a-time
//! `strlen`) or stored (a copy: the copy may be looked up), the address stored to memory (the
//! stack too), passed to an indirect call or jump or to a function outside the link,
//! returned by the function holding the reference (its callers are not followed: a method
//! returning a literal is called through a vtable), a reference from data, a switch table
//! while it is live, or code this module does not decode.

use super::ids::SectionId;
use std::rc::Rc;

use iced_x86::{
    ConstantOffsets, Decoder, DecoderOptions, FlowControl, Instruction, InstructionInfoFactory,
    Mnemonic, OpAccess, OpKind, Register,
};
use object::elf;

use super::link_model::{Def, Link};
use super::output_sinks::writes_out;
use crate::hash::{FxHashMap, FxHashSet};

/// Register bits: the 16 general-purpose registers (0–15, rax first), vector registers
/// (16–47), MMX registers (48–55) holding the address; and (64–79) general-purpose
/// registers holding characters read from the string ([`as_chars`]).
type Regs = u128;

/// rdi, rsi, rdx, rcx, r8, r9: the SysV integer argument registers, in order.
const ARG_REGS: [u8; 6] = [7, 6, 2, 1, 8, 9];
const ARGS: Regs = 1 << 7 | 1 << 6 | 1 << 2 | 1 << 1 | 1 << 8 | 1 << 9;
/// rbx, rsp, rbp, r12–r15: what a call preserves.
const CALLEE_SAVED: Regs = 1 << 3 | 1 << 4 | 1 << 5 | 0xf000;
/// Vector and MMX registers (never preserved by a call; xmm0–7 pass arguments).
const VECTOR: Regs = 0x00ff_ffff_ffff_0000;
/// Where the registers holding characters of the string start.
const CHARS_SHIFT: u32 = 64;
/// The result registers: rax, rdx, xmm0, xmm1.
const RESULTS: Regs = 1 | 1 << 2 | 1 << 16 | 1 << 17;

/// How deep the summaries go before giving up (keeping the string).
const MAX_DEPTH: u8 = 8;
/// Instructions visited for one reference, over all the functions it reaches.
const STEP_BUDGET: usize = 200_000;

/// What happens to the tracked address: `None`, it may reach a lookup; `Some(r)`, it reaches
/// none in the code followed, which returns it (or characters of the string) in the result
/// registers `r`.
type Fate = Option<Regs>;

/// A function (or the span between function symbols) decoded: its instructions and
/// relocations.
struct Func<'d> {
    obj: usize,
    sec: u32,
    start: u64,
    end: u64,
    /// Its bytes (from `start`).
    bytes: &'d [u8],
    insns: Vec<Instruction>,
    /// (offset in the section, relocation index), sorted.
    relocs: Vec<(u64, u32)>,
    /// The argument registers its prologue saves for `va_arg` (a variadic function), and the
    /// instructions saving them.
    varargs: Regs,
    vararg_saves: Vec<usize>,
    /// Where its jumps inside it land, sorted.
    targets: Vec<u64>,
}

impl Func<'_> {
    fn is_target(&self, addr: u64) -> bool {
        self.targets.binary_search(&addr).is_ok()
    }
    fn index_of(&self, addr: u64) -> Option<usize> {
        self.insns.binary_search_by_key(&addr, |i| i.ip()).ok()
    }
    /// The relocation applied inside instruction `i`.
    fn reloc_in(&self, i: &Instruction) -> Option<u32> {
        let a = self.relocs.partition_point(|&(o, _)| o < i.ip());
        self.relocs
            .get(a)
            .filter(|&&(o, _)| o < i.next_ip())
            .map(|&(_, r)| r)
    }
}

/// A place in the code: (object, section, offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Place {
    obj: usize,
    sec: u32,
    off: u64,
}

/// A summary's key: where the analysis starts and which registers hold the address.
type Key = (Place, Regs);

/// Builds iced-x86's decoder tables (once per process; 3.2 M instructions and 7,500
/// allocations) on a thread of its own, so that a link's reading, on the other core, hides
/// them from the first [`StringFlow`] query. Whichever thread decodes first builds them; the
/// other waits for them.
pub fn warm_decoder() {
    std::thread::spawn(|| {
        let mut decoder = Decoder::with_ip(64, &[0x90], 0, DecoderOptions::NONE);
        let _ = decoder.decode();
    });
}

/// The analysis of one link, with the summaries it has computed.
pub struct StringFlow<'l, 'd> {
    link: &'l Link<'d>,
    /// The output is a shared object: a call to one of its exported functions may run
    /// another object's definition.
    interposable: bool,
    funcs: FxHashMap<(usize, u32, u64), Rc<Func<'d>>>,
    summaries: FxHashMap<Key, Fate>,
    in_progress: FxHashSet<Key>,
    steps: usize,
}

impl<'l, 'd> StringFlow<'l, 'd> {
    pub fn new(link: &'l Link<'d>, shared: bool) -> Self {
        StringFlow {
            link,
            interposable: shared,
            funcs: FxHashMap::default(),
            summaries: FxHashMap::default(),
            in_progress: FxHashSet::default(),
            steps: 0,
        }
    }

    /// Whether the string that relocation `reloc` of section `section` (a section id of the
    /// link) refers to may reach a lookup by name. Only x86-64 code is followed: a reference
    /// from data, or from code of another machine, may.
    pub fn may_reach_lookup(&mut self, section: SectionId, reloc: u32) -> bool {
        let (oi, si) = self.link.locate(section);
        let oi = oi.index();
        let o = &self.link.objects[oi];
        let s = &o.elf.sections[si];
        if o.elf.machine != elf::EM_X86_64 || s.flags & u64::from(elf::SHF_EXECINSTR) == 0 {
            return true;
        }
        self.steps = 0;
        let offset = o.elf.relocs[reloc as usize].offset;
        self.reference_fate(oi, si as u32, offset).is_none()
    }

    /// The fate of the string referred to at `offset` of code section `sec`.
    fn reference_fate(&mut self, obj: usize, sec: u32, offset: u64) -> Fate {
        let f = self.function_around(obj, sec, offset)?;
        let i = f
            .insns
            .iter()
            .position(|i| (i.ip()..i.next_ip()).contains(&offset))?;
        let held = first_holder(&f, i, offset)?;
        // Callers of the function are not followed: returning the string lets it go.
        self.run(&f, i + 1, held, 0).filter(|&returns| returns == 0)
    }

    /// The function of `sec` that holds `offset`: its `STT_FUNC` symbol, else the span between
    /// the function symbols around it.
    fn function_around(&mut self, obj: usize, sec: u32, offset: u64) -> Option<Rc<Func<'d>>> {
        let o = &self.link.objects[obj];
        let size = o.elf.sections.get(sec as usize)?.size;
        let funcs = || {
            o.elf
                .symbols
                .iter()
                .filter(move |s| s.sym_type == elf::STT_FUNC && s.section() == Some(sec))
        };
        let covering =
            funcs().find(|s| s.size > 0 && (s.value..s.value + s.size).contains(&offset));
        let (start, end) = match covering {
            Some(s) => (s.value, s.value + s.size),
            None => (
                funcs()
                    .map(|s| s.value)
                    .filter(|&v| v <= offset)
                    .max()
                    .unwrap_or(0),
                funcs()
                    .map(|s| s.value)
                    .filter(|&v| v > offset)
                    .min()
                    .unwrap_or(size),
            ),
        };
        self.decoded(obj, sec, start, end)
    }

    /// The function starting at `p` (a call's target): up to the end of its symbol, or to
    /// the next function symbol.
    fn function_at(&mut self, p: Place) -> Option<Rc<Func<'d>>> {
        let o = &self.link.objects[p.obj];
        let s = o.elf.sections.get(p.sec as usize)?;
        if s.flags & u64::from(elf::SHF_EXECINSTR) == 0
            || o.discarded.get(p.sec as usize).copied().unwrap_or(false)
        {
            return None;
        }
        let mut end = s.size;
        for y in &o.elf.symbols {
            if y.sym_type != elf::STT_FUNC || y.section() != Some(p.sec) {
                continue;
            }
            if y.value == p.off && y.size > 0 {
                end = end.min(p.off + y.size);
            } else if y.value > p.off {
                end = end.min(y.value);
            }
        }
        self.decoded(p.obj, p.sec, p.off, end)
    }

    fn decoded(&mut self, obj: usize, sec: u32, start: u64, end: u64) -> Option<Rc<Func<'d>>> {
        if let Some(f) = self.funcs.get(&(obj, sec, start)) {
            return Some(f.clone());
        }
        let o = &self.link.objects[obj];
        let s = o.elf.sections.get(sec as usize)?;
        let bytes = s
            .data
            .get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)?;
        let mut insns = Vec::new();
        let mut decoder = Decoder::with_ip(64, bytes, start, DecoderOptions::NONE);
        while decoder.can_decode() {
            insns.push(decoder.decode());
        }
        let mut relocs: Vec<(u64, u32)> = s
            .relocs
            .clone()
            .map(|ri| (o.elf.relocs[ri as usize].offset, ri))
            .filter(|&(off, _)| (start..end).contains(&off))
            .collect();
        relocs.sort_unstable();
        let (varargs, vararg_saves) = vararg_saves(&insns);
        let targets = jump_targets(&insns, start, end);
        let f = Rc::new(Func {
            obj,
            sec,
            start,
            end,
            bytes,
            insns,
            relocs,
            varargs,
            vararg_saves,
            targets,
        });
        self.funcs.insert((obj, sec, start), f.clone());
        Some(f)
    }

    /// The fate of the address in `held` from the start of the code at `place` (a call's or
    /// a tail call's target, or a split part of the same function), memoised.
    fn summary(&mut self, place: Place, held: Regs, depth: u8) -> Fate {
        let key = (place, held);
        if let Some(&f) = self.summaries.get(&key) {
            return f;
        }
        // Recursion, or too deep: keep.
        if depth > MAX_DEPTH || !self.in_progress.insert(key) {
            return None;
        }
        let fate = match self.function_at(place) {
            Some(f) => self.run(&f, 0, held, depth),
            None => None,
        };
        self.in_progress.remove(&key);
        self.summaries.insert(key, fate);
        fate
    }

    /// The forward data flow over `f` from instruction `from`, the address in `held`.
    fn run(&mut self, f: &Func<'_>, from: usize, held: Regs, depth: u8) -> Fate {
        let mut state: Vec<Regs> = vec![0; f.insns.len()];
        let mut queue = Vec::new();
        let mut returned = 0;
        if from < f.insns.len() && held != 0 {
            state[from] = held;
            queue.push(from);
        }
        let mut factory = InstructionInfoFactory::new();
        while let Some(i) = queue.pop() {
            self.steps += 1;
            if self.steps > STEP_BUDGET {
                return None;
            }
            let step = self.step(f, i, state[i], depth, &mut factory)?;
            returned |= step.returned;
            for (next, out) in step.next.into_iter().flatten() {
                if out & !state[next] != 0 {
                    state[next] |= out;
                    queue.push(next);
                }
            }
        }
        Some(returned)
    }

    /// One instruction: its successors with the registers holding the address after it, or
    /// `None` when the address may reach a lookup.
    fn step(
        &mut self,
        f: &Func<'_>,
        i: usize,
        held: Regs,
        depth: u8,
        factory: &mut InstructionInfoFactory,
    ) -> Option<Step> {
        let ins = &f.insns[i];
        let following = (i + 1 < f.insns.len()).then_some(i + 1);
        match ins.flow_control() {
            FlowControl::Next => {
                let out = transfer(f, i, held, factory)?;
                Some(Step::to(following, out))
            }
            // A character passed to unknown code may be anything to it.
            _ if chars_of(held) & passed(ins) != 0 => None,
            FlowControl::Call => {
                let returned = match arguments(held) {
                    0 => 0,
                    args => self.call_fate(f, ins, args, depth)?,
                };
                Some(Step::to(following, preserved(held) | returned))
            }
            FlowControl::IndirectCall => (held & (ARGS | VECTOR | operand_regs(ins)) == 0)
                .then(|| Step::to(following, preserved(held))),
            FlowControl::Return => Some(Step {
                next: [None, None],
                returned: held & (RESULTS | as_chars(RESULTS)),
            }),
            FlowControl::ConditionalBranch | FlowControl::UnconditionalBranch => {
                self.branch(f, i, held, depth, following)
            }
            FlowControl::Interrupt | FlowControl::Exception => Some(Step::stop()),
            // Indirect jumps (switch tables, tail calls through pointers), system calls,
            // transactions: not followed.
            _ => (held == 0).then(Step::stop),
        }
    }

    /// A jump: inside the function, a branch; through a relocation to another function, a
    /// tail call (its argument registers are the callee's parameters); to a part gcc split off
    /// the same function (`foo.cold`) or to code past the function's symbol without a
    /// relocation, its continuation with every register as it is.
    fn branch(
        &mut self,
        f: &Func<'_>,
        i: usize,
        held: Regs,
        depth: u8,
        following: Option<usize>,
    ) -> Option<Step> {
        let ins = &f.insns[i];
        let conditional = ins.flow_control() == FlowControl::ConditionalBranch;
        let fall = if conditional { following } else { None };
        let near = matches!(
            ins.op0_kind(),
            OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64
        );
        let target = ins.near_branch_target();
        if near && f.reloc_in(ins).is_none() && (f.start..f.end).contains(&target) {
            let to = f.index_of(target)?;
            return Some(Step {
                next: [fall.map(|n| (n, held)), Some((to, held))],
                returned: 0,
            });
        }
        if self.callee_name(f, ins).is_some_and(writes_out) {
            return Some(Step::to(fall, held));
        }
        let place = self.branch_target(f, ins)?;
        // A jump the assembler resolved leaves the function's symbol but not its code.
        let continued = f.reloc_in(ins).is_none() || self.is_split_part(place);
        let returned = if continued {
            self.summary(place, held, depth)?
        } else {
            match arguments(held) {
                0 => 0,
                args => self.call_fate(f, ins, args, depth)?,
            }
        };
        Some(Step {
            next: [fall.map(|n| (n, held)), None],
            returned,
        })
    }

    /// The fate of the address in the argument registers `args` at a direct call or tail call
    /// of `f`: none for a function of the libraries that only writes its strings out
    /// ([`super::output_sinks`]), else the callee's summary.
    fn call_fate(&mut self, f: &Func<'_>, ins: &Instruction, args: Regs, depth: u8) -> Fate {
        if self.callee_name(f, ins).is_some_and(writes_out) {
            return Some(0);
        }
        let target = self.branch_target(f, ins)?;
        self.summary(target, args, depth + 1)
    }

    /// The global name a direct call or jump of `f` calls: its relocation's symbol, or the
    /// global function symbol where a section-relative one lands. A local function is no
    /// library's, whatever its name.
    fn callee_name(&self, f: &Func<'_>, ins: &Instruction) -> Option<&'d [u8]> {
        let o = &self.link.objects[f.obj];
        let r = &o.elf.relocs[f.reloc_in(ins)? as usize];
        let s = o.elf.symbols.get(r.sym as usize)?;
        if s.sym_type != elf::STT_SECTION {
            return s.is_global().then_some(s.name);
        }
        let p = self.branch_target(f, ins)?;
        self.link.objects[p.obj]
            .elf
            .symbols
            .iter()
            .find(|y| {
                y.is_global()
                    && y.sym_type == elf::STT_FUNC
                    && y.section() == Some(p.sec)
                    && y.value == p.off
            })
            .map(|y| y.name)
    }

    /// Whether `p` starts a part gcc split off a function: a local symbol there named
    /// `NAME.cold` (`foo.part.0` and `foo.isra.0` are functions of their own).
    fn is_split_part(&self, p: Place) -> bool {
        let o = &self.link.objects[p.obj];
        o.elf.symbols.iter().any(|s| {
            s.section() == Some(p.sec)
                && s.value == p.off
                && !s.is_global()
                && s.name.windows(5).any(|w| w == b".cold")
        })
    }

    /// Where a direct call or jump of `f` goes: through its relocation, else inside the
    /// section.
    fn branch_target(&self, f: &Func<'_>, ins: &Instruction) -> Option<Place> {
        let o = &self.link.objects[f.obj];
        let Some(ri) = f.reloc_in(ins) else {
            return matches!(
                ins.op0_kind(),
                OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64
            )
            .then(|| Place {
                obj: f.obj,
                sec: f.sec,
                off: ins.near_branch_target(),
            });
        };
        let r = &o.elf.relocs[ri as usize];
        if !matches!(r.r_type, elf::R_X86_64_PC32 | elf::R_X86_64_PLT32) {
            return None;
        }
        // The addend counts from the relocated field, the branch from the next instruction.
        let tail = i64::try_from(ins.next_ip().checked_sub(r.offset)?).ok()?;
        let (obj, sym) = self.defining_symbol(f.obj, r.sym)?;
        let y = &self.link.objects[obj].elf.symbols[sym as usize];
        Some(Place {
            obj,
            sec: y.section()?,
            off: y.value.checked_add_signed(r.addend.checked_add(tail)?)?,
        })
    }

    /// The object and symbol that define symbol `sym` of object `obj` in the link, unless a
    /// definition outside the link may be the one that runs (a shared object's exported
    /// function may be interposed).
    fn defining_symbol(&self, obj: usize, sym: u32) -> Option<(usize, u32)> {
        let o = &self.link.objects[obj];
        let s = o.elf.symbols.get(sym as usize)?;
        if sym < o.elf.first_global || !s.is_global() {
            return Some((obj, sym));
        }
        let g = self.link.globals.get(
            o.global_ids
                .get((sym - o.elf.first_global) as usize)?
                .index(),
        )?;
        match g.def {
            Def::Defined { obj, .. }
                if self.interposable && !g.is_hidden() && !self.link.obj(obj).no_export =>
            {
                None
            }
            Def::Defined { obj, sym, .. } => Some((obj.index(), sym)),
            _ => None,
        }
    }
}

/// An instruction that does not branch: the registers holding the address or its
/// characters after it, or `None` when it lets them go (writes through the address, stores
/// it, uses it implicitly, computes with its characters or compares them with anything but
/// a constant or a case-folded character).
fn transfer(
    f: &Func<'_>,
    i: usize,
    held: Regs,
    factory: &mut InstructionInfoFactory,
) -> Option<Regs> {
    let ins = &f.insns[i];
    let address = held & !as_chars(0xffff);
    if compares_with_constant(ins, address) {
        return Some(held);
    }
    let ops = Operands::of(ins, factory);
    let chars = chars_of(held);
    let mut out_chars = chars & !(ops.writes | ops.implicit_writes);
    if (ops.reads | ops.implicit_reads | ops.address_regs | ops.lea_regs) & chars != 0 {
        out_chars |= char_use(f, i, &ops, chars, factory)?;
    }
    if ops.implicit_reads & address != 0 {
        return None;
    }
    if ops.address_regs & address != 0 {
        // Reading the string's characters: the register loaded holds them.
        out_chars |= loaded(ins, &ops)?;
    }
    if ops.mem_write && ops.reads & address != 0 && !saves_vararg(f, i, address) {
        return None;
    }
    let mut out = address & !ops.implicit_writes & !ops.writes;
    // A result computed from the address (`mov`, `lea`, `add`, `cmov`) may be it.
    if !ops.zeroing && (ops.reads | ops.lea_regs) & address != 0 {
        out |= ops.writes | ops.cond_writes;
    }
    Some(out | as_chars(out_chars))
}

/// The general-purpose registers `gprs` (bits 0–15) as registers holding characters.
fn as_chars(gprs: Regs) -> Regs {
    (gprs & 0xffff) << CHARS_SHIFT
}

/// The general-purpose registers of `held` that hold characters of the string.
fn chars_of(held: Regs) -> Regs {
    (held >> CHARS_SHIFT) & 0xffff
}

/// What of `held` a direct call passes to its callee: the argument registers, address or
/// characters.
fn arguments(held: Regs) -> Regs {
    held & (ARGS | VECTOR) | as_chars(chars_of(held) & ARGS)
}

/// What a call keeps of `held`: the callee-saved registers, address or characters.
fn preserved(held: Regs) -> Regs {
    held & CALLEE_SAVED | as_chars(chars_of(held) & CALLEE_SAVED)
}

/// The registers an indirect call or jump hands to code not followed: the argument
/// registers and the target's.
fn passed(ins: &Instruction) -> Regs {
    match ins.flow_control() {
        FlowControl::IndirectCall | FlowControl::IndirectBranch => ARGS | operand_regs(ins),
        _ => 0,
    }
}

/// The register a plain load through the address writes (`movzx eax, byte [rdi+rcx]`: the
/// characters of the string); `None` for any other access.
fn loaded(ins: &Instruction, ops: &Operands) -> Option<Regs> {
    let plain = matches!(
        ins.mnemonic(),
        Mnemonic::Mov | Mnemonic::Movzx | Mnemonic::Movsx | Mnemonic::Movsxd
    ) && ins.op0_kind() == OpKind::Register
        && ins.op1_kind() == OpKind::Memory
        && !ops.mem_write
        && ops.writes & !0xffff == 0;
    plain.then_some(ops.writes)
}

/// An instruction reading the registers `chars` holding characters of the string: the
/// registers holding them after it, when it only copies them (`mov`, `movzx`) or compares
/// them with a constant or with a case-folded character; `None` for anything else (a hash
/// computed from them, a comparison with a symbol table's names, a store).
fn char_use(
    f: &Func<'_>,
    i: usize,
    ops: &Operands,
    chars: Regs,
    factory: &mut InstructionInfoFactory,
) -> Option<Regs> {
    let ins = &f.insns[i];
    if (ops.implicit_reads | ops.address_regs | ops.lea_regs) & chars != 0 || ops.mem_write {
        return None;
    }
    let registers = ins.op_count() == 2
        && ins.op0_kind() == OpKind::Register
        && ins.op1_kind() == OpKind::Register;
    match ins.mnemonic() {
        Mnemonic::Mov | Mnemonic::Movzx | Mnemonic::Movsx | Mnemonic::Movsxd if registers => {
            Some(ops.writes)
        }
        Mnemonic::Cmp | Mnemonic::Test if ins.op_count() == 2 => {
            let other = match ins.op1_kind() {
                OpKind::Register => {
                    let a = reg_bit(ins.op0_register()).unwrap_or(0);
                    let b = reg_bit(ins.op1_register()).unwrap_or(0);
                    if ins.op0_kind() != OpKind::Register {
                        return None;
                    }
                    [a, b].into_iter().find(|r| r & chars == 0)
                }
                OpKind::Memory => return None,
                _ => None,
            };
            match other {
                Some(r) if !case_folded(f, i, r, factory) => None,
                _ => Some(0),
            }
        }
        _ => None,
    }
}

/// Whether the register `reg`, compared at instruction `i` of `f` with a character of the
/// string, was last set by `or reg, 0x20` on every path there (the instructions before `i`,
/// no jump landing between). A case-insensitive comparison (number parsing's `nan` and `inf`,
/// option and header names) finds no ELF symbol: their names match exactly.
fn case_folded(f: &Func<'_>, i: usize, reg: Regs, factory: &mut InstructionInfoFactory) -> bool {
    for j in (0..i).rev().take(8) {
        let ins = &f.insns[j];
        if ins.flow_control() != FlowControl::Next {
            return false;
        }
        let ops = Operands::of(ins, factory);
        if (ops.writes | ops.cond_writes | ops.implicit_writes) & reg != 0 {
            return ins.mnemonic() == Mnemonic::Or
                && ins.op0_kind() == OpKind::Register
                && reg_bit(ins.op0_register()) == Some(reg)
                && ins.op1_kind() != OpKind::Register
                && ins.op1_kind() != OpKind::Memory
                && ins.immediate(1) == 0x20;
        }
        if f.is_target(ins.ip()) {
            return false;
        }
    }
    false
}

/// Where the near jumps of `insns` (the code from `start` to `end`) land inside it, sorted.
fn jump_targets(insns: &[Instruction], start: u64, end: u64) -> Vec<u64> {
    let mut t: Vec<u64> = insns
        .iter()
        .filter(|i| {
            matches!(
                i.flow_control(),
                FlowControl::ConditionalBranch | FlowControl::UnconditionalBranch
            )
        })
        .map(|i| i.near_branch_target())
        .filter(|a| (start..end).contains(a))
        .collect();
    t.sort_unstable();
    t.dedup();
    t
}

/// `cmp byte [s+k], imm`, `test [s+k], imm`: a character of the string compared with a
/// constant (musl's fwrite looking for the end of a line, a test for an empty name), the flags
/// deciding a branch. A lookup compares the name with the names of a symbol table, which no
/// constant of the code is.
fn compares_with_constant(ins: &Instruction, held: Regs) -> bool {
    let address =
        reg_bit(ins.memory_base()).unwrap_or(0) | reg_bit(ins.memory_index()).unwrap_or(0);
    matches!(ins.mnemonic(), Mnemonic::Cmp | Mnemonic::Test)
        && ins.op_count() == 2
        && ins.op0_kind() == OpKind::Memory
        && address & held != 0
        && matches!(
            ins.op1_kind(),
            OpKind::Immediate8
                | OpKind::Immediate8to32
                | OpKind::Immediate8to64
                | OpKind::Immediate16
                | OpKind::Immediate32
                | OpKind::Immediate32to64
        )
}

/// Whether instruction `i` of `f` is its variadic prologue's save of an argument register
/// holding the address.
fn saves_vararg(f: &Func<'_>, i: usize, held: Regs) -> bool {
    f.vararg_saves.contains(&i)
        && reg_bit(f.insns[i].op1_register()).is_some_and(|r| f.varargs & held & r != 0)
}

/// Successors of an instruction (up to two) and the result registers holding the address
/// when it returns.
struct Step {
    next: [Option<(usize, Regs)>; 2],
    returned: Regs,
}

impl Step {
    fn to(next: Option<usize>, held: Regs) -> Step {
        Step {
            next: [next.map(|n| (n, held)), None],
            returned: 0,
        }
    }
    fn stop() -> Step {
        Step {
            next: [None, None],
            returned: 0,
        }
    }
}

/// The registers holding the address right after instruction `i` of `f`, whose relocation at
/// `offset` refers to the string: `lea r, [rip+s]` and `mov r, imm` put it in `r`, `cmp`
/// compares it as a pointer; `None` for anything else (a store, a read of its bytes).
fn first_holder(f: &Func<'_>, i: usize, offset: u64) -> Option<Regs> {
    let ins = &f.insns[i];
    let field = offset - ins.ip();
    let offs = constant_offsets(f, i)?;
    let in_disp = offs.has_displacement() && field == offs.displacement_offset() as u64;
    let in_imm = offs.has_immediate() && field == offs.immediate_offset() as u64;
    let mut factory = InstructionInfoFactory::new();
    let ops = Operands::of(ins, &mut factory);
    if ins.flow_control() != FlowControl::Next || ops.mem_write {
        return None;
    }
    if ops.mem_read {
        // `movzx eax, byte [r15+s]`: the string read as an array of characters (`"nan"[i]`).
        return loaded(ins, &ops).filter(|_| in_disp).map(as_chars);
    }
    match ins.mnemonic() {
        Mnemonic::Lea if in_disp => Some(ops.writes),
        Mnemonic::Mov if in_imm && ins.op0_kind() == OpKind::Register => Some(ops.writes),
        Mnemonic::Cmp | Mnemonic::Test if in_imm => Some(0),
        _ => None,
    }
}

/// Where the displacement and immediate of instruction `i` of `f` sit in its bytes (the
/// decoder knows them; the instruction is decoded again).
fn constant_offsets(f: &Func<'_>, i: usize) -> Option<ConstantOffsets> {
    let ins = &f.insns[i];
    let at = usize::try_from(ins.ip() - f.start).ok()?;
    let mut d = Decoder::with_ip(64, f.bytes.get(at..)?, ins.ip(), DecoderOptions::NONE);
    let again = d.decode();
    Some(d.get_constant_offsets(&again))
}

/// The registers and memory an instruction reads and writes, as the data flow sees them.
#[derive(Debug, Default)]
struct Operands {
    /// Registers read as operands (not as addresses).
    reads: Regs,
    /// Registers written as operands, always or only on a condition (`cmov`).
    writes: Regs,
    cond_writes: Regs,
    /// Base and index registers of memory accessed (explicit or implicit: `push`, `movs`).
    address_regs: Regs,
    /// Base and index of `lea`'s operand (an address computed, no memory accessed).
    lea_regs: Regs,
    mem_read: bool,
    mem_write: bool,
    /// Registers the instruction reads or writes beyond its operands (`rep movsb`, `cqo`).
    implicit_reads: Regs,
    implicit_writes: Regs,
    /// `xor r, r` and the like: the result does not depend on the operand.
    zeroing: bool,
}

impl Operands {
    fn of(ins: &Instruction, factory: &mut InstructionInfoFactory) -> Operands {
        let info = factory.info(ins);
        let mut o = Operands::default();
        let mut explicit = 0;
        for k in 0..ins.op_count() {
            let access = info.op_access(k);
            match ins.op_kind(k) {
                OpKind::Register => {
                    let bit = reg_bit(ins.op_register(k)).unwrap_or(0);
                    explicit |= bit;
                    if reads(access) {
                        o.reads |= bit;
                    }
                    match access {
                        OpAccess::Write | OpAccess::ReadWrite => o.writes |= bit,
                        OpAccess::CondWrite | OpAccess::ReadCondWrite => o.cond_writes |= bit,
                        _ => {}
                    }
                }
                OpKind::Memory => {
                    let regs = reg_bit(ins.memory_base()).unwrap_or(0)
                        | reg_bit(ins.memory_index()).unwrap_or(0);
                    explicit |= regs;
                    if access == OpAccess::NoMemAccess {
                        o.lea_regs |= regs;
                    }
                }
                _ => {}
            }
        }
        for m in info.used_memory() {
            if m.access() == OpAccess::NoMemAccess {
                continue;
            }
            o.address_regs |= reg_bit(m.base()).unwrap_or(0) | reg_bit(m.index()).unwrap_or(0);
            o.mem_read |= reads(m.access());
            o.mem_write |= writes(m.access());
        }
        explicit |= o.address_regs;
        for u in info.used_registers() {
            let bit = reg_bit(u.register()).unwrap_or(0) & !explicit;
            if reads(u.access()) {
                o.implicit_reads |= bit;
            }
            if writes(u.access()) {
                o.implicit_writes |= bit;
            }
        }
        o.zeroing = is_zeroing(ins);
        o
    }
}

fn reads(a: OpAccess) -> bool {
    matches!(
        a,
        OpAccess::Read | OpAccess::CondRead | OpAccess::ReadWrite | OpAccess::ReadCondWrite
    )
}

fn writes(a: OpAccess) -> bool {
    matches!(
        a,
        OpAccess::Write | OpAccess::CondWrite | OpAccess::ReadWrite | OpAccess::ReadCondWrite
    )
}

/// `xor r, r`, `sub r, r`, `pxor x, x` (and the three-operand forms): a constant result.
fn is_zeroing(ins: &Instruction) -> bool {
    let n = ins.op_count();
    if n < 2 || (0..n).any(|k| ins.op_kind(k) != OpKind::Register) {
        return false;
    }
    let same = (1..n).all(|k| ins.op_register(k) == ins.op_register(n - 1))
        && ins.op_register(n - 2) == ins.op_register(n - 1);
    same && matches!(
        ins.mnemonic(),
        Mnemonic::Xor
            | Mnemonic::Sub
            | Mnemonic::Pxor
            | Mnemonic::Xorps
            | Mnemonic::Xorpd
            | Mnemonic::Vpxor
            | Mnemonic::Vxorps
            | Mnemonic::Vxorpd
            | Mnemonic::Psubb
            | Mnemonic::Psubd
            | Mnemonic::Psubq
    )
}

/// The bit of the register `r` is part of: general-purpose (eax → rax), vector (xmm3 →
/// zmm3) or MMX; none for the others (rip, segments, flags).
fn reg_bit(r: Register) -> Option<Regs> {
    if r == Register::None {
        return None;
    }
    let full = r.full_register();
    if full.is_gpr64() {
        Some(1 << (full as u32 - Register::RAX as u32))
    } else if full.is_zmm() {
        Some(1 << (16 + full as u32 - Register::ZMM0 as u32))
    } else if r.is_mm() {
        Some(1 << (48 + r as u32 - Register::MM0 as u32))
    } else {
        None
    }
}

/// The registers an indirect call or jump reads for its target.
fn operand_regs(ins: &Instruction) -> Regs {
    match ins.op0_kind() {
        OpKind::Register => reg_bit(ins.op0_register()).unwrap_or(0),
        OpKind::Memory => {
            reg_bit(ins.memory_base()).unwrap_or(0) | reg_bit(ins.memory_index()).unwrap_or(0)
        }
        _ => 0,
    }
}

/// A variadic function's prologue (gcc's): the argument registers from the first unnamed one
/// to r9 stored side by side on the stack (`mov [rsp+d], rsi` ... `mov [rsp+d+32], r9`)
/// before `test al, al`. Returns those registers and the instructions storing them.
fn vararg_saves(insns: &[Instruction]) -> (Regs, Vec<usize>) {
    let mut written: Regs = 0;
    // (argument index, displacement, instruction index)
    let mut saves: Vec<(usize, i64, usize)> = Vec::new();
    let mut tested = false;
    let mut factory = InstructionInfoFactory::new();
    for (i, ins) in insns.iter().enumerate().take(48) {
        if ins.flow_control() != FlowControl::Next {
            break;
        }
        if ins.mnemonic() == Mnemonic::Test
            && ins.op0_kind() == OpKind::Register
            && ins.op0_register() == Register::AL
            && ins.op1_kind() == OpKind::Register
            && ins.op1_register() == Register::AL
        {
            tested = true;
            break;
        }
        if ins.mnemonic() == Mnemonic::Mov
            && ins.op0_kind() == OpKind::Memory
            && matches!(ins.memory_base(), Register::RSP | Register::RBP)
            && ins.memory_index() == Register::None
            && ins.op1_kind() == OpKind::Register
            && ins.op1_register().is_gpr64()
        {
            let r = ins.op1_register();
            if let Some(k) = ARG_REGS
                .iter()
                .position(|&a| reg_bit(r) == Some(1 << a))
                .filter(|_| reg_bit(r).is_some_and(|b| b & written == 0))
            {
                saves.push((k, ins.memory_displacement64() as i64, i));
            }
        }
        let ops = Operands::of(ins, &mut factory);
        written |= ops.writes | ops.cond_writes | ops.implicit_writes;
    }
    if !tested {
        return (0, Vec::new());
    }
    let at = |k: usize| saves.iter().find(|s| s.0 == k);
    let Some(&(_, last, _)) = at(5) else {
        return (0, Vec::new());
    };
    let mut regs = 0;
    let mut idx = Vec::new();
    for k in (0..6).rev() {
        match at(k) {
            Some(&(_, d, i)) if d == last - 8 * (5 - k as i64) => {
                regs |= 1 << ARG_REGS[k];
                idx.push(i);
            }
            _ => break,
        }
    }
    (regs, idx)
}
