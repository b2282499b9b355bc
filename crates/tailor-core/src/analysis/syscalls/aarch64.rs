//! The AArch64 front end of the system-call analysis: decodes code with yaxpeax-arm into
//! [`Insn`] summaries (one reused `Instruction`, nothing allocated per instruction). `adrp`
//! pages are followed into the `add` or `ldr` that completes the address.

use yaxpeax_arch::{Decoder, U8Reader};
use yaxpeax_arm::armv8::a64::{InstDecoder, Instruction, Opcode, Operand, ShiftStyle, SizeCode};

use super::{Def, Flow, Insn, Reg, RegSet};

/// x0–x18 and x30: what a call may change (AAPCS64; x16/x17 are the veneers' scratch).
const CALLER_SAVED: u64 = ((1 << 19) - 1) | (1 << 30);

/// A general-purpose register operand (not zr/sp).
fn reg(op: &Operand) -> Option<Reg> {
    match *op {
        Operand::Register(_, n) | Operand::RegisterOrSP(_, n) if n < 31 => Some(Reg(n as u8)),
        _ => None,
    }
}

fn is_zr(op: &Operand) -> bool {
    matches!(*op, Operand::Register(_, 31))
}

fn is_w(op: &Operand) -> bool {
    matches!(
        *op,
        Operand::Register(SizeCode::W, _) | Operand::RegisterOrSP(SizeCode::W, _)
    )
}

fn pc_offset(ops: &[Operand; 4]) -> Option<i64> {
    ops.iter().find_map(|o| match *o {
        Operand::PCOffset(off) => Some(off),
        _ => None,
    })
}

/// Decodes `bytes`, mapped at `addr` (4-byte instructions), appending one summary each.
pub(crate) fn decode(addr: u64, bytes: &[u8], out: &mut Vec<Insn>) {
    let decoder = InstDecoder::default();
    let mut ins = Instruction::default();
    // Per register: the page an `adrp` put there, and the address its value was loaded from.
    let mut page: [Option<u64>; 32] = [None; 32];
    let mut loaded_from: [Option<u64>; 32] = [None; 32];
    for (k, word) in bytes.chunks_exact(4).enumerate() {
        let pc = addr.wrapping_add(4 * k as u64);
        let mut reader = U8Reader::new(word);
        let stop = Insn {
            addr: pc,
            len: 4,
            flow: Flow::Stop,
            def: Def::None,
            kills: RegSet::default(),
            refs: [None, None],
            nop: false,
            zero: None,
        };
        if decoder.decode_into(&mut ins, &mut reader).is_err() {
            out.push(stop);
            page = [None; 32];
            loaded_from = [None; 32];
            continue;
        }
        let ops = &ins.operands;
        let target = pc_offset(ops).map(|off| pc.wrapping_add(off as u64));
        let mut kills = RegSet::default();
        let mut refs = [None, None];
        let flow = match ins.opcode {
            Opcode::B => target.map_or(Flow::Stop, Flow::Jump),
            Opcode::Bcc(_) | Opcode::CBZ | Opcode::CBNZ | Opcode::TBZ | Opcode::TBNZ => {
                target.map_or(Flow::Stop, Flow::CondJump)
            }
            Opcode::BL => {
                kills.0 |= CALLER_SAVED;
                target.map_or(Flow::CallIndirect { mem: None }, Flow::Call)
            }
            Opcode::BLR | Opcode::BLRAA | Opcode::BLRAAZ | Opcode::BLRAB | Opcode::BLRABZ => {
                kills.0 |= CALLER_SAVED;
                Flow::CallIndirect {
                    mem: reg(&ops[0]).and_then(|r| loaded_from[r.0 as usize]),
                }
            }
            Opcode::BR | Opcode::BRAA | Opcode::BRAAZ | Opcode::BRAB | Opcode::BRABZ => {
                Flow::JumpIndirect {
                    table: None,
                    mem: reg(&ops[0]).and_then(|r| loaded_from[r.0 as usize]),
                }
            }
            Opcode::RET | Opcode::RETAA | Opcode::RETAB => Flow::Return,
            Opcode::SVC => {
                kills.add(Reg(0));
                Flow::Syscall
            }
            Opcode::BRK | Opcode::HLT | Opcode::UDF | Opcode::ERET => Flow::Stop,
            _ => Flow::Next,
        };
        // Registers written.
        let store = matches!(
            ins.opcode,
            Opcode::STR
                | Opcode::STRB
                | Opcode::STRH
                | Opcode::STUR
                | Opcode::STURB
                | Opcode::STURH
                | Opcode::STP
                | Opcode::STNP
                | Opcode::STLR
                | Opcode::STLRB
                | Opcode::STLRH
                | Opcode::STLUR
                | Opcode::STLURB
                | Opcode::STLURH
        );
        let reads_op0 = matches!(
            ins.opcode,
            Opcode::CBZ
                | Opcode::CBNZ
                | Opcode::TBZ
                | Opcode::TBNZ
                | Opcode::BR
                | Opcode::BLR
                | Opcode::RET
                | Opcode::BRAA
                | Opcode::BRAAZ
                | Opcode::BRAB
                | Opcode::BRABZ
                | Opcode::BLRAA
                | Opcode::BLRAAZ
                | Opcode::BLRAB
                | Opcode::BLRABZ
        );
        if !store && !reads_op0 {
            if let Some(r) = reg(&ops[0]) {
                kills.add(r);
            }
            if matches!(
                ins.opcode,
                Opcode::LDP
                    | Opcode::LDPSW
                    | Opcode::LDNP
                    | Opcode::LDXP
                    | Opcode::LDAXP
                    | Opcode::CASP(_)
            ) {
                if let Some(r) = reg(&ops[1]) {
                    kills.add(r);
                }
            }
        }
        for op in ops {
            match *op {
                Operand::RegPreIndex(base, _, true)
                | Operand::RegPostIndex(base, _)
                | Operand::RegPostIndexReg(base, _)
                    if base < 31 =>
                {
                    kills.add(Reg(base as u8));
                }
                _ => {}
            }
        }
        // Addresses: adr, adrp + add, adrp + ldr.
        let dst = reg(&ops[0]);
        let mut new_page = None;
        let mut new_loaded = None;
        match ins.opcode {
            Opcode::ADR => refs[0] = target,
            Opcode::ADRP => {
                if let Operand::PCOffset(off) = ops[1] {
                    new_page = Some((pc & !0xfff).wrapping_add(off as u64));
                }
            }
            Opcode::ADD => {
                if let (Some(base), Operand::Immediate(imm)) = (reg(&ops[1]), ops[2]) {
                    if let Some(p) = page[base.0 as usize] {
                        refs[0] = Some(p.wrapping_add(u64::from(imm)));
                    }
                }
            }
            Opcode::LDR => match ops[1] {
                Operand::RegPreIndex(base, off, false) if base < 31 => {
                    if let Some(p) = page[base as usize] {
                        new_loaded = Some(p.wrapping_add(off as i64 as u64));
                    }
                }
                Operand::PCOffset(off) => new_loaded = Some(pc.wrapping_add(off as u64)),
                _ => {}
            },
            _ => {}
        }
        for r in 0..31u8 {
            if kills.has(Reg(r)) {
                page[r as usize] = None;
                loaded_from[r as usize] = None;
            }
        }
        if let Some(d) = dst {
            if new_page.is_some() {
                page[d.0 as usize] = new_page;
            }
            if new_loaded.is_some() {
                loaded_from[d.0 as usize] = new_loaded;
            }
        }
        if matches!(
            flow,
            Flow::Jump(_) | Flow::Return | Flow::Stop | Flow::JumpIndirect { .. }
        ) {
            page = [None; 32];
            loaded_from = [None; 32];
        }
        out.push(Insn {
            addr: pc,
            len: 4,
            flow,
            def: definition(&ins),
            kills,
            refs,
            nop: ins.opcode == Opcode::HINT,
            zero: match ins.opcode {
                Opcode::CBZ => reg(&ops[0]).map(|r| (r, true)),
                Opcode::CBNZ => reg(&ops[0]).map(|r| (r, false)),
                _ => None,
            },
        });
    }
    // A trailing partial word is not an instruction.
    let tail = bytes.len() % 4;
    if tail != 0 {
        out.push(Insn {
            addr: addr.wrapping_add((bytes.len() - tail) as u64),
            len: tail as u8,
            flow: Flow::Stop,
            def: Def::None,
            kills: RegSet::default(),
            refs: [None, None],
            nop: false,
            zero: None,
        });
    }
}

/// The assignment the analysis follows: `movz`, `movn`, `mov` (orr with zr) from a register
/// or a bitmask immediate.
fn definition(ins: &Instruction) -> Def {
    let ops = &ins.operands;
    let Some(dst) = reg(&ops[0]) else {
        return Def::None;
    };
    let w = is_w(&ops[0]);
    let narrow = |v: u64| if w { i64::from(v as u32) } else { v as i64 };
    match (ins.opcode, ops[1], ops[2]) {
        (Opcode::MOVZ, Operand::ImmShift(imm, shift), _) if shift < 64 => {
            Def::Const(dst, narrow(u64::from(imm) << shift))
        }
        (Opcode::MOVN, Operand::ImmShift(imm, shift), _) if shift < 64 => {
            Def::Const(dst, narrow(!(u64::from(imm) << shift)))
        }
        (Opcode::ORR, ref zr, Operand::RegShift(ShiftStyle::LSL, 0, _, src)) if is_zr(zr) => {
            if src == 31 {
                Def::Const(dst, 0)
            } else {
                Def::Copy(dst, Reg(src as u8))
            }
        }
        (Opcode::ORR, ref zr, Operand::Immediate(v)) if is_zr(zr) => {
            Def::Const(dst, narrow(u64::from(v)))
        }
        (Opcode::ORR, ref zr, Operand::Imm64(v)) if is_zr(zr) => Def::Const(dst, narrow(v)),
        _ => Def::None,
    }
}

/// One instruction, disassembled (for messages).
pub(crate) fn format(_addr: u64, bytes: &[u8]) -> String {
    let mut reader = U8Reader::new(bytes);
    match InstDecoder::default().decode(&mut reader) {
        Ok(ins) => ins.to_string(),
        Err(_) => String::from("(undecodable)"),
    }
}
