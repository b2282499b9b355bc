//! Telling a truncated ELF file from a malformed one: when reading fails, the raw header
//! says whether the file simply ends too early (its ELF header, program headers or section
//! headers run past the last byte), which is what a user needs to hear ("truncated",
//! re-copy or rebuild it) rather than the parser's complaint about an offset.

use std::path::Path;

use crate::error::Error;

/// `err`, a failure to read the ELF file `data`, restated as [`Error::Truncated`] when the
/// file ends before its ELF header, program headers or section headers do.
pub fn explain(path: &Path, data: &[u8], err: Error) -> Error {
    if !matches!(err, Error::Elf { .. }) {
        return err;
    }
    match short_by(data) {
        Some(detail) => Error::Truncated {
            path: path.to_path_buf(),
            len: data.len() as u64,
            detail,
        },
        None => err,
    }
}

/// What the file ends before, if it ends too early.
fn short_by(data: &[u8]) -> Option<String> {
    let is_64 = match data.get(4)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let big = match data.get(5)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let header_size: u64 = if is_64 { 64 } else { 52 };
    let len = data.len() as u64;
    if len < header_size {
        return Some(format!("its ELF header is {header_size} bytes"));
    }
    let uint = |at: usize, size: usize| -> u64 {
        let b = &data[at..at + size];
        let mut v = 0u64;
        for i in 0..size {
            let byte = if big { b[i] } else { b[size - 1 - i] };
            v = (v << 8) | u64::from(byte);
        }
        v
    };
    // (phoff, shoff, phentsize, phnum, shentsize, shnum)
    let (phoff, shoff, ph_at) = if is_64 {
        (uint(0x20, 8), uint(0x28, 8), 0x36)
    } else {
        (uint(0x1c, 4), uint(0x20, 4), 0x2a)
    };
    let (phentsize, phnum) = (uint(ph_at, 2), uint(ph_at + 2, 2));
    let (shentsize, shnum) = (uint(ph_at + 4, 2), uint(ph_at + 6, 2));
    let tables = [
        ("program headers", phoff, phentsize, phnum),
        ("section headers", shoff, shentsize, shnum),
    ];
    for (what, offset, entsize, count) in tables {
        if offset == 0 || count == 0 {
            continue;
        }
        let end = offset.saturating_add(entsize.saturating_mul(count));
        if end > len {
            return Some(format!("its {what} end at byte {end}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_files_are_truncated_and_bad_ones_are_not() {
        let ls = std::fs::read("/proc/self/exe").unwrap();
        let e = || Error::elf(Path::new("x"), "section headers", "bad");
        let msg = explain(Path::new("x"), &ls[..40], e()).to_string();
        assert!(
            msg.contains("x: truncated ELF file (40 bytes; its ELF header is 64 bytes)"),
            "{msg}"
        );
        let msg = explain(Path::new("x"), &ls[..ls.len() - 1], e()).to_string();
        assert!(
            msg.contains("truncated") && msg.contains("section headers end at byte"),
            "{msg}"
        );
        // Whole, the failure stays what it was.
        let msg = explain(Path::new("x"), &ls, e()).to_string();
        assert!(msg.starts_with("reading section headers of x"), "{msg}");
        // Other errors pass through.
        let io = Error::Usage("u".into());
        assert_eq!(explain(Path::new("x"), &ls[..10], io).to_string(), "u");
    }
}
