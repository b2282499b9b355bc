//! Fuzzes tailor_core::fuzzing::link_command: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tailor_core::fuzzing::link_command(data);
});
