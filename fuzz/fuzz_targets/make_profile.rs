//! Fuzzes tailor_core::fuzzing::make_profile: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tailor_core::fuzzing::make_profile(data);
});
