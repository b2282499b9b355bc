//! Fuzzes the ELF reader: any bytes give facts or an error, never a panic; facts survive
//! compaction, and the by-name scan and the exports table accept them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tailor_core::fuzzing::elf_reader(data);
});
