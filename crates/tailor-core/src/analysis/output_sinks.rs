//! Stage 2, analysis: the C and C++ libraries' functions whose string parameters are only
//! written out (to a stream, a file descriptor, the system log, an assertion's message), for
//! [`super::string_flow`]: a string passed to one reaches no lookup by name.
//!
//! This is the libraries' contract, not a reading of their code: it holds for every
//! implementation (the one in the link, one outside it, an interposed one), so a call is
//! decided by the name it calls. Functions that format into memory (`sprintf`, `snprintf`,
//! `asprintf`, `strcpy`) are not here: the memory they write may be looked up (musl's
//! `dlsym` formats the name of a time64 symbol with `snprintf` and looks that up).

/// Functions writing their string arguments out: ISO C, POSIX and BSD (`err`, `warn`), the
/// fortified printf family glibc's headers call, the assertion handlers of glibc and musl
/// (`__assert_fail`), bionic's and the BSDs' (`__assert2`, `__assert`), the entry point musl's
/// own printf and fwrite write through (`__fwritex`), and libstdc++'s insertion of a C string
/// into an `std::ostream`.
const WRITES_OUT: &[&[u8]] = &[
    b"puts",
    b"fputs",
    b"fputs_unlocked",
    b"fwrite",
    b"fwrite_unlocked",
    b"__fwritex",
    b"perror",
    b"psignal",
    b"write",
    b"pwrite",
    b"printf",
    b"fprintf",
    b"dprintf",
    b"vprintf",
    b"vfprintf",
    b"vdprintf",
    b"__printf_chk",
    b"__fprintf_chk",
    b"__dprintf_chk",
    b"__vprintf_chk",
    b"__vfprintf_chk",
    b"syslog",
    b"vsyslog",
    b"__syslog_chk",
    b"err",
    b"errx",
    b"warn",
    b"warnx",
    b"verr",
    b"verrx",
    b"vwarn",
    b"vwarnx",
    b"__assert_fail",
    b"__assert_perror_fail",
    b"__assert",
    b"__assert2",
    b"_ZSt16__ostream_insertIcSt11char_traitsIcEERSt13basic_ostreamIT_T0_ES6_PKS3_l",
    b"_ZStlsISt11char_traitsIcEERSt13basic_ostreamIcT_ES5_PKc",
];

/// Whether `symbol` (a callee's name, `@VERSION` allowed) only writes its string arguments
/// out.
pub fn writes_out(symbol: &[u8]) -> bool {
    let name = symbol
        .iter()
        .position(|&b| b == b'@')
        .map_or(symbol, |at| &symbol[..at]);
    WRITES_OUT.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_functions_and_not_the_ones_formatting_into_memory() {
        assert!(writes_out(b"perror"));
        assert!(writes_out(b"fputs@GLIBC_2.2.5"));
        assert!(writes_out(b"__assert_fail"));
        assert!(!writes_out(b"snprintf"));
        assert!(!writes_out(b"strcpy"));
        assert!(!writes_out(b"dlsym"));
    }
}
