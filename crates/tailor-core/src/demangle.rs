//! Output helper: C++ (Itanium ABI) names demangled for display (`--demangle`); names stay
//! mangled wherever they are matched or grouped.

/// `name` demangled, when it is a mangled C++ name that demangles.
pub(crate) fn demangle(name: &str) -> Option<String> {
    if !name.starts_with("_Z") {
        return None;
    }
    let sym = cpp_demangle::Symbol::new(name.as_bytes()).ok()?;
    sym.demangle().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn demangles_cpp_only() {
        assert_eq!(
            super::demangle("_ZN5sched6thread4waitEv").as_deref(),
            Some("sched::thread::wait()")
        );
        assert_eq!(super::demangle("printf"), None);
        assert_eq!(super::demangle("_Zgarbage"), None);
    }
}
