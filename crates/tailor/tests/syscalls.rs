//! `tailor syscalls` against reality: its name tables against the kernel headers and OSv's
//! source, its sets against what `strace -f -qq -c` (and `qemu-aarch64-static -strace`) sees
//! real static programs do (OSv's native-example hello, lua and the sqlite3 shell against glibc
//! and musl, Debian's busybox-static: scripts/static-build.sh), dynamic programs' own system
//! calls, numbers it cannot recover, and bad input.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::e2e::build_script;
use common::{gcc, need_tool, run, tailor, write};
use tailor_core::analysis::syscalls::names;
use tailor_core::analysis::syscalls::Arch;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn osv_src() -> PathBuf {
    let p = repo().join("../shared/osv-src");
    if p.is_dir() {
        p
    } else {
        PathBuf::from("/work/shared/osv-src")
    }
}

/// `NUMBER NAME` lines of one of the table scripts.
fn script_table(script: &str, args: &[&str]) -> Vec<(u32, String)> {
    need_tool("cpp", "cpp");
    let out = run(Command::new("bash")
        .arg(repo().join("scripts").join(script))
        .args(args));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let (n, name) = l.split_once(' ').expect("NUMBER NAME");
            (n.parse().expect("a number"), name.to_string())
        })
        .collect()
}

fn compiled(table: &[(u32, &str)]) -> Vec<(u32, String)> {
    table.iter().map(|&(n, s)| (n, s.to_string())).collect()
}

#[test]
fn linux_tables_are_the_kernel_headers() {
    for (arch, name, header, package) in [
        (
            Arch::X86_64,
            "x86_64",
            "/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
            "linux-libc-dev",
        ),
        (
            Arch::Aarch64,
            "aarch64",
            "/usr/aarch64-linux-gnu/include/asm/unistd.h",
            "linux-libc-dev-arm64-cross",
        ),
    ] {
        assert!(
            Path::new(header).is_file(),
            "{header} missing: run scripts/setup.sh (Debian package {package})"
        );
        let headers = script_table("syscall-tables.sh", &[name]);
        assert!(
            headers.len() > 250,
            "{name}: only {} entries",
            headers.len()
        );
        assert_eq!(
            compiled(names::linux_table(arch)),
            headers,
            "{name}: the compiled table differs from {header} (rewrite \
             crates/tailor-core/src/analysis/syscalls/linux_tables.rs with \
             scripts/syscall-tables.sh {name} --rust NAME)"
        );
    }
}

#[test]
fn osv_tables_are_osv_syscalls_cc_in() {
    let tarball = osv_src().join("osv.tar.xz");
    assert!(tarball.is_file(), "{} missing", tarball.display());
    let t = tarball.display().to_string();
    for (arch, name) in [(Arch::X86_64, "x64"), (Arch::Aarch64, "aarch64")] {
        let osv = script_table("osv-syscall-table.sh", &[name, &t]);
        assert!(osv.len() > 100, "{name}: only {} entries", osv.len());
        assert_eq!(compiled(names::osv_table(arch)), osv, "{name}");
        // Every OSv entry names the Linux call of the same number, or the same call spelled
        // with OSv's prefixes.
        for (n, osv_name) in &osv {
            let linux = names::linux_name(arch, *n).expect("a Linux number");
            let bare = osv_name
                .trim_start_matches("sys_")
                .trim_start_matches("long_");
            assert!(
                linux == bare
                    || linux == format!("new{bare}")
                    || bare.strip_suffix('4') == Some(linux),
                "{name}: OSv's {osv_name} is Linux's {linux} ({n})"
            );
        }
    }
    // The names OSv's own example list uses are all in the table.
    let example = std::fs::read_to_string(
        osv_src().join("../osv-data/examples/hello_world_static.syscalls.x64"),
    )
    .expect("OSv's example list");
    for name in example.split_whitespace() {
        assert!(
            names::osv_table(Arch::X86_64)
                .iter()
                .any(|&(_, n)| n == name),
            "{name}"
        );
    }
}

/// What `tailor syscalls --names linux --format json` says of one program.
struct Found {
    names: BTreeSet<String>,
    unknown: usize,
    complete: bool,
    status: i32,
}

fn tailor_syscalls(program: &Path, extra: &[&str]) -> Found {
    let out = tailor()
        .arg("syscalls")
        .arg(program)
        .args(["--names", "linux", "--format", "json"])
        .args(extra)
        .output()
        .expect("running tailor");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let status = out.status.code().expect("an exit code");
    assert!(
        status == 0 || status == 1,
        "{}: {stderr}",
        program.display()
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    Found {
        names: v["list"]
            .as_array()
            .expect("list")
            .iter()
            .map(|n| n.as_str().expect("a name").to_string())
            .collect(),
        unknown: v["files"]
            .as_array()
            .expect("files")
            .iter()
            .map(|f| f["unknown"].as_array().map_or(0, Vec::len))
            .sum(),
        complete: v["complete"].as_bool().expect("complete"),
        status,
    }
}

/// The system calls `strace -f -qq -c` counts while `cmd` runs (in `dir`).
fn strace(dir: &Path, cmd: &[&str], stdin: Option<&Path>) -> BTreeSet<String> {
    let strace = need_tool("strace", "strace");
    let log = dir.join(format!("strace-{}.txt", std::process::id()));
    let mut c = Command::new(strace);
    c.current_dir(dir)
        .args(["-f", "-qq", "-c", "-o"])
        .arg(&log)
        .args(cmd)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    match stdin {
        Some(f) => c.stdin(std::fs::File::open(f).expect("stdin file")),
        None => c.stdin(std::process::Stdio::null()),
    };
    let status = c.status().expect("running strace");
    assert!(status.code().is_some(), "{cmd:?} was killed");
    let text = std::fs::read_to_string(&log).expect("strace's summary");
    std::fs::remove_file(&log).ok();
    // `% time seconds usecs/call calls [errors] syscall`, between dashed lines, then `total`.
    text.lines()
        .filter(|l| !l.starts_with('-') && !l.starts_with('%'))
        .filter_map(|l| l.split_whitespace().last())
        .filter(|n| *n != "total")
        .map(str::to_string)
        .collect()
}

/// One program's row of the comparison.
fn compare(name: &str, program: &Path, observed: &BTreeSet<String>, found: &Found) -> String {
    let missing: Vec<&String> = observed.difference(&found.names).collect();
    assert!(
        missing.is_empty(),
        "{name}: strace saw {missing:?} that tailor syscalls does not list ({})",
        program.display()
    );
    assert!(!observed.is_empty(), "{name}: strace saw nothing");
    let extra = found.names.difference(observed).count();
    format!(
        "{name:<22} tailor {:>3}  strace {:>3}  missing 0  tailor-only {:>3}  unknown sites {}",
        found.names.len(),
        observed.len(),
        extra,
        found.unknown
    )
}

#[test]
fn static_programs_make_no_system_call_tailor_does_not_list() {
    let e = build_script("static-build.sh");
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut rows = Vec::new();

    for key in ["HELLO_STATIC_PIE", "HELLO_STATIC"] {
        let p = e.path(key);
        let seen = strace(d, &[p.to_str().unwrap()], None);
        let found = tailor_syscalls(&p, &[]);
        assert!(found.complete && found.status == 0, "{key}: incomplete");
        rows.push(compare(key, &p, &seen, &found));
    }
    for key in ["LUA_GLIBC", "LUA_MUSL"] {
        let p = e.path(key);
        let script = e.get("LUA_SCRIPT");
        let seen = strace(d, &[p.to_str().unwrap(), script], None);
        let found = tailor_syscalls(&p, &[]);
        assert!(found.complete && found.status == 0, "{key}: incomplete");
        rows.push(compare(key, &p, &seen, &found));
    }
    for key in ["SQLITE_GLIBC", "SQLITE_MUSL"] {
        let p = e.path(key);
        let exe = p.to_str().unwrap();
        let db = d.join(format!("{key}.db"));
        let db = db.to_str().unwrap();
        let _ = std::fs::remove_file(db);
        let mut seen = strace(d, &[exe, "-batch", db], Some(&e.path("SQL_SCRIPT")));
        seen.extend(strace(d, &[exe, "-batch", db, ".dump"], None));
        seen.extend(strace(
            d,
            &[exe, "-batch", db, "SELECT * FROM no_such_table"],
            None,
        ));
        seen.extend(strace(d, &[exe, "-version"], None));
        let found = tailor_syscalls(&p, &[]);
        assert!(found.complete && found.status == 0, "{key}: incomplete");
        rows.push(compare(key, &p, &seen, &found));
    }
    // busybox: applets run by its own shell, every command found as a link to busybox.
    let bb = e.path("BUSYBOX");
    let bin = d.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let list = run(Command::new(&bb).arg("--list"));
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        let _ = std::os::unix::fs::symlink(&bb, bin.join(applet));
    }
    let script = write(
        d,
        "busybox-test.sh",
        "set -e\nmkdir -p t/a/b && cd t\necho 'hello world' > a/f\ncat a/f | tr a-z A-Z | \
         wc -c\nsha256sum a/f && md5sum a/f\nls -la a > /dev/null\nfind . -name f\n\
         cp a/f a/g && mv a/g a/h && ln -s f a/l && readlink a/l\ntar cf x.tar a && tar tf x.tar\n\
         gzip -k a/f && gunzip -c a/f.gz\nsort -r a/f a/h | uniq\nsed -e s/hello/bye/ a/f\n\
         awk '{print $2}' a/f\ndate -u -d @0 +%Y\nid -u > /dev/null\nuname -m > /dev/null\n\
         sleep 0.01\nps > /dev/null 2>&1 || true\ndf / > /dev/null\nchmod 600 a/f && stat -c %a a/f\n\
         touch -d @0 a/f && du -s a > /dev/null\nrm -r a x.tar\necho done\n",
    );
    let path = format!("PATH={}", bin.display());
    // busybox's own env: nothing but busybox runs.
    let seen_bb = strace(
        d,
        &[
            bb.to_str().unwrap(),
            "env",
            "-i",
            &path,
            "sh",
            script.to_str().unwrap(),
        ],
        None,
    );
    let found = tailor_syscalls(&bb, &["--allow-unknown"]);
    assert_eq!(found.status, 0, "--allow-unknown exits 0");
    rows.push(compare("BUSYBOX", &bb, &seen_bb, &found));
    eprintln!("{}", rows.join("\n"));
}
