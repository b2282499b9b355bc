//! Fuzzes the OSv manifest parser: any text gives entries or an error naming a line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tailor_core::fuzzing::manifest(data);
});
