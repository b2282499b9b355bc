//! The one wildcard matcher: `fnmatch(3)` without flags, as GNU ld matches version-script and
//! dynamic-list patterns, linker-script section and file patterns, and as tailor matches
//! profile object globs. `*` (any run, `/` and a leading `.` included), `?` (any byte),
//! `[...]` classes (`!` or `^` negates, `]` first is literal, `a-z` ranges, `[:alpha:]`
//! names, `\` escapes), `\c` (the byte `c`); a `[` that opens no complete class is itself.
//!
//! Linear in practice: the classic two-pointer algorithm, which on a mismatch returns to the
//! last `*` and lets it take one more byte — every pattern element but `*` takes exactly one
//! byte, so only the last star ever needs to move (at most pattern × text steps, never the
//! exponential recursion a naive matcher does on `*a*a*a*a*b`).

/// Whether `text` matches the wildcard `pattern` (fnmatch with no flags).
pub fn fnmatch(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    // Where to resume after the last `*`: pattern index after it, text index it took up to.
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pattern.len() {
            match element(pattern, p, text.get(t).copied()) {
                Step::Star(next) => {
                    star = Some((next, t));
                    p = next;
                    continue;
                }
                Step::Byte(true, next) => {
                    p = next;
                    t += 1;
                    continue;
                }
                Step::Byte(false, _) => {}
            }
        } else if t == text.len() {
            return true;
        }
        match star {
            Some((sp, st)) if st < text.len() => {
                star = Some((sp, st + 1));
                p = sp;
                t = st + 1;
            }
            _ => return false,
        }
    }
}

/// Whether `pattern` has any wildcard syntax (else it matches only itself).
pub fn is_wildcard(pattern: &[u8]) -> bool {
    pattern
        .iter()
        .any(|c| matches!(c, b'*' | b'?' | b'[' | b'\\'))
}

/// One pattern element at `p`, tested against the byte `c` (`None`: the text has ended).
enum Step {
    /// `*`; the index after it.
    Star(usize),
    /// An element taking one byte: whether `c` is one it takes, and the index after it.
    Byte(bool, usize),
}

fn element(pattern: &[u8], p: usize, c: Option<u8>) -> Step {
    match pattern[p] {
        b'*' => Step::Star(p + 1),
        b'?' => Step::Byte(c.is_some(), p + 1),
        // A trailing backslash escapes nothing: fnmatch matches nothing with it.
        b'\\' => match pattern.get(p + 1) {
            Some(&e) => Step::Byte(c == Some(e), p + 2),
            None => Step::Byte(false, p + 1),
        },
        b'[' => match class(pattern, p, c.unwrap_or(0)) {
            Class::Closed(hit, next) => Step::Byte(c.is_some() && hit, next),
            Class::Unterminated => Step::Byte(c == Some(b'['), p + 1),
        },
        lit => Step::Byte(c == Some(lit), p + 1),
    }
}

enum Class {
    /// Whether the class takes the byte, and the index after its `]`.
    Closed(bool, usize),
    /// No `]` closes it: the `[` is literal.
    Unterminated,
}

/// The class opening at `pattern[p]` (a `[`), tested against `c`, in one pass as glibc reads
/// it: members in order, each a `[:name:]`, or a byte (`\` escapes) possibly starting a range.
fn class(pattern: &[u8], p: usize, c: u8) -> Class {
    let mut i = p + 1;
    let negate = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    // glibc tests the members in order and fails the byte at an unknown `[:name:]`: members
    // after it never count, negated or not.
    let mut unknown_name = false;
    let mut first = true;
    loop {
        let Some(&b) = pattern.get(i) else {
            return Class::Unterminated;
        };
        if b == b']' && !first {
            let takes = match unknown_name {
                true => hit && !negate,
                false => hit != negate,
            };
            return Class::Closed(takes, i + 1);
        }
        first = false;
        if b == b'[' && pattern.get(i + 1) == Some(&b':') {
            if let Some((name, next)) = class_name(pattern, i + 2) {
                match named_class(name) {
                    _ if unknown_name => {}
                    Some(test) => hit |= test(c),
                    None => unknown_name = true,
                }
                i = next;
                continue;
            }
        }
        // A `\\` or a range cut off by the end of the pattern: glibc fails the byte.
        let Some((lo, after)) = class_byte(pattern, i) else {
            return Class::Closed(false, i);
        };
        i = after;
        let mut hi = lo;
        if pattern.get(i) == Some(&b'-') && pattern.get(i + 1) != Some(&b']') {
            let Some((h, after)) = class_byte(pattern, i + 1) else {
                return Class::Closed(false, i);
            };
            hi = h;
            i = after;
        }
        hit |= !unknown_name && lo <= c && c <= hi;
    }
}

/// A byte inside a class (`\` escapes the next one) and the index after it.
fn class_byte(pattern: &[u8], i: usize) -> Option<(u8, usize)> {
    match *pattern.get(i)? {
        b'\\' => pattern.get(i + 1).map(|&e| (e, i + 2)),
        b => Some((b, i + 1)),
    }
}

/// `[:name:]` starting after `[:` at `i`: the name and the index after `:]`.
fn class_name(pattern: &[u8], i: usize) -> Option<(&[u8], usize)> {
    let len = pattern[i..]
        .windows(2)
        .position(|w| w == b":]")
        .filter(|&n| pattern[i..i + n].iter().all(u8::is_ascii_lowercase))?;
    Some((&pattern[i..i + len], i + len + 2))
}

/// The C locale's character classes; `None` for an unknown name.
fn named_class(name: &[u8]) -> Option<fn(u8) -> bool> {
    Some(match name {
        b"alpha" => |c: u8| c.is_ascii_alphabetic(),
        b"digit" => |c: u8| c.is_ascii_digit(),
        b"alnum" => |c: u8| c.is_ascii_alphanumeric(),
        b"upper" => |c: u8| c.is_ascii_uppercase(),
        b"lower" => |c: u8| c.is_ascii_lowercase(),
        b"space" => |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'),
        b"blank" => |c: u8| c == b' ' || c == b'\t',
        b"punct" => |c: u8| c.is_ascii_punctuation(),
        b"print" => |c: u8| (0x20..0x7f).contains(&c),
        b"graph" => |c: u8| c.is_ascii_graphic(),
        b"cntrl" => |c: u8| c < 0x20 || c == 0x7f,
        b"xdigit" => |c: u8| c.is_ascii_hexdigit(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook recursive matcher over the same elements: exponential, but obviously
    /// right about where stars end.
    fn reference(pattern: &[u8], text: &[u8]) -> bool {
        if pattern.is_empty() {
            return text.is_empty();
        }
        match element(pattern, 0, text.first().copied()) {
            Step::Star(next) => (0..=text.len()).any(|k| reference(&pattern[next..], &text[k..])),
            Step::Byte(hit, next) => hit && reference(&pattern[next..], &text[1..]),
        }
    }

    extern "C" {
        fn fnmatch(
            pattern: *const std::ffi::c_char,
            string: *const std::ffi::c_char,
            flags: i32,
        ) -> i32;
    }

    /// glibc's fnmatch(pattern, text, 0) in the C locale, the function GNU ld calls.
    fn libc_fnmatch(pattern: &[u8], text: &[u8]) -> bool {
        let p = std::ffi::CString::new(pattern).unwrap();
        let t = std::ffi::CString::new(text).unwrap();
        // SAFETY: two NUL-terminated strings that outlive the call.
        unsafe { fnmatch(p.as_ptr(), t.as_ptr(), 0) == 0 }
    }

    #[test]
    fn what_the_callers_rely_on() {
        assert!(super::fnmatch(b"std*", b"stdout"));
        assert!(!super::fnmatch(b"__?tz*", b"__tzname"));
        assert!(super::fnmatch(b"opt[a-z]*", b"optind"));
        assert!(!super::fnmatch(b"opt[!a-z]*", b"optind"));
        assert!(super::fnmatch(b"a?c", b"abc") && !super::fnmatch(b"a?c", b"ac"));
        assert!(super::fnmatch(b"*", b".text"));
        assert!(super::fnmatch(b"*", b""));
        assert!(super::fnmatch(b".text.*", b".text.foo"));
        assert!(!super::fnmatch(b".text.*", b".text"));
        assert!(super::fnmatch(b"*crtbegin?.o", b"/usr/lib/crtbeginS.o"));
        assert!(!super::fnmatch(b"*crtbegin?.o", b"crtbegin.o"));
        assert!(super::fnmatch(b".data.[!.]*", b".data.x"));
        assert!(!super::fnmatch(b".data.[!.]*", b".data..x"));
        assert!(super::fnmatch(b"[a-c]x", b"bx"));
        assert!(super::fnmatch(b"drivers/*.o", b"drivers/pci.o"));
        assert!(super::fnmatch(b"a\\*", b"a*") && !super::fnmatch(b"a\\*", b"ab"));
        assert!(super::fnmatch(b"[]]", b"]") && super::fnmatch(b"[!]]", b"x"));
        assert!(super::fnmatch(b"x[[:digit:]]", b"x7") && !super::fnmatch(b"x[[:digit:]]", b"xa"));
        assert!(super::fnmatch(b"[", b"[") && super::fnmatch(b"a[b", b"a[b"));
    }

    #[test]
    fn pathological_pattern_is_fast() {
        let name = [b'a'; 40];
        let start = std::time::Instant::now();
        for _ in 0..1000 {
            assert!(!super::fnmatch(b"*a*a*a*a*a*a*b", &name));
        }
        let mut with_b = name.to_vec();
        with_b.push(b'b');
        assert!(super::fnmatch(b"*a*a*a*a*a*a*b", &with_b));
        // 56 million calls for one match before; now about 40 × 14 steps each.
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }

    /// A small deterministic generator (xorshift) of patterns and names over bytes that
    /// exercise every piece of syntax.
    struct Gen(u64);
    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn string(&mut self, alphabet: &[&[u8]], max: u64) -> Vec<u8> {
            let n = self.next() % (max + 1);
            let mut s = Vec::new();
            for _ in 0..n {
                s.extend_from_slice(alphabet[(self.next() % alphabet.len() as u64) as usize]);
            }
            s
        }
    }

    #[test]
    fn agrees_with_the_reference_and_glibc() {
        let pattern_parts: &[&[u8]] = &[
            b"a",
            b"b",
            b".",
            b"*",
            b"*",
            b"?",
            b"[",
            b"]",
            b"!",
            b"^",
            b"-",
            b"\\",
            b"[a-b]",
            b"[!a]",
            b"[]a]",
            b"[:digit:]",
            b"[[:alpha:]]",
            b"[[:bogus:]]",
            b"[:x",
            b"1",
        ];
        let text_parts: &[&[u8]] = &[b"a", b"b", b".", b"-", b"]", b"[", b"\\", b"!", b"1", b"*"];
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        let mut matched = 0;
        for _ in 0..200_000 {
            let p = g.string(pattern_parts, 6);
            let t = g.string(text_parts, 7);
            // Left out: collating symbols and equivalence classes (`[.a.]`, `[=a=]`), glibc's
            // locale machinery, which no symbol or section pattern uses; and a range ending in
            // `[` (`[x-[:digit:]]`), where glibc finds the end of a class that matched in
            // another place than the end of one that did not.
            if p.windows(2).any(|w| w == b"[." || w == b"[=" || w == b"-[") {
                continue;
            }
            let got = super::fnmatch(&p, &t);
            assert_eq!(
                got,
                reference(&p, &t),
                "reference: {:?} against {:?}",
                String::from_utf8_lossy(&p),
                String::from_utf8_lossy(&t)
            );
            assert_eq!(
                got,
                libc_fnmatch(&p, &t),
                "glibc fnmatch: {:?} against {:?}",
                String::from_utf8_lossy(&p),
                String::from_utf8_lossy(&t)
            );
            matched += usize::from(got);
        }
        assert!(
            matched > 1000,
            "too few matching cases ({matched}) to mean much"
        );
    }
}
