//! Fuzzes tailor_core::fuzzing::extract: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tailor_core::fuzzing::extract(data);
});
