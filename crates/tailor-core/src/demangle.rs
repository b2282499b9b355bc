//! C++ names as GNU ld and `nm -C` see them: Itanium-ABI mangled names demangled with
//! parameters, as libiberty's `cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI)` does — GNU ld
//! matches `extern "C++"` version-script patterns against exactly that text.
//!
//! libiberty's demangler is also libstdc++'s `__cxa_demangle` (the same cp-demangle.c), which
//! every Debian system has: tailor opens `libstdc++.so.6` at run time and uses it, so that a
//! pattern means what it means to GNU ld. Where libstdc++ cannot be opened, the cpp_demangle
//! crate stands in; it spells some names its own way (thunks, `std::string`'s constructors,
//! VTTs of `std::iostream`: 223 of libstdc++'s 5,934 exports differ from `nm -DC`), and the
//! special names it spells differently are rewritten to libiberty's words.

use std::cell::OnceCell;
use std::sync::atomic::{AtomicBool, Ordering};

static IN_REPORTS: AtomicBool = AtomicBool::new(false);

/// `--demangle` (nm's `-C`): text reports show C++ names demangled, for the whole process.
pub fn set_in_reports(on: bool) {
    IN_REPORTS.store(on, Ordering::Relaxed);
}

/// Whether text reports demangle (`--demangle`).
pub fn in_reports() -> bool {
    IN_REPORTS.load(Ordering::Relaxed)
}

/// A symbol name as a text report shows it: demangled under `--demangle`, else as is.
pub fn shown(name: &[u8]) -> String {
    display(name, in_reports())
}

/// `name` demangled, or `None` when it is not a mangled C++ name.
pub fn demangle(name: &[u8]) -> Option<String> {
    if !name.starts_with(b"_Z") {
        return None;
    }
    if let Some(cxa) = cxa_demangle() {
        return cxa.demangle(name);
    }
    let symbol = cpp_demangle::Symbol::new(name).ok()?;
    let text = symbol.demangle().ok()?;
    Some(libiberty_spelling(text))
}

/// libstdc++'s `__cxa_demangle`, opened once.
struct CxaDemangle {
    function: unsafe extern "C" fn(
        *const libc::c_char,
        *mut libc::c_char,
        *mut libc::size_t,
        *mut libc::c_int,
    ) -> *mut libc::c_char,
}

impl CxaDemangle {
    fn demangle(&self, name: &[u8]) -> Option<String> {
        let name = std::ffi::CString::new(name).ok()?;
        let mut status: libc::c_int = 0;
        // SAFETY: `__cxa_demangle` reads the NUL-terminated name, allocates its result with
        // malloc (freed below) and writes only `status` (output buffer and length are null).
        unsafe {
            let out = (self.function)(
                name.as_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &mut status,
            );
            if out.is_null() {
                return None;
            }
            let text = std::ffi::CStr::from_ptr(out).to_string_lossy().into_owned();
            libc::free(out.cast());
            (status == 0).then_some(text)
        }
    }
}

/// `__cxa_demangle` from `libstdc++.so.6`, when the system has it.
fn cxa_demangle() -> Option<&'static CxaDemangle> {
    static CXA: std::sync::OnceLock<Option<CxaDemangle>> = std::sync::OnceLock::new();
    CXA.get_or_init(|| {
        // SAFETY: dlopen/dlsym with NUL-terminated names; the library stays open for the
        // process (never dlclose'd), so the function pointer stays valid; `__cxa_demangle`
        // has the C ABI signature declared in CxaDemangle.
        unsafe {
            let lib = libc::dlopen(
                c"libstdc++.so.6".as_ptr(),
                libc::RTLD_NOW | libc::RTLD_LOCAL,
            );
            if lib.is_null() {
                return None;
            }
            let sym = libc::dlsym(lib, c"__cxa_demangle".as_ptr());
            if sym.is_null() {
                return None;
            }
            Some(CxaDemangle {
                function: std::mem::transmute::<
                    *mut libc::c_void,
                    unsafe extern "C" fn(
                        *const libc::c_char,
                        *mut libc::c_char,
                        *mut libc::size_t,
                        *mut libc::c_int,
                    ) -> *mut libc::c_char,
                >(sym),
            })
        }
    })
    .as_ref()
}

/// cpp_demangle spells two special names its own way (`{vtable(T)}`, `{vtt(T)}`); libiberty,
/// and so `nm -C`, c++filt and GNU ld's `extern "C++"` matching, say `vtable for T` and
/// `VTT for T`.
fn libiberty_spelling(text: String) -> String {
    if let Some(inner) = text
        .strip_prefix("{virtual override thunk(")
        .and_then(|rest| rest.strip_suffix(")}"))
    {
        // `{offset(N)}, ` or `{virtual offset(A, B)}, `, twice for a covariant thunk.
        let skip = |s: &str| s.find("}, ").map(|i| s[i + 3..].to_string());
        let kind = if inner.starts_with("{virtual") {
            "virtual thunk to "
        } else {
            "non-virtual thunk to "
        };
        if let Some(rest) = skip(inner) {
            return match rest.starts_with("{offset(") || rest.starts_with("{virtual offset(") {
                true => format!("covariant return thunk to {}", skip(&rest).unwrap_or(rest)),
                false => format!("{kind}{rest}"),
            };
        }
    }
    for (theirs, ours) in [("{vtable(", "vtable for "), ("{vtt(", "VTT for ")] {
        if let Some(inner) = text
            .strip_prefix(theirs)
            .and_then(|rest| rest.strip_suffix(")}"))
        {
            return format!("{ours}{inner}");
        }
    }
    text
}

/// `name` for a report: the demangled form when asked and there is one, else the name.
pub fn display(name: &[u8], demangle_names: bool) -> String {
    if demangle_names {
        if let Some(d) = demangle(name) {
            return d;
        }
    }
    String::from_utf8_lossy(name).into_owned()
}

/// A symbol name with its demangled form computed at most once, when first asked for.
pub struct Name<'a> {
    pub mangled: &'a [u8],
    demangled: OnceCell<Option<String>>,
}

impl<'a> Name<'a> {
    pub fn new(mangled: &'a [u8]) -> Self {
        Name {
            mangled,
            demangled: OnceCell::new(),
        }
    }

    /// The demangled form, `None` for a name that is not mangled C++.
    pub fn demangled(&self) -> Option<&str> {
        self.demangled
            .get_or_init(|| demangle(self.mangled))
            .as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demangles_like_cxxfilt() {
        assert_eq!(demangle(b"_ZN2ns1fEi").as_deref(), Some("ns::f(int)"));
        assert_eq!(
            demangle(b"_ZNK2ns1C1mEv").as_deref(),
            Some("ns::C::m() const")
        );
        assert_eq!(
            demangle(b"_ZTVN2ns1CE").as_deref(),
            Some("vtable for ns::C")
        );
        assert_eq!(demangle(b"puts"), None);
        // cpp_demangle's own spellings, rewritten to libiberty's.
        let spelled = |m: &[u8]| {
            let s = cpp_demangle::Symbol::new(m).unwrap();
            libiberty_spelling(s.demangle().unwrap())
        };
        assert_eq!(spelled(b"_ZTVN2ns1CE"), "vtable for ns::C");
        assert_eq!(spelled(b"_ZTTN2ns1CE"), "VTT for ns::C");
        assert_eq!(
            spelled(b"_ZThn16_N2ns1CD1Ev"),
            "non-virtual thunk to ns::C::~C()"
        );
        assert_eq!(
            spelled(b"_ZTv0_n24_N2ns1CD1Ev"),
            "virtual thunk to ns::C::~C()"
        );
        assert_eq!(display(b"_ZN2ns1fEi", false), "_ZN2ns1fEi");
        assert_eq!(Name::new(b"_ZN2ns1fEi").demangled(), Some("ns::f(int)"));
    }
}
