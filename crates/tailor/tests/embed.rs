//! Embedded archives: musl's headers carried by a tailored libc.so, extracted and compiled
//! against; reproducible objects; the comment stripper against gcc's own comment removal on
//! every header of musl and /usr/include; corrupt, truncated and hostile archives refused.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn e2e() -> BTreeMap<String, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/e2e-build.sh");
    let out = run(Command::new("bash").arg(script));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn musl_headers_ride_in_the_tailored_libc_and_build_a_program() {
    let e = e2e();
    let musl = PathBuf::from(&e["MUSL_DIR"]);
    let prefix = PathBuf::from(&e["LIBC"])
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let include = Path::new(&e["HELLO"])
        .parent()
        .unwrap()
        .join("musl/include");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let libc = d.join("libc.so");
    let o = tailor()
        .current_dir(&musl)
        .args(["link", &e["HELLO"], "-o"])
        .arg(&libc)
        .arg("--embed")
        .arg(format!("headers={}", include.display()))
        .arg("--")
        .arg(&e["LINK_CC"])
        .arg(format!("@{}", e["LINK_RSP"]))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let _ = prefix;
    // Strip the image: the archive is found by its header.
    let stripped = d.join("libc.stripped.so");
    run(Command::new(need_tool("strip", "binutils"))
        .arg("-o")
        .arg(&stripped)
        .arg(&libc));
    let listing = tailor_ok(&["extract", &stripped.display().to_string(), "--list"]);
    assert!(
        listing.contains("headers\txz") && listing.contains("tailor-plan\tzstd"),
        "{listing}"
    );
    let headers = d.join("headers");
    tailor_ok(&[
        "extract",
        &stripped.display().to_string(),
        "--name",
        "headers",
        "--to",
        &headers.display().to_string(),
    ]);
    assert!(headers.join("stdio.h").is_file());
    let plan = d.join("plan");
    tailor_ok(&[
        "extract",
        &libc.display().to_string(),
        "--name",
        "tailor-plan",
        "--to",
        &plan.display().to_string(),
    ]);
    let plan_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(plan.join("plan.json")).unwrap()).unwrap();
    assert!(
        plan_json["exports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["name"] == "puts" || x["name"] == "printf"),
        "{plan_json}"
    );
    // Compile hello against the extracted headers only (-H lists every header used).
    let musl_gcc = Path::new(&e["HELLO"])
        .parent()
        .unwrap()
        .join("musl/bin/musl-gcc");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/e2e/hello.c");
    let exe = d.join("hello");
    let out = run(Command::new(&musl_gcc)
        .arg("-H")
        .arg("-nostdinc")
        .arg("-I")
        .arg(&headers)
        .arg("-o")
        .arg(&exe)
        .arg(&src));
    let used = String::from_utf8_lossy(&out.stderr);
    let header_lines: Vec<&str> = used.lines().filter(|l| l.starts_with('.')).collect();
    assert!(!header_lines.is_empty(), "{used}");
    for l in &header_lines {
        assert!(
            l.contains(&headers.display().to_string()),
            "header not from the extracted tree: {l}"
        );
    }
    let ran = run(Command::new(&libc).arg(&exe).arg("embedded"));
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        "Hello, embedded! (1 arguments)\n"
    );
}

#[test]
fn objects_are_reproducible_and_unchanged_reruns_do_nothing() {
    let e = e2e();
    let include = Path::new(&e["HELLO"])
        .parent()
        .unwrap()
        .join("musl/include")
        .display()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    let mut sizes = Vec::new();
    for (compress, strip) in [
        ("xz", true),
        ("zstd", true),
        ("none", true),
        ("none", false),
        ("xz", false),
    ] {
        let name = format!("h-{compress}-{strip}.o");
        let mut args = vec![
            "embed",
            "--name",
            "headers",
            "--compress",
            compress,
            &include,
            "-o",
        ];
        let out = p(&name);
        args.push(&out);
        if strip {
            args.push("--strip-comments");
        }
        tailor_ok(&args);
        let first = std::fs::read(p(&name)).unwrap();
        std::fs::remove_file(p(&name)).unwrap();
        tailor_ok(&args);
        assert_eq!(
            std::fs::read(p(&name)).unwrap(),
            first,
            "{name} differs between runs"
        );
        let o = tailor().args(&args).output().unwrap();
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("up to date"),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        sizes.push(format!(
            "{compress}{}: {}",
            if strip { "+strip" } else { "" },
            first.len()
        ));
        // The object links into a program that reads its own archive.
    }
    eprintln!("object sizes: {}", sizes.join(", "));
    // A make-style depfile names every file packed.
    let dep = p("h.d");
    tailor_ok(&[
        "embed",
        "--name",
        "headers",
        &include,
        "-o",
        &p("h.o"),
        "--depfile",
        &dep,
    ]);
    let text = std::fs::read_to_string(&dep).unwrap();
    assert!(text.starts_with(&format!("{}:", p("h.o"))), "{text}");
    assert!(
        text.contains(&format!("{include}/stdio.h"))
            && text.contains(&format!("{include}/sys/mman.h")),
        "{text}"
    );
    // The object is valid for the linker and names the payload with its symbols.
    let nm = tool_stdout("nm", "binutils", &[&p("h-xz-true.o")]);
    for sym in ["headers_data", "headers_data_end", "headers_size"] {
        assert!(nm.contains(sym), "{nm}");
    }
    write(dir.path(), "main.c", "#include <stdio.h>\nextern const char headers_data[], headers_data_end[];\nint main(void) { printf(\"%ld\\n\", (long)(headers_data_end - headers_data)); return 0; }\n");
    gcc(
        dir.path(),
        &["main.c", &p("h-xz-true.o"), "-o", &p("reader")],
    );
    let out = run(&mut Command::new(p("reader")));
    let listed = tailor_ok(&["extract", &p("h-xz-true.o"), "--list"]);
    let size: &str = listed
        .split('\t')
        .nth(2)
        .unwrap()
        .trim_end_matches(" bytes");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), size);
}

/// gcc's own comment removal, whitespace dropped.
fn gcc_view(path: &Path, cxx: bool) -> Option<String> {
    let out = Command::new("gcc")
        .args([
            "-E",
            "-fpreprocessed",
            "-dD",
            "-P",
            "-w",
            "-x",
            if cxx { "c++" } else { "c" },
        ])
        .arg(path)
        .output()
        .ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .collect()
    })
}

#[test]
fn comment_stripper_agrees_with_gcc_on_every_header() {
    need_tool("gcc", "gcc");
    let e = e2e();
    let roots = [
        Path::new(&e["HELLO"])
            .parent()
            .unwrap()
            .join("musl/include"),
        PathBuf::from("/usr/include"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut pairs = Vec::new();
    for (i, root) in roots.iter().enumerate() {
        let obj = dir.path().join(format!("{i}.o"));
        let out = dir.path().join(format!("stripped{i}"));
        tailor_ok(&[
            "embed",
            "--name",
            "h",
            "--compress",
            "none",
            "--strip-comments",
            &root.display().to_string(),
            "-o",
            &obj.display().to_string(),
        ]);
        tailor_ok(&[
            "extract",
            &obj.display().to_string(),
            "--to",
            &out.display().to_string(),
        ]);
        let mut stack = vec![root.clone()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap().filter_map(|e| e.ok()) {
                let ft = entry.file_type().unwrap();
                let p = entry.path();
                if ft.is_dir() {
                    stack.push(p);
                } else if ft.is_file()
                    && tailor_core::build::strip_comments::is_header(&p.display().to_string())
                {
                    let rel = p.strip_prefix(root).unwrap().to_path_buf();
                    pairs.push((p.clone(), out.join(rel)));
                }
            }
        }
    }
    let musl_headers = pairs
        .iter()
        .take_while(|(p, _)| p.starts_with(&roots[0]))
        .count();
    assert!(pairs.len() > 200, "{} headers", pairs.len());
    // A machine with boost's or Qt's headers has tens of thousands: two gcc runs each would
    // take the suite half an hour. Past 1,500, every n-th (musl's come first and stay): a
    // sample spread over the whole tree, at two gcc runs of about 8 ms each per header.
    const MOST: usize = 1500;
    if pairs.len() > MOST {
        let rest = pairs.split_off(musl_headers);
        let step = rest.len().div_ceil(MOST - musl_headers.min(MOST - 1));
        pairs.extend(rest.into_iter().step_by(step));
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunks: Vec<Vec<(PathBuf, PathBuf)>> = (0..threads)
        .map(|t| pairs.iter().skip(t).step_by(threads).cloned().collect())
        .collect();
    let results: Vec<(usize, usize, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                s.spawn(move || {
                    let (mut compared, mut skipped, mut bad) = (0, 0, Vec::new());
                    for (orig, stripped) in chunk {
                        let name = orig.display().to_string();
                        let cxx = name.contains("/c++/")
                            || [".hpp", ".hh", ".hxx", ".tcc", ".h++"]
                                .iter()
                                .any(|x| name.ends_with(x));
                        // Many C++ headers are named .h (llvm's): a header passes when gcc agrees
                        // in the language it is written in (C++ digit separators such as
                        // 0x1'0000 open a character constant in C).
                        let agree = |cxx: bool| match (gcc_view(orig, cxx), gcc_view(stripped, cxx))
                        {
                            (Some(a), Some(b)) => Some(a == b),
                            (None, None) => None,
                            _ => Some(false),
                        };
                        match agree(cxx).filter(|&ok| ok).or_else(|| agree(!cxx)) {
                            Some(true) => compared += 1,
                            None => skipped += 1,
                            Some(false) => bad.push(name),
                        }
                    }
                    (compared, skipped, bad)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let compared: usize = results.iter().map(|r| r.0).sum();
    let skipped: usize = results.iter().map(|r| r.1).sum();
    let bad: Vec<&String> = results.iter().flat_map(|r| &r.2).collect();
    eprintln!("comment stripper: {compared} headers identical to gcc's view, {skipped} rejected by gcc either way");
    assert!(
        bad.is_empty(),
        "{} headers differ from gcc's comment removal: {:?}",
        bad.len(),
        &bad[..bad.len().min(10)]
    );
}

/// A tar holding one entry with a raw (unchecked) name, symlink target or type.
fn raw_tar(name: &[u8], kind: tar::EntryType, link: Option<&[u8]>) -> Vec<u8> {
    let mut h = tar::Header::new_old();
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    if let Some(l) = link {
        h.as_old_mut().linkname[..l.len()].copy_from_slice(l);
    }
    h.set_entry_type(kind);
    h.set_size(if kind == tar::EntryType::Regular {
        3
    } else {
        0
    });
    h.set_mode(0o644);
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    let data: &[u8] = if kind == tar::EntryType::Regular {
        b"bad"
    } else {
        b""
    };
    b.append(&h, data).unwrap();
    b.into_inner().unwrap()
}

#[test]
fn corrupt_truncated_and_hostile_archives_are_refused() {
    use tailor_core::build::embed::{framed, Compression};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.h", "/* c */ int a;\n");
    let obj = d.join("a.o").display().to_string();
    tailor_ok(&[
        "embed",
        "--name",
        "a",
        "--compress",
        "xz",
        &d.join("a.h").display().to_string(),
        "-o",
        &obj,
    ]);
    let good = std::fs::read(&obj).unwrap();
    let listed = tailor_ok(&["extract", &obj, "--list"]);
    assert!(listed.starts_with("a\txz\t"), "{listed}");
    let check = |bytes: &[u8], file: &str, needle: &str| {
        let p = d.join(file);
        std::fs::write(&p, bytes).unwrap();
        let target = d.join(format!("{file}.out"));
        let o = tailor()
            .args(["extract"])
            .arg(&p)
            .arg("--to")
            .arg(&target)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{file}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(needle) && stderr.contains(file),
            "{file}: {stderr}"
        );
        assert!(!target.exists(), "{file}: something was written");
        assert!(std::fs::read_dir(d).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".tailor-extract")));
    };
    // A flipped payload byte: checksum mismatch.
    let at = good
        .windows(16)
        .position(|w| w == tailor_core::build::embed::MAGIC)
        .unwrap();
    let mut flipped = good.clone();
    let payload_at = at + 24 + 8 + 48; // name "a" padded to 8
    flipped[payload_at + 10] ^= 0xff;
    check(&flipped, "flipped.o", "checksum mismatch");
    check(&good[..payload_at + 20], "truncated.o", "truncated");
    check(b"\x7fELF nothing here", "empty.o", "no embedded archive");
    for (file, tar, needle) in [
        (
            "absolute.o",
            raw_tar(b"/etc/evil", tar::EntryType::Regular, None),
            "absolute path",
        ),
        (
            "dotdot.o",
            raw_tar(b"../evil", tar::EntryType::Regular, None),
            "`..`",
        ),
        (
            "escape.o",
            raw_tar(b"link", tar::EntryType::Symlink, Some(b"../../etc/passwd")),
            "points outside",
        ),
        (
            "abslink.o",
            raw_tar(b"link", tar::EntryType::Symlink, Some(b"/etc/passwd")),
            "points outside",
        ),
        (
            "device.o",
            raw_tar(b"dev", tar::EntryType::Char, None),
            "not a file or symlink",
        ),
    ] {
        let bytes = framed("evil", Compression::None, &tar);
        check(&bytes, file, needle);
    }
}
