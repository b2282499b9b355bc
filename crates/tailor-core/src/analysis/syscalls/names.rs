//! System call names: Linux's, by number ([`linux_tables`](super::linux_tables), from the
//! kernel headers), and OSv's spelling of the calls it implements
//! ([`osv_tables`](super::osv_tables), from `syscalls/syscalls.cc.in`), which is what
//! `conf_syscalls_list_file=` takes.

use super::{linux_tables, osv_tables, Arch};

fn lookup(table: &'static [(u32, &'static str)], n: u32) -> Option<&'static str> {
    table
        .binary_search_by_key(&n, |&(k, _)| k)
        .ok()
        .map(|i| table[i].1)
}

/// Linux's table for `arch` (number, name), sorted by number.
pub fn linux_table(arch: Arch) -> &'static [(u32, &'static str)] {
    match arch {
        Arch::X86_64 => linux_tables::X86_64,
        Arch::Aarch64 => linux_tables::AARCH64,
    }
}

/// OSv's table for `arch` (Linux number, OSv's name), sorted by number.
pub fn osv_table(arch: Arch) -> &'static [(u32, &'static str)] {
    match arch {
        Arch::X86_64 => osv_tables::X64,
        Arch::Aarch64 => osv_tables::AARCH64,
    }
}

/// Linux's name of system call `n`.
pub fn linux_name(arch: Arch, n: u32) -> Option<&'static str> {
    lookup(linux_table(arch), n)
}

/// OSv's name of system call `n`, when OSv implements it.
pub fn osv_name(arch: Arch, n: u32) -> Option<&'static str> {
    lookup(osv_table(arch), n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_unique() {
        for arch in [Arch::X86_64, Arch::Aarch64] {
            for t in [linux_table(arch), osv_table(arch)] {
                assert!(t.windows(2).all(|w| w[0].0 < w[1].0), "{arch:?}");
            }
            // Every call OSv implements is one Linux defines.
            for &(n, name) in osv_table(arch) {
                assert!(linux_name(arch, n).is_some(), "{arch:?} {n} {name}");
            }
        }
    }
}
