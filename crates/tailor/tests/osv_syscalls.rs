//! A syscall-tailored OSv kernel: `tailor syscalls` on native-example's static hellos, OSv's
//! own build with `conf_syscalls_list_file=` set to that list (in a copy of the OSv tree of
//! scripts/osv-build.sh, ${TAILOR_E2E_DIR:-target/e2e}/osv-syscalls), booted in QEMU: each
//! static hello prints on it what it prints on the full kernel.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::osv::{boot, osv};
use common::{run, tailor_ok};

const BOOT_TIMEOUT: u32 = 180;

fn e2e_dir() -> PathBuf {
    std::env::var_os("TAILOR_E2E_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e"))
}

/// OSv's complaints about calls it does not implement (`syscall(): unimplemented system
/// call 334`), in order.
fn unimplemented(console: &str) -> Vec<&str> {
    console
        .lines()
        .filter_map(|l| l.find("syscall(): ").map(|i| &l[i..]))
        .collect()
}

#[test]
fn syscall_tailored_osv_kernel_runs_the_static_hellos() {
    let e = osv();
    let work = e2e_dir().join("osv-syscalls");
    std::fs::create_dir_all(&work).unwrap();
    let list = work.join("hello-static.syscalls");
    // The static hellos, and a static glibc program reading the clocks through the vDSO.
    let hellos = [
        e.get("OSV_HELLO_STATIC"),
        e.get("OSV_HELLO_STATIC_PIE"),
        e.get("OSV_CLOCK"),
    ];
    tailor_ok(&[
        "syscalls",
        hellos[0],
        hellos[1],
        hellos[2],
        "-o",
        list.to_str().unwrap(),
    ]);
    let names = std::fs::read_to_string(&list).unwrap();
    // OSv's own hand-written list for this program: all of it is in tailor's.
    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/osv-data/examples/hello_world_static.syscalls.x64");
    let example = std::fs::read_to_string(&example)
        .or_else(|_| {
            std::fs::read_to_string(
                "/work/shared/osv-data/examples/hello_world_static.syscalls.x64",
            )
        })
        .expect("OSv's example list");
    let ours: Vec<&str> = names.lines().collect();
    let theirs: Vec<&str> = example.split_whitespace().collect();
    let missing: Vec<&&str> = theirs.iter().filter(|n| !ours.contains(n)).collect();
    assert!(
        missing.is_empty(),
        "OSv's list has {missing:?} that tailor's lacks"
    );
    eprintln!(
        "tailor's list: {} names; OSv's hand-written one: {}; tailor adds {:?}",
        ours.len(),
        theirs.len(),
        ours.iter()
            .filter(|n| !theirs.contains(n))
            .collect::<Vec<_>>()
    );

    // OSv's build with the list, in a copy of the tree (scripts/osv-variant.sh).
    let v = common::osv::variant(
        "syscalls",
        &[&format!("conf_syscalls_list_file={}", list.display())],
    );
    let tree = v.path("VARIANT_DIR");
    let out = tree.join("build/release.x64");
    let config = std::fs::read_to_string(out.join("gen/include/osv/syscalls_config.h")).unwrap();
    assert_eq!(
        config
            .lines()
            .filter(|l| l.starts_with("#define CONF_syscall_"))
            .count(),
        ours.len(),
        "OSv's build keeps exactly tailor's list"
    );
    let full = e.path("OSV_KERNEL");
    let tailored = out.join("loader-stripped.elf");
    for (cmd, host_path) in [
        ("/hello-static-non-pie", hellos[0]),
        ("/hello-static-pie", hellos[1]),
        ("/clock", hellos[2]),
    ] {
        let a = boot(&full, &e.path("OSV_USR_IMG"), cmd, BOOT_TIMEOUT);
        let b = boot(&tailored, &out.join("usr.img"), cmd, BOOT_TIMEOUT);
        assert!(a.ok && b.ok, "{cmd}: {}\n{}", a.console, b.console);
        // What the program prints on the host, on both kernels; and the same ENOSYS notes.
        let host = run(&mut Command::new(host_path));
        let expected: Vec<String> = String::from_utf8_lossy(&host.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        for (kernel, console) in [("full", &a.console), ("syscall-tailored", &b.console)] {
            assert!(
                common::osv::contains_lines(console, &expected),
                "{cmd} on the {kernel} kernel: {console}"
            );
        }
        // An ENOSYS note on the tailored kernel only for calls OSv does not implement at all
        // (the full kernel's notes are the same; QEMU's KVM probe can garble console lines).
        for note in unimplemented(&b.console) {
            let n: u32 = note
                .rsplit(' ')
                .next()
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0);
            assert!(
                tailor_core::analysis::syscalls::names::osv_name(
                    tailor_core::analysis::syscalls::Arch::X86_64,
                    n
                )
                .is_none(),
                "{cmd}: the tailored kernel lacks a call OSv implements: {note}"
            );
        }
    }
    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    eprintln!(
        "stripped kernel: full {} bytes, syscall-tailored {} bytes",
        size(&full),
        size(&tailored)
    );
    assert!(size(&tailored) < size(&full));
}
