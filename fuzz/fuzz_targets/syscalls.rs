//! Fuzzes the system-call analysis's decoder front end: any bytes, as an ELF file and as raw
//! x86-64 and AArch64 code, give a result or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tailor_core::fuzzing::syscalls(data);
});
