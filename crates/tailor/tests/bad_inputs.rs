//! A generated corpus of bad inputs — an ELF truncated at every section boundary, bogus
//! offsets and counts, a zero-length file, a directory, a FIFO, a symlink loop, an unreadable
//! file, manifests with each kind of malformed line — each gives one clear line on stderr
//! naming the file, exit code 2, never a panic, and no output file.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Runs tailor and asserts: exit 2, exactly one stderr line, naming `names`.
fn assert_clean_error(args: &[&str], names: &str) -> String {
    let out = tailor().args(args).output().expect("running tailor");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    check_clean_error(args, out.status, &stderr, names);
    stderr
}

/// Exit 2, one `tailor: ` line naming `names`, no panic.
fn check_clean_error(args: &[&str], status: std::process::ExitStatus, stderr: &str, names: &str) {
    assert_eq!(
        status.code(),
        Some(2),
        "{args:?}: status {status}, stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {stderr}"
    );
    assert!(stderr.starts_with("tailor: "), "{stderr}");
    assert!(
        stderr.contains(names),
        "{args:?}: error does not name {names:?}: {stderr}"
    );
}

fn compiled_library(dir: &Path) -> Vec<u8> {
    common::libfix::build_fixture(dir, &[]);
    std::fs::read(dir.join("libfix.so")).unwrap()
}

struct Sections {
    shoff: usize,
    /// (index, sh_type, sh_offset, sh_size) of every section header.
    headers: Vec<(usize, u32, u64, u64)>,
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes(b[o..o + 2].try_into().unwrap())
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

/// The section headers of a 64-bit little-endian ELF file.
fn sections(b: &[u8]) -> Sections {
    let shoff = u64_at(b, 0x28) as usize;
    let shnum = u16_at(b, 0x3c) as usize;
    let headers = (0..shnum)
        .map(|i| {
            let h = shoff + i * 64;
            (i, u32_at(b, h + 4), u64_at(b, h + 24), u64_at(b, h + 32))
        })
        .collect();
    Sections { shoff, headers }
}

fn header_of(s: &Sections, sh_type: u32) -> usize {
    let (i, ..) = s
        .headers
        .iter()
        .find(|h| h.1 == sh_type)
        .expect("section type present");
    s.shoff + i * 64
}

fn put(b: &mut [u8], at: usize, value: &[u8]) {
    b[at..at + value.len()].copy_from_slice(value);
}

#[test]
fn truncated_at_every_section_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let elf = compiled_library(dir.path());
    let good = dir.path().join("libfix.so").display().to_string();
    let s = sections(&elf);
    let mut cuts: Vec<usize> = s
        .headers
        .iter()
        .flat_map(|h| [h.2 as usize, (h.2 + h.3) as usize])
        .chain([0, 3, 15, 16, 63, s.shoff, s.shoff + 64, elf.len() - 1])
        .filter(|&c| c < elf.len())
        .collect();
    cuts.sort();
    cuts.dedup();
    assert!(cuts.len() > 20, "too few cut points");
    for cut in cuts {
        let path = dir.path().join(format!("cut{cut}.so"));
        std::fs::write(&path, &elf[..cut]).unwrap();
        let p = path.display().to_string();
        assert_clean_error(&["needs", &p], &p);
        assert_clean_error(&["exports", &p], &p);
        assert_diff_errors(&good, &p);
    }
}

/// `tailor diff` with `bad` as the old image and as the new one: one line naming it, exit 2.
fn assert_diff_errors(good: &str, bad: &str) {
    for format in ["text", "json", "html"] {
        assert_clean_error(&["diff", bad, good, "--format", format], bad);
        assert_clean_error(&["diff", good, bad, "--format", format], bad);
    }
}

#[test]
fn bogus_offsets_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let elf = compiled_library(dir.path());
    let s = sections(&elf);
    let huge = 0x7fff_ffff_0000u64.to_le_bytes();
    let dynsym = header_of(&s, 11);
    let verneed = header_of(&s, 0x6fff_fffe);
    let versym = header_of(&s, 0x6fff_ffff);
    let dynamic = header_of(&s, 6);
    let rela = header_of(&s, 4);
    let dynstr_index = u32_at(&elf, dynsym + 40) as usize;
    let dynstr = s.shoff + dynstr_index * 64;
    let dynsym_offset = u64_at(&elf, dynsym + 24) as usize;
    let verneed_offset = u64_at(&elf, verneed + 24) as usize;
    let cases: Vec<(&str, usize, Vec<u8>)> = vec![
        ("e_shoff past end", 0x28, huge.to_vec()),
        ("e_shnum too large", 0x3c, 0xfff0u16.to_le_bytes().to_vec()),
        ("e_shentsize wrong", 0x3a, 7u16.to_le_bytes().to_vec()),
        (
            "e_shstrndx out of range",
            0x3e,
            0xff00u16.to_le_bytes().to_vec(),
        ),
        ("dynsym offset", dynsym + 24, huge.to_vec()),
        ("dynsym size", dynsym + 32, huge.to_vec()),
        ("dynsym link", dynsym + 40, 999u32.to_le_bytes().to_vec()),
        ("dynstr offset", dynstr + 24, huge.to_vec()),
        ("versym size", versym + 32, huge.to_vec()),
        ("verneed offset", verneed + 24, huge.to_vec()),
        (
            "verneed aux",
            verneed_offset + 8,
            0x00ff_fff0u32.to_le_bytes().to_vec(),
        ),
        ("dynamic size", dynamic + 32, huge.to_vec()),
        ("rela size", rela + 32, huge.to_vec()),
        (
            "symbol name offset",
            dynsym_offset + 24,
            0xffff_fff0u32.to_le_bytes().to_vec(),
        ),
    ];
    for (what, at, value) in cases {
        let mut bad = elf.clone();
        put(&mut bad, at, &value);
        let path = dir.path().join(format!("{}.so", what.replace(' ', "_")));
        std::fs::write(&path, &bad).unwrap();
        let p = path.display().to_string();
        let err = assert_clean_error(&["needs", &p], &p);
        eprintln!("{what}: {err}");
        let good = dir.path().join("libfix.so").display().to_string();
        assert_diff_errors(&good, &p);
    }
}

fn write_manifest(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn special_files_and_links() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let elf = compiled_library(d);
    let empty = write_manifest(d, "empty.so", "");
    assert_clean_error(&["needs", &empty], &empty);
    let text = write_manifest(d, "notes.txt", "hello\n");
    assert_clean_error(&["needs", &text], "not an ELF file");
    let sub = d.join("subdir");
    std::fs::create_dir(&sub).unwrap();
    let subs = sub.display().to_string();
    assert_clean_error(
        &[
            "needs",
            &d.join("prog").display().to_string(),
            "--provider",
            &subs,
        ],
        &subs,
    );
    assert_clean_error(&["needs", "--manifest", &subs], &subs);
    assert_clean_error(&["needs", "--list", &subs], &subs);
    let fifo = d.join("fifo");
    run(Command::new("mkfifo").arg(&fifo));
    let fifos = fifo.display().to_string();
    assert_clean_error(&["needs", &fifos], &fifos);
    let good = d.join("libfix.so").display().to_string();
    let missing = d.join("missing.so").display().to_string();
    for bad in [&fifos, &subs, &empty, &text, &missing] {
        assert_diff_errors(&good, bad);
    }
    // In a directory walk a FIFO is skipped, never opened (opening would block).
    let walk = tailor_ok(&["needs", &d.display().to_string()]);
    assert!(walk.contains("non-ELF skipped"), "{walk}");
    let a = d.join("loop_a");
    let b = d.join("loop_b");
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let a_s = a.display().to_string();
    assert_clean_error(&["needs", &a_s], &a_s);
    let walk_dir = d.join("walk");
    std::fs::create_dir(&walk_dir).unwrap();
    std::os::unix::fs::symlink(&a, walk_dir.join("in_walk")).unwrap();
    let w = walk_dir.display().to_string();
    assert_clean_error(&["needs", &w], "symlink loop");
    let missing = d.join("missing.so").display().to_string();
    assert_clean_error(&["needs", &missing], &missing);
    // A directory cycle (like /usr/bin/X11 -> /usr/bin) is walked once, not an error.
    let cyc = d.join("cyc");
    std::fs::create_dir(&cyc).unwrap();
    std::fs::write(cyc.join("libfix.so"), &elf).unwrap();
    std::os::unix::fs::symlink(&cyc, cyc.join("again")).unwrap();
    let out = tailor_ok(&["needs", "--format", "json", &cyc.display().to_string()]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["summary"]["elf_files"], 1);
}

#[test]
fn unreadable_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let elf = compiled_library(d);
    let path = d.join("secret.so");
    std::fs::write(&path, elf).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let p = path.display().to_string();
    // root reads anything: drop to `nobody` for this check.
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let out = if is_root {
        let setpriv = need_tool("setpriv", "util-linux");
        Command::new(setpriv)
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                env!("CARGO_BIN_EXE_tailor"),
                "needs",
                &p,
            ])
            .output()
            .unwrap()
    } else {
        tailor().args(["needs", &p]).output().unwrap()
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&p) && stderr.contains("ermission denied"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1);
}

#[test]
fn malformed_manifest_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    common::libfix::build_fixture(d, &[]);
    let cases = [
        ("no separator", "/prog:prog\n"),
        ("undefined variable", "/prog: %(nowhere)s/prog\n"),
        ("unterminated %(", "/prog: %(x\n"),
        ("unterminated ${", "/prog: ${X/prog\n"),
        ("stray percent", "/prog: 50%prog\n"),
        ("** on one side", "/lib/**: lib\n"),
        ("& without /&", "/a/&/prog: prog\n"),
        ("empty guest", ": prog\n"),
        ("missing host file", "/nothing: nothing.so\n"),
    ];
    for (i, (what, body)) in cases.iter().enumerate() {
        let m = write_manifest(
            d,
            &format!("bad{i}.manifest"),
            &format!("# {what}\n[manifest]\n{body}"),
        );
        let err = assert_clean_error(&["needs", "--manifest", &m], &format!("{m}:3: "));
        eprintln!("{what}: {err}");
    }
    let undefined = write_manifest(d, "undef.manifest", "/prog: %(dir)s/prog\n");
    let err = assert_clean_error(&["needs", "--manifest", &undefined], "dir");
    assert!(err.contains("-D dir=VALUE"), "{err}");
    // Defined, it resolves.
    let ok = tailor_ok(&[
        "needs",
        "--manifest",
        &undefined,
        "-D",
        &format!("dir={}", d.display()),
    ]);
    assert!(ok.contains("fix_versioned"), "{ok}");
}

#[test]
fn failed_runs_leave_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    common::libfix::build_fixture(d, &[]);
    let bad = write_manifest(d, "bad.so", "\x7fELF garbage");
    let out: PathBuf = d.join("out.map");
    let o = out.display().to_string();
    assert_clean_error(
        &[
            "version-script",
            "--provider",
            &bad,
            &d.join("prog").display().to_string(),
            "-o",
            &o,
        ],
        &bad,
    );
    assert!(!out.exists(), "output written despite the error");
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tailor-"))
        .collect();
    assert!(leftovers.is_empty());
}

/// Runs tailor in `dir` with a deadline (a FIFO that is opened blocks forever) and asserts a
/// clean error naming `names`: exit 2, one `tailor: ` line, no panic.
fn clean_error_in(dir: &Path, args: &[&str], names: &str) -> String {
    use std::io::Read;
    let mut child = tailor()
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running tailor");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} hangs (opened something it should only have stat'ed?)");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    check_clean_error(args, status, &stderr, names);
    stderr
}

/// Every place a command takes a file, with `p` in it (the fixture's libfix.so, prog and
/// libfix.o in the working directory).
fn file_places(p: &str) -> Vec<Vec<&str>> {
    let link = ["--", "gcc", "-shared", "-o", "libfix.so", "libfix.o"];
    let mut v: Vec<Vec<&str>> = vec![
        vec!["needs", "prog", "--provider", p],
        vec!["needs", "--manifest", p],
        vec!["needs", "--list", p],
        vec!["needs", "prog", "--exports", p],
        vec!["version-script", "prog", "--provider", p],
        vec![
            "version-script",
            "prog",
            "--provider",
            "libfix.so",
            "--keep",
            p,
        ],
        vec!["verify", "--provider", p, "prog"],
        vec!["verify", "--provider", "libfix.so", "prog", "--generic", p],
        vec!["verify", "--provider", "libfix.so", "prog", "--keep", p],
        vec!["gc", "--", "gcc", "-shared", "-o", "x.so", "libfix.o", p],
        vec![
            "gc",
            "--version-script",
            p,
            "--",
            "gcc",
            "-shared",
            "-o",
            "x.so",
            "libfix.o",
        ],
        vec!["exports", p],
    ];
    v.push([&["link", "prog", "--keep", p][..], &link].concat());
    v.push(vec![
        "link",
        "prog",
        "--",
        "gcc",
        "-shared",
        "-o",
        "libfix.so",
        "libfix.o",
        p,
    ]);
    v
}

#[test]
fn non_regular_files_are_named_and_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    compiled_library(d);
    let fifo = d.join("fifo");
    run(Command::new("mkfifo").arg(&fifo));
    let _socket = std::os::unix::net::UnixListener::bind(d.join("socket")).unwrap();
    std::fs::create_dir(d.join("subdir")).unwrap();
    std::os::unix::fs::symlink("loop_b", d.join("loop_a")).unwrap();
    std::os::unix::fs::symlink("loop_a", d.join("loop_b")).unwrap();
    let cases = [
        ("fifo", "fifo: a FIFO (named pipe), not a regular file"),
        ("socket", "socket: a socket, not a regular file"),
        (
            "/dev/null",
            "/dev/null: a character device, not a regular file",
        ),
        ("subdir", "subdir: a directory, not a regular file"),
        ("loop_a", "loop_a: symlink loop"),
    ];
    for (path, says) in cases {
        // A consumer named on the command line (a directory there is walked).
        if path != "subdir" {
            clean_error_in(d, &["needs", path], says);
            let link = [
                "link",
                path,
                "--",
                "gcc",
                "-shared",
                "-o",
                "libfix.so",
                "libfix.o",
            ];
            clean_error_in(d, &link, says);
        }
        for args in file_places(path) {
            let err = clean_error_in(d, &args, path);
            eprintln!("{args:?}: {err}");
            assert!(
                err.contains(says) || err.contains(&format!("{}: ", path)),
                "{args:?}: {err}"
            );
        }
    }
}

#[test]
fn empty_short_and_truncated_files_named_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let elf = compiled_library(d);
    std::fs::write(d.join("empty.so"), b"").unwrap();
    std::fs::write(d.join("magic.so"), b"\x7fELF").unwrap();
    std::fs::write(d.join("cut.so"), &elf[..elf.len() / 2]).unwrap();
    let half = elf.len() / 2;
    let cases = [
        (
            "empty.so",
            "empty.so: not an ELF file (0 bytes)".to_string(),
        ),
        (
            "magic.so",
            "magic.so: not an ELF file (4 bytes)".to_string(),
        ),
        (
            "cut.so",
            format!("cut.so: truncated ELF file ({half} bytes; its section headers end at byte"),
        ),
    ];
    for (path, says) in &cases {
        let link = [
            "link",
            path,
            "--",
            "gcc",
            "-shared",
            "-o",
            "libfix.so",
            "libfix.o",
        ];
        let forms: Vec<Vec<&str>> = vec![
            vec!["needs", path],
            vec!["needs", "prog", "--provider", path],
            vec!["exports", path],
            vec!["version-script", path, "--provider", "libfix.so"],
            vec!["version-script", "prog", "--provider", path],
            vec!["verify", "--provider", "libfix.so", path],
            vec!["verify", "--provider", path, "prog"],
            link.to_vec(),
        ];
        for args in forms {
            clean_error_in(d, &args, says);
        }
    }
}

/// `--exports` and `--keep` take one value each, repeated; a directory stands for its files;
/// a file an option cannot use is reported with the option.
#[test]
fn symbol_list_options_take_one_value_each() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    compiled_library(d);
    let p = |n: &str| d.join(n).display().to_string();
    write_manifest(d, "list.txt", "fix_plain\nfix_counter # data\n");
    write_manifest(d, "list2.txt", "fix_table\n");
    std::fs::create_dir(d.join("lists")).unwrap();
    std::fs::create_dir(d.join("lists/x64")).unwrap();
    std::fs::copy(d.join("list.txt"), d.join("lists/a.symbols")).unwrap();
    std::fs::copy(d.join("list2.txt"), d.join("lists/b.symbols")).unwrap();
    write_manifest(d, "lists/x64/c.symbols", "fix_versioned\n");
    let provided = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["needs", "--format", "json"];
        all.extend(args);
        let json: serde_json::Value = serde_json::from_str(&tailor_ok(&all)).unwrap();
        assert_eq!(json["summary"]["elf_files"], 1, "{args:?}: {json}");
        let mut v: Vec<String> = json["symbols"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["provided"] == true)
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    // The word after the list is a consumer, not a second list.
    let one = provided(&["--exports", &p("list.txt"), &p("prog")]);
    assert_eq!(one, ["fix_counter", "fix_plain"]);
    let two = provided(&[
        "--exports",
        &p("list.txt"),
        &p("prog"),
        "--exports",
        &p("list2.txt"),
    ]);
    assert_eq!(two, ["fix_counter", "fix_plain", "fix_table"]);
    // A directory is its files (not its subdirectories: name those too).
    assert_eq!(provided(&["--exports", &p("lists"), &p("prog")]), two);
    let with_arch = provided(&[
        "--exports",
        &p("lists"),
        "--exports",
        &p("lists/x64"),
        &p("prog"),
    ]);
    assert_eq!(
        with_arch,
        ["fix_counter", "fix_plain", "fix_table", "fix_versioned"]
    );
    // Files an option cannot use, named with the option.
    let prog = p("prog");
    clean_error_in(
        d,
        &["needs", "prog", "--exports", &prog],
        &format!("--exports {prog}: not a text export list (an ELF file"),
    );
    write_manifest(d, "two.txt", "fix_plain\nfix_a fix_b\n");
    clean_error_in(
        d,
        &["needs", "prog", "--exports", "two.txt"],
        "--exports two.txt:2: expected one symbol name, found `fix_a fix_b`",
    );
    clean_error_in(
        d,
        &["needs", "prog", "--exports", "nothere.txt"],
        "--exports nothere.txt: No such file",
    );
    clean_error_in(
        d,
        &[
            "version-script",
            "prog",
            "--provider",
            "libfix.so",
            "--keep",
            "prog",
        ],
        "--keep prog: not a text keep list (an ELF file)",
    );
    clean_error_in(
        d,
        &[
            "verify",
            "--provider",
            "libfix.so",
            "prog",
            "--keep",
            "two.txt",
        ],
        "--keep two.txt:2: expected one symbol name",
    );
}

/// Runs tailor in `dir`; returns (exit code, stdout, stderr).
fn tailor_in(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let o = tailor().current_dir(dir).args(args).output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn link_command_without_separator_says_where_it_goes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    compiled_library(d);
    let cases: &[(&[&str], &str)] = &[
        (
            &["link", "prog", "gcc", "-shared", "-o", "libfix.so", "libfix.o"],
            "tailor link: the link command goes after '--' (tailor link CONSUMERS... -- gcc -shared ...)",
        ),
        // `-o` is tailor's own option: the command is then simply missing.
        (
            &["link", "prog", "gcc", "-o", "libfix.so", "libfix.o"],
            "tailor link: the link command goes after '--'",
        ),
        (
            &["gc", "gcc", "-shared", "-o", "libfix.so", "libfix.o"],
            "tailor gc: the link command goes after '--'",
        ),
        (
            &["top", "gcc", "-shared", "-o", "libfix.so", "libfix.o"],
            "tailor top: the link command goes after '--'",
        ),
        (
            &["check", "gcc", "-shared", "-o", "libfix.so", "libfix.o"],
            "tailor check: the link command goes after '--'",
        ),
    ];
    for (args, says) in cases {
        let (code, _, stderr) = tailor_in(d, args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with(says), "{args:?}: {stderr}");
        assert!(!stderr.contains("tip:"), "{stderr}");
    }
    // Other usage errors stay clap's own.
    let (code, _, stderr) = tailor_in(d, &["link", "prog", "--frobnicate", "--", "gcc"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--frobnicate"), "{stderr}");
}

/// A driver that refuses the command (an option it does not know) is quoted with the
/// arguments as given: the inputs tailor hands it as placeholders are not what the user wrote.
#[test]
fn a_refused_driver_command_is_quoted_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let argv = [
        "gc",
        "--",
        "gcc",
        "--frobnicate",
        "-shared",
        "-o",
        "x.so",
        "libfix.o",
    ];
    let (code, _, stderr) = tailor_in(dir.path(), &argv);
    assert_eq!(code, Some(2), "{stderr}");
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains("gcc -### --frobnicate -shared -o x.so libfix.o"),
        "{stderr}"
    );
    assert!(
        stderr.contains("unrecognized command-line option"),
        "{stderr}"
    );
}

#[test]
fn link_profile_options_need_a_profile() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    compiled_library(d);
    write_manifest(d, "p.toml", "[profiles.base]\n");
    let command = ["--", "gcc", "-shared", "-o", "libfix.so", "libfix.o"];
    for extra in [
        &["--profiles", "p.toml"][..],
        &["--arch", "x64"][..],
        &["--set", "pci=0"][..],
    ] {
        let args = [&["link", "prog"][..], extra, &command].concat();
        let (code, _, stderr) = tailor_in(d, &args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("--profile <PROFILE>"), "{args:?}: {stderr}");
        assert!(
            !d.join("libfix.so.tailored").exists(),
            "{args:?}: linked anyway"
        );
    }
}

/// `gc --provider` plans as `link` does: consumers in any INPUTS form, their by-name strings
/// kept (`fix_byname`, which prog looks up with dlsym), unless --no-by-name.
#[test]
fn gc_with_provider_plans_as_link_does() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    compiled_library(d);
    write_manifest(d, "consumers.list", "prog\n");
    write_manifest(d, "usr.manifest", "[manifest]\n/prog: prog\n");
    let command = [
        "--",
        "gcc",
        "-shared",
        "-o",
        "libfix.so",
        "libfix.o",
        "-Wl,--version-script=libfix.map",
        "-Wl,-soname,libfix.so",
    ];
    let kept = |inputs: &[&str], extra: &[&str]| -> Vec<String> {
        let args = [
            &["gc", "--provider", "libfix.so", "--format", "json"][..],
            inputs,
            extra,
            &command,
        ]
        .concat();
        let (code, stdout, stderr) = tailor_in(d, &args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        json["kept"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["section"].as_str().unwrap().to_string())
            .collect()
    };
    for inputs in [
        &["prog"][..],
        &["--list", "consumers.list"][..],
        &["--manifest", "usr.manifest"][..],
    ] {
        let with = kept(inputs, &[]);
        assert!(
            with.iter().any(|s| s == ".text.fix_byname"),
            "{inputs:?}: {with:?}"
        );
        assert!(
            with.iter().any(|s| s == ".text.fix_plain"),
            "{inputs:?}: {with:?}"
        );
        assert!(
            !with.iter().any(|s| s == ".text.fix_unused"),
            "{inputs:?}: {with:?}"
        );
        let without = kept(inputs, &["--no-by-name"]);
        assert!(
            !without.iter().any(|s| s == ".text.fix_byname"),
            "{inputs:?}: {without:?}"
        );
    }
}
