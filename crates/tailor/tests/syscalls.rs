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
    // The first execve is strace's own child starting the program, not the program's code.
    text.lines()
        .filter(|l| !l.starts_with('-') && !l.starts_with('%'))
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let name = *fields.last()?;
            let calls: u64 = fields.get(3)?.parse().ok()?;
            (name != "total" && !(name == "execve" && calls == 1)).then(|| name.to_string())
        })
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

/// stderr of a failed run: one line naming `what`, exit 2, nothing on stdout.
fn bad(args: &[&str], what: &str) -> String {
    let out = tailor().args(args).output().expect("running tailor");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
    assert!(stderr.contains(what), "{args:?}: {stderr} names {what}");
    assert!(out.stdout.is_empty(), "{args:?}: no output");
    stderr
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = write(d, "notes.txt", "not a program\n");
    bad(&["syscalls", text.to_str().unwrap()], "not an ELF file");
    let empty = write(d, "empty", "");
    bad(&["syscalls", empty.to_str().unwrap()], "not an ELF file");
    bad(
        &["syscalls", d.join("missing").to_str().unwrap()],
        "missing",
    );

    write(
        d,
        "hello.c",
        "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n",
    );
    gcc(d, &["-static", "-o", "hello", "hello.c"]);
    gcc(d, &["-c", "-o", "hello.o", "hello.c"]);
    gcc(d, &["-m32", "-o", "hello32", "hello.c"]);
    let elf = std::fs::read(d.join("hello")).unwrap();
    // Cut in the code: a section runs past the end of the file.
    std::fs::write(d.join("cut"), &elf[..elf.len() / 3]).unwrap();
    let e = bad(&["syscalls", d.join("cut").to_str().unwrap()], "cut");
    assert!(e.contains("truncated"), "{e}");
    // Cut in the ELF header.
    std::fs::write(d.join("cut-header"), &elf[..40]).unwrap();
    bad(
        &["syscalls", d.join("cut-header").to_str().unwrap()],
        "truncated",
    );
    let e = bad(
        &["syscalls", d.join("hello.o").to_str().unwrap()],
        "hello.o",
    );
    assert!(e.contains("relocatable"), "{e}");
    let e = bad(
        &["syscalls", d.join("hello32").to_str().unwrap()],
        "hello32",
    );
    assert!(e.contains("32-bit"), "{e}");
    // Another machine: a RISC-V program, assembled and linked by its own binutils.
    need_tool("riscv64-linux-gnu-as", "binutils-riscv64-linux-gnu");
    write(d, "r.s", ".globl _start\n_start:\n li a7, 93\n ecall\n");
    run(Command::new("riscv64-linux-gnu-as")
        .current_dir(d)
        .args(["-o", "r.o", "r.s"]));
    run(Command::new("riscv64-linux-gnu-ld")
        .current_dir(d)
        .args(["-o", "riscv", "r.o"]));
    let e = bad(&["syscalls", d.join("riscv").to_str().unwrap()], "riscv");
    assert!(e.contains("RISC-V"), "{e}");
    // Garbage code in a valid file decodes without a panic (the file's bytes reversed in its
    // code section keep the headers).
    let mut scrambled = elf.clone();
    let n = scrambled.len();
    scrambled[0x1000..n / 2].reverse();
    std::fs::write(d.join("scrambled"), &scrambled).unwrap();
    let out = tailor()
        .args(["syscalls", "--allow-unknown"])
        .arg(d.join("scrambled"))
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_unrecoverable_number_is_named_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "dyn.c",
        "#include <stdlib.h>\n#include <unistd.h>\nint main(int c, char **v) {\n  \
         return (int)syscall(atoi(v[1]));\n}\n",
    );
    gcc(d, &["-O2", "-static", "-o", "anynumber", "dyn.c"]);
    let out = tailor()
        .args(["syscalls", "-o"])
        .arg(d.join("list"))
        .arg(d.join("anynumber"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not identified"), "{stderr}");
    // Where: the wrapper's `syscall` instruction, and why: main's call of atoi.
    assert!(stderr.contains("syscall+0x"), "{stderr}");
    assert!(stderr.contains("main+0x"), "{stderr}");
    assert!(
        !d.join("list").exists(),
        "an incomplete list is not written"
    );
    let out = tailor()
        .args(["syscalls", "--allow-unknown", "-o"])
        .arg(d.join("list"))
        .arg(d.join("anynumber"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(d.join("list").is_file());
}

#[test]
fn list_output_is_atomic_and_stable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "h.c",
        "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n",
    );
    need_tool("musl-gcc", "musl-tools");
    run(Command::new("musl-gcc")
        .current_dir(d)
        .args(["-static", "-o", "h", "h.c"]));
    let h = d.join("h");
    let stdout = common::tailor_ok(&["syscalls", h.to_str().unwrap()]);
    let list = d.join("h.syscalls");
    common::tailor_ok(&[
        "syscalls",
        h.to_str().unwrap(),
        "-o",
        list.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_to_string(&list).unwrap(), stdout);
    let mtime = std::fs::metadata(&list).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    common::tailor_ok(&[
        "syscalls",
        h.to_str().unwrap(),
        "-o",
        list.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::metadata(&list).unwrap().modified().unwrap(), mtime);
    // OSv spelling by default: every line is an entry of OSv's table, and the program's
    // strace-observed calls that OSv implements are there in OSv's spelling.
    let seen = strace(d, &[h.to_str().unwrap()], None);
    for line in stdout.lines() {
        assert!(
            names::osv_table(Arch::X86_64)
                .iter()
                .any(|&(_, n)| n == line),
            "{line}"
        );
    }
    for call in &seen {
        let n = names::linux_table(Arch::X86_64)
            .iter()
            .find(|&&(_, name)| name == call)
            .map(|&(n, _)| n)
            .expect("a Linux name");
        if let Some(osv) = names::osv_name(Arch::X86_64, n) {
            assert!(
                stdout.lines().any(|l| l == osv),
                "{call} as {osv}: {stdout}"
            );
        }
    }
}

#[test]
fn dynamic_programs_own_system_calls() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "own.c",
        "#include <unistd.h>\n#include <sys/syscall.h>\nint main(void) {\n  \
         long r = syscall(SYS_getppid);\n  long u;\n  \
         __asm__ volatile (\"syscall\" : \"=a\"(u) : \"0\"(SYS_getuid) : \"rcx\", \"r11\", \"memory\");\n  \
         return (int)(r + u) & 0;\n}\n",
    );
    gcc(d, &["-O2", "-o", "own", "own.c"]);
    let found = tailor_syscalls(&d.join("own"), &[]);
    assert!(found.complete, "complete");
    let seen = strace(d, &[d.join("own").to_str().unwrap()], None);
    // The program's own calls (the rest strace sees are the dynamic linker's and libc's).
    for call in ["getppid", "getuid"] {
        assert!(seen.contains(call), "strace saw {call}");
    }
    assert_eq!(
        found.names,
        ["getppid", "getuid"]
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>()
    );
}

/// An AArch64 static program (assembled and linked by the AArch64 binutils: Debian's AArch64
/// gcc conflicts with gcc-multilib): a libc-style wrapper taking the number as its first
/// argument, called through two levels, a function called through a pointer, a number in a
/// callee-saved register across a call; run and traced by qemu-aarch64-static.
#[test]
fn aarch64_program_against_qemu_strace() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    need_tool("aarch64-linux-gnu-as", "binutils-aarch64-linux-gnu");
    let qemu = need_tool("qemu-aarch64-static", "qemu-user-static");
    write(
        d,
        "a.s",
        "\
        .text
        .globl _start
        .type _start, %function
_start:
        mov x0, #1
        adr x1, msg
        mov x2, #6
        bl write1
        mov x19, #172          // getpid, kept across the call
        bl nothing
        mov x8, x19
        svc #0
        adr x9, by_pointer
        blr x9
        mov x0, #0
        bl exit1
        .size _start, . - _start
        .type write1, %function
write1:                        // write(fd, buf, len) through a generic wrapper
        mov x3, x2
        mov x2, x1
        mov x1, x0
        mov x0, #64
        b sys
        .size write1, . - write1
        .type sys, %function
sys:                           // sys(nr, a, b, c), as libc's syscall()
        mov x8, x0
        mov x0, x1
        mov x1, x2
        mov x2, x3
        svc #0
        ret
        .size sys, . - sys
        .type exit1, %function
exit1:
        mov x1, x0
        mov x0, #93
        b sys
        .size exit1, . - exit1
        .type nothing, %function
nothing:
        ret
        .size nothing, . - nothing
        .type by_pointer, %function
by_pointer:
        mov w8, #174           // getuid
        svc #0
        ret
        .size by_pointer, . - by_pointer
        .type unreached, %function
unreached:
        mov x8, #57            // close: never called
        svc #0
        ret
        .size unreached, . - unreached
msg:    .ascii \"hello\\n\"
",
    );
    run(Command::new("aarch64-linux-gnu-as")
        .current_dir(d)
        .args(["-o", "a.o", "a.s"]));
    run(Command::new("aarch64-linux-gnu-ld")
        .current_dir(d)
        .args(["-o", "a", "a.o"]));
    let out = run(Command::new(&qemu).arg("-strace").arg(d.join("a")));
    let trace = String::from_utf8_lossy(&out.stderr);
    // `PID name(args) = result`
    let seen: BTreeSet<String> = trace
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter_map(|w| w.split('(').next())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let found = tailor_syscalls(&d.join("a"), &[]);
    assert!(found.complete, "complete");
    for call in &seen {
        assert!(
            found.names.contains(call),
            "qemu saw {call}: {:?}",
            found.names
        );
    }
    assert_eq!(
        found.names, seen,
        "what runs is all the reachable code makes"
    );
}
