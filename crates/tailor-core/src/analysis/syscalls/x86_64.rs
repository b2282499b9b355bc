//! The x86-64 front end of the system-call analysis: decodes code with iced-x86 into
//! [`Insn`] summaries (one reused `Instruction` and info factory, nothing allocated per
//! instruction).

use iced_x86::{
    Decoder, DecoderOptions, FlowControl, Formatter, Instruction, InstructionInfoFactory,
    InstructionInfoOptions, IntelFormatter, Mnemonic, OpAccess, OpKind, Register,
};

use super::{Def, Flow, Insn, Reg, RegSet};

pub(crate) const RAX: Reg = Reg(0);
pub(crate) const RDI: Reg = Reg(7);

/// rax, rcx, rdx, rsi, rdi, r8–r11: what a call may change (the SysV ABI).
const CALLER_SAVED: u64 = 0b1111_1100_0111;
/// rax (the result), rcx and r11 (return address and flags).
const SYSCALL_KILLS: u64 = 0b1000_0000_0011;

/// The general-purpose register `r` is part of (eax → rax), if any.
fn gpr(r: Register) -> Option<Reg> {
    let full = r.full_register();
    full.is_gpr64()
        .then(|| Reg((full as u32 - Register::RAX as u32) as u8))
}

/// A 32- or 64-bit general-purpose register (a write to it sets the whole register).
fn full_gpr(r: Register) -> Option<Reg> {
    if r.is_gpr32() || r.is_gpr64() {
        gpr(r)
    } else {
        None
    }
}

/// Decodes `bytes`, mapped at `addr`, appending one summary per instruction.
pub(crate) fn decode(addr: u64, bytes: &[u8], out: &mut Vec<Insn>) {
    let mut decoder = Decoder::with_ip(64, bytes, addr, DecoderOptions::NONE);
    let mut factory = InstructionInfoFactory::new();
    let mut ins = Instruction::default();
    // `push imm; pop reg` sets reg (hand-written code's short `mov`).
    let mut pushed: Option<i64> = None;
    // The register the previous instruction zeroed (`xor eax, eax; mov al, n`), and the one
    // it tested against zero (`test r, r` / `cmp r, 0` before `je`/`jne`).
    let mut zeroed: Option<Reg> = None;
    let mut tested: Option<Reg> = None;
    while decoder.can_decode() {
        decoder.decode_out(&mut ins);
        let len = ins.len().clamp(1, 15) as u8;
        if ins.is_invalid() {
            out.push(Insn {
                addr: ins.ip(),
                len,
                flow: Flow::Stop,
                def: Def::None,
                kills: RegSet::default(),
                refs: [None, None],
                nop: false,
                zero: None,
            });
            pushed = None;
            zeroed = None;
            tested = None;
            continue;
        }
        let mut kills = RegSet::default();
        let info = factory.info_options(&ins, InstructionInfoOptions::NO_MEMORY_USAGE);
        for u in info.used_registers() {
            if matches!(
                u.access(),
                OpAccess::Write
                    | OpAccess::CondWrite
                    | OpAccess::ReadWrite
                    | OpAccess::ReadCondWrite
            ) {
                if let Some(r) = gpr(u.register()) {
                    kills.add(r);
                }
            }
        }
        let mnemonic = ins.mnemonic();
        let flow = match ins.flow_control() {
            // iced files `syscall` and `sysenter` under calls (of the kernel).
            _ if mnemonic == Mnemonic::Syscall => {
                kills.0 |= SYSCALL_KILLS;
                Flow::Syscall
            }
            _ if mnemonic == Mnemonic::Sysenter => Flow::LegacySyscall,
            FlowControl::Next => match mnemonic {
                Mnemonic::Hlt => Flow::Stop,
                _ => Flow::Next,
            },
            FlowControl::UnconditionalBranch => match ins.op0_kind() {
                OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64 => {
                    Flow::Jump(ins.near_branch_target())
                }
                _ => Flow::Stop,
            },
            FlowControl::ConditionalBranch => Flow::CondJump(ins.near_branch_target()),
            FlowControl::IndirectBranch => Flow::JumpIndirect {
                table: jump_table(&ins),
                mem: ins
                    .is_ip_rel_memory_operand()
                    .then(|| ins.ip_rel_memory_address()),
            },
            FlowControl::Call => {
                kills.0 |= CALLER_SAVED;
                match ins.op0_kind() {
                    OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64 => {
                        Flow::Call(ins.near_branch_target())
                    }
                    _ => Flow::CallIndirect { mem: None },
                }
            }
            FlowControl::IndirectCall => {
                kills.0 |= CALLER_SAVED;
                Flow::CallIndirect {
                    mem: ins
                        .is_ip_rel_memory_operand()
                        .then(|| ins.ip_rel_memory_address()),
                }
            }
            FlowControl::Return => Flow::Return,
            FlowControl::Interrupt => {
                if mnemonic == Mnemonic::Int && ins.immediate8() == 0x80 {
                    Flow::LegacySyscall
                } else {
                    // int3 (padding, breakpoints), int n: nothing follows in compiled code.
                    Flow::Stop
                }
            }
            FlowControl::Exception => Flow::Stop,
            FlowControl::XbeginXabortXend => match mnemonic {
                Mnemonic::Xbegin => Flow::CondJump(ins.near_branch_target()),
                _ => Flow::Next,
            },
        };
        let mut def = definition(&ins, pushed);
        if def == Def::None
            && mnemonic == Mnemonic::Mov
            && ins.op_count() == 2
            && ins.op0_kind() == OpKind::Register
            && ins.op0_register().is_gpr8()
            && ins.op1_kind() == OpKind::Immediate8
        {
            // `mov al, n` after `xor eax, eax` (musl's __clone).
            if let (Some(r), Some(z)) = (gpr(ins.op0_register()), zeroed) {
                if r == z && ins.op0_register() == low_byte(r) {
                    def = Def::Const(r, i64::from(ins.immediate8()));
                }
            }
        }
        let zero = match (flow, mnemonic, tested) {
            (Flow::CondJump(_), Mnemonic::Je, Some(r)) => Some((r, true)),
            (Flow::CondJump(_), Mnemonic::Jne, Some(r)) => Some((r, false)),
            _ => None,
        };
        zeroed = match def {
            Def::Const(r, 0) => Some(r),
            _ => None,
        };
        tested = zero_test(&ins);
        pushed = (mnemonic == Mnemonic::Push
            && matches!(
                ins.op0_kind(),
                OpKind::Immediate8to64 | OpKind::Immediate32to64 | OpKind::Immediate8to16
            ))
        .then(|| ins.immediate(0) as i64);
        // Addresses taken: rip-relative operands and immediates that may be code addresses.
        let mut refs = [None, None];
        if ins.is_ip_rel_memory_operand()
            && !matches!(flow, Flow::JumpIndirect { .. } | Flow::CallIndirect { .. })
        {
            refs[0] = Some(ins.ip_rel_memory_address());
        }
        for k in 0..ins.op_count() {
            if matches!(
                ins.op_kind(k),
                OpKind::Immediate32 | OpKind::Immediate32to64 | OpKind::Immediate64
            ) {
                let v = ins.immediate(k);
                if v > 0x1000 {
                    refs[1] = Some(v);
                }
            }
        }
        out.push(Insn {
            addr: ins.ip(),
            len,
            flow,
            def,
            kills,
            refs,
            zero,
            nop: matches!(mnemonic, Mnemonic::Nop | Mnemonic::Int3)
                || (mnemonic == Mnemonic::Xchg
                    && ins.op_count() == 2
                    && ins.op0_kind() == OpKind::Register
                    && ins.op1_kind() == OpKind::Register
                    && ins.op0_register() == ins.op1_register()),
        });
    }
}

/// The register `test r, r` or `cmp r, 0` compares with zero.
fn zero_test(ins: &Instruction) -> Option<Reg> {
    if ins.op_count() != 2 || ins.op0_kind() != OpKind::Register {
        return None;
    }
    let r = full_gpr(ins.op0_register())?;
    match ins.mnemonic() {
        Mnemonic::Test
            if ins.op1_kind() == OpKind::Register && ins.op1_register() == ins.op0_register() =>
        {
            Some(r)
        }
        Mnemonic::Cmp
            if matches!(
                ins.op1_kind(),
                OpKind::Immediate8to32
                    | OpKind::Immediate8to64
                    | OpKind::Immediate32
                    | OpKind::Immediate32to64
            ) && ins.immediate(1) == 0 =>
        {
            Some(r)
        }
        _ => None,
    }
}

/// The low byte of a register (al for rax, …, r15b).
fn low_byte(r: Reg) -> Register {
    const LOW: [Register; 16] = [
        Register::AL,
        Register::CL,
        Register::DL,
        Register::BL,
        Register::SPL,
        Register::BPL,
        Register::SIL,
        Register::DIL,
        Register::R8L,
        Register::R9L,
        Register::R10L,
        Register::R11L,
        Register::R12L,
        Register::R13L,
        Register::R14L,
        Register::R15L,
    ];
    LOW.get(usize::from(r.0)).copied().unwrap_or(Register::None)
}

/// `jmp [index*8 + table]`: the address of a table of absolute jump targets.
fn jump_table(ins: &Instruction) -> Option<u64> {
    (ins.op0_kind() == OpKind::Memory
        && ins.memory_base() == Register::None
        && ins.memory_index() != Register::None
        && ins.memory_index_scale() == 8)
        .then(|| ins.memory_displacement64())
}

/// The assignment the analysis follows: `mov r, imm`, `mov r, r`, `xor r, r`, `cmovcc r, r`,
/// `pop r` after `push imm`.
fn definition(ins: &Instruction, pushed: Option<i64>) -> Def {
    let m = ins.mnemonic();
    if ins.op_count() == 0 || ins.op0_kind() != OpKind::Register {
        return Def::None;
    }
    let Some(dst) = full_gpr(ins.op0_register()) else {
        return Def::None;
    };
    let wide = ins.op0_register().is_gpr64();
    match m {
        Mnemonic::Mov if ins.op_count() == 2 => match ins.op1_kind() {
            OpKind::Immediate32 => Def::Const(dst, i64::from(ins.immediate32())),
            OpKind::Immediate32to64 | OpKind::Immediate64 => {
                Def::Const(dst, ins.immediate(1) as i64)
            }
            OpKind::Register => match full_gpr(ins.op1_register()) {
                Some(src) if ins.op1_register().is_gpr64() == wide => Def::Copy(dst, src),
                _ => Def::None,
            },
            _ => Def::None,
        },
        Mnemonic::Xor | Mnemonic::Sub
            if ins.op_count() == 2
                && ins.op1_kind() == OpKind::Register
                && ins.op1_register() == ins.op0_register() =>
        {
            Def::Const(dst, 0)
        }
        Mnemonic::Pop if wide => match pushed {
            Some(v) => Def::Const(dst, v),
            None => Def::None,
        },
        _ if is_cmov(m) && ins.op_count() == 2 && ins.op1_kind() == OpKind::Register => {
            match full_gpr(ins.op1_register()) {
                Some(src) => Def::CondCopy(dst, src),
                None => Def::None,
            }
        }
        _ => Def::None,
    }
}

fn is_cmov(m: Mnemonic) -> bool {
    matches!(
        m,
        Mnemonic::Cmova
            | Mnemonic::Cmovae
            | Mnemonic::Cmovb
            | Mnemonic::Cmovbe
            | Mnemonic::Cmove
            | Mnemonic::Cmovg
            | Mnemonic::Cmovge
            | Mnemonic::Cmovl
            | Mnemonic::Cmovle
            | Mnemonic::Cmovne
            | Mnemonic::Cmovno
            | Mnemonic::Cmovnp
            | Mnemonic::Cmovns
            | Mnemonic::Cmovo
            | Mnemonic::Cmovp
            | Mnemonic::Cmovs
    )
}

/// One instruction in Intel syntax (for messages).
pub(crate) fn format(addr: u64, bytes: &[u8]) -> String {
    let mut decoder = Decoder::with_ip(64, bytes, addr, DecoderOptions::NONE);
    let ins = decoder.decode();
    let mut text = String::new();
    IntelFormatter::new().format(&ins, &mut text);
    text
}
