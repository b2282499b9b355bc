//! Bytes shown as text: file names, section and symbol names, linker-script words.

use std::borrow::Cow;

/// `bytes` as UTF-8, each invalid sequence replaced by U+FFFD (as `String::from_utf8_lossy`,
/// `Path::display` and `OsStr::to_string_lossy` show them). Valid text, nearly all of it, is
/// checked by `str::from_utf8`'s word-at-a-time scan: `from_utf8_lossy` walks it a character
/// at a time (about 1,100 instructions a path through `Path::display` in `tailor gc` on musl,
/// against 150).
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// A path as [`lossy`] text.
pub fn path_text(path: &std::path::Path) -> Cow<'_, str> {
    use std::os::unix::ffi::OsStrExt;
    lossy(path.as_os_str().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn matches_the_standard_library() {
        let cases: [&[u8]; 6] = [
            b"",
            b"obj/src/aio/aio.lo",
            "caf\u{e9}/\u{1f600}.o".as_bytes(),
            b"bad\xff\xfe.o",
            b"cut\xe2\x82",
            b"\xc3(mixed\xa0\xa1)",
        ];
        for b in cases {
            assert_eq!(lossy(b), String::from_utf8_lossy(b));
            let p = std::path::Path::new(std::ffi::OsStr::from_bytes(b));
            assert_eq!(path_text(p), p.display().to_string());
        }
    }
}
