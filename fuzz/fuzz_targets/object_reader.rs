//! Fuzzes tailor_core::fuzzing::object_reader (see its documentation).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tailor_core::fuzzing::object_reader(data);
});
