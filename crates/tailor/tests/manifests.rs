//! Real OSv manifests (../shared/osv-data/manifests) resolved against host trees built at test
//! time, with OSv's real export lists as the provider.

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/osv-data")
}

/// OSv's export lists as its build names them: the directory's `*.symbols` files (the form
/// README shows: `--exports DIR`, one value per option).
fn osv_export_lists() -> Vec<String> {
    let dir = shared().join("exported_symbols");
    let arch = dir.join("x64");
    vec![
        "--exports".into(),
        dir.display().to_string(),
        "--exports".into(),
        arch.display().to_string(),
    ]
}

#[test]
fn native_example_against_osv_exports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "hello.c",
        "#include <stdio.h>\nint main(void) { puts(\"Hello from C code\"); return 0; }\n",
    );
    gcc(d, &["-O1", "-fPIE", "-pie", "hello.c", "-o", "hello"]);
    gcc(
        d,
        &["-O1", "-static-pie", "hello.c", "-o", "hello-static-pie"],
    );
    gcc(
        d,
        &[
            "-O1",
            "-static",
            "-no-pie",
            "hello.c",
            "-o",
            "hello-static-non-pie",
        ],
    );
    let manifest = shared().join("manifests/osv-apps/native-example/usr.manifest");
    let mut args = vec![
        "needs".to_string(),
        "--format".into(),
        "json".into(),
        "--manifest".into(),
        manifest.display().to_string(),
        "-D".into(),
        format!("MODULE_DIR={}", d.display()),
    ];
    args.extend(osv_export_lists());
    let json: serde_json::Value = serde_json::from_str(&tailor_ok(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ))
    .unwrap();
    assert_eq!(json["summary"]["elf_files"], 3);
    let hello = d.join("hello").display().to_string();
    let (per, _) = needs_by_consumer(&json);
    let nm = parse_nm_undefined(&tool_stdout(
        "nm",
        "binutils",
        &["-D", "--undefined-only", &hello],
    ));
    assert_eq!(per.get(&hello).cloned().unwrap_or_default(), nm);
    // Static programs import nothing.
    assert!(per.keys().all(|k| k == &hello), "{:?}", per.keys());
    // Provided = in OSv's lists: puts and __libc_start_main are, _ITM_* are not.
    let provided = |n: &str| {
        json["symbols"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == n)
            .map(|s| s["provided"].clone())
    };
    assert_eq!(provided("puts"), Some(serde_json::Value::Bool(true)));
    assert_eq!(
        provided("__libc_start_main"),
        Some(serde_json::Value::Bool(true))
    );
    assert_eq!(
        provided("_ITM_registerTMCloneTable"),
        Some(serde_json::Value::Bool(false))
    );
    // The version script OSv would use: the provided names, OSv's block layout.
    let mut vs_args = args.clone();
    vs_args[0] = "version-script".into();
    vs_args.retain(|a| a != "--format" && a != "json");
    let script = tailor_ok(&vs_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        script.contains(&format!("/*------- {hello} */")),
        "{script}"
    );
    assert!(
        script.contains("    puts;\n") && script.contains("    __libc_start_main;\n"),
        "{script}"
    );
    assert!(!script.contains("_ITM_"), "{script}");
}

#[test]
fn tree_globs_ampersand_and_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    common::libfix::build_fixture(d, &[]);
    // ffmpeg's `/**: ${MODULE_DIR}/ROOTFS/**`, OSv's `/&/etc/hosts: ../../static/&`, `->` and `!`.
    let rootfs = d.join("mod/ROOTFS");
    std::fs::create_dir_all(rootfs.join("usr/lib")).unwrap();
    std::fs::create_dir_all(rootfs.join("etc")).unwrap();
    std::fs::copy(d.join("libfix.so"), rootfs.join("usr/lib/libfix.so")).unwrap();
    std::fs::copy(d.join("prog"), rootfs.join("prog")).unwrap();
    std::fs::write(rootfs.join("etc/config"), "not elf\n").unwrap();
    let ffmpeg =
        std::fs::read_to_string(shared().join("manifests/osv-apps/ffmpeg/usr.manifest")).unwrap();
    let mdir = d.join("a/b");
    std::fs::create_dir_all(d.join("static/etc")).unwrap();
    std::fs::write(d.join("static/etc/hosts"), "127.0.0.1 localhost\n").unwrap();
    std::fs::create_dir_all(&mdir).unwrap();
    std::os::unix::fs::symlink(d.join("prog"), d.join("prog-link")).unwrap();
    let text = format!(
        "{ffmpeg}/&/etc/hosts: ../../static/&\n/etc/mnttab: ->/proc/mounts\n/keep-link: !{}\n/tmp: ../../static\n",
        d.join("prog-link").display()
    );
    let m = write(&mdir, "usr.manifest", &text).display().to_string();
    let out = tailor_ok(&[
        "needs",
        "--format",
        "json",
        "--manifest",
        &m,
        "-D",
        &format!("MODULE_DIR={}", d.join("mod").display()),
    ]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let paths: Vec<&str> = json["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert!(
        paths[0].ends_with("ROOTFS/prog") && paths[1].ends_with("ROOTFS/usr/lib/libfix.so"),
        "{paths:?}"
    );
    // etc/config and the &-expanded hosts file are not ELF: skipped and counted.
    assert_eq!(json["summary"]["non_elf_skipped"], 2, "{out}");
}
