//! A real OSv kernel (OSv's own build of v0.57.0 from ../shared/osv-src, by
//! scripts/osv-build.sh, cached in target/e2e/osv) booted in QEMU (scripts/osv-boot.sh) with
//! the applications it is to be tailored to: native-example's hello, lua and the sqlite3 shell
//! (glibc PIEs from Debian's source packages). Each prints in OSv exactly what the same program
//! prints on the host with the same input.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::e2e::E2e;
use common::osv::{
    boot, contains_lines, osv, profile, profile_vars, variant, variant_from, PROFILE,
};

/// Seconds before a boot is killed (TCG boots and runs each of these in a few seconds).
const BOOT_TIMEOUT: u32 = 180;

/// An application of the image: its command line inside OSv and the output the same program
/// prints on the host.
struct App {
    name: &'static str,
    cmdline: String,
    expected: Vec<String>,
}

/// Runs the program of `cmdline` (an image path) on the host, its `/tailor/` arguments mapped
/// to the module directory they come from; returns its stdout lines.
fn host_run(e: &E2e, key: &str, cmdline: &str) -> Vec<String> {
    let module_dir = e
        .path("OSV_APPS_MANIFEST")
        .parent()
        .expect("module dir")
        .to_path_buf();
    let args: Vec<String> = cmdline
        .split_whitespace()
        .skip(1)
        .map(|a| match a.strip_prefix("/tailor/") {
            Some(rest) => module_dir.join(rest).display().to_string(),
            None => a.to_string(),
        })
        .collect();
    let out = Command::new(e.path(key))
        .args(&args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|err| panic!("running {key} {args:?} on the host: {err}"));
    assert!(
        out.status.success(),
        "{key} {args:?} failed on the host: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn apps(e: &E2e) -> Vec<App> {
    [
        ("hello", "OSV_HELLO", "OSV_HELLO_CMD", "OSV_HELLO_LAST"),
        ("lua", "OSV_LUA", "OSV_LUA_CMD", "OSV_LUA_LAST"),
        (
            "sqlite3",
            "OSV_SQLITE3",
            "OSV_SQLITE3_CMD",
            "OSV_SQLITE3_LAST",
        ),
        ("clock", "OSV_CLOCK", "OSV_CLOCK_CMD", "OSV_CLOCK_LAST"),
    ]
    .into_iter()
    .map(|(name, prog, cmd, last)| {
        let cmdline = e.get(cmd).to_string();
        let expected = host_run(e, prog, &cmdline);
        assert_eq!(
            expected.last().map(String::as_str),
            Some(e.get(last)),
            "{name} on the host: {expected:#?}"
        );
        App {
            name,
            cmdline,
            expected,
        }
    })
    .collect()
}

/// Boots `kernel` once per application and checks each prints its host output.
fn boot_apps(kernel: &Path, image: &Path, apps: &[App]) {
    for app in apps {
        let b = boot(kernel, image, &app.cmdline, BOOT_TIMEOUT);
        let expected: Vec<&str> = app.expected.iter().map(String::as_str).collect();
        assert!(
            b.ok && contains_lines(&b.console, &expected),
            "{} ({}) on {}: ok={}\nexpected:\n{}\nconsole:\n{}\nlog:\n{}",
            app.name,
            app.cmdline,
            kernel.display(),
            b.ok,
            expected.join("\n"),
            b.console,
            b.log
        );
        eprintln!(
            "{} on {}: {} lines as on the host; {}",
            app.name,
            kernel.display(),
            expected.len(),
            b.log.trim()
        );
    }
}

#[test]
fn generic_osv_kernel_runs_hello_lua_and_sqlite3() {
    let e = osv();
    let apps = apps(&e);
    assert!(
        apps[1..3]
            .iter()
            .all(|a| a.expected.len() > apps[0].expected.len()),
        "lua's and sqlite3's test output is no longer than hello's: not much of a test"
    );
    boot_apps(&e.path("OSV_KERNEL"), &e.path("OSV_USR_IMG"), &apps);
    // The unstripped kernel (what a tailored link produces) boots the same way.
    boot_apps(&e.path("OSV_LOADER"), &e.path("OSV_USR_IMG"), &apps[..1]);
}

#[test]
fn osv_link_command_is_captured() {
    let e = osv();
    let argv: Vec<String> = std::fs::read_to_string(e.path("OSV_LINK"))
        .expect("reading OSV_LINK")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(argv.first().map(String::as_str), Some(e.get("OSV_LINK_LD")));
    let out = argv
        .windows(2)
        .find(|w| w[0] == "-o")
        .map(|w| w[1].clone())
        .expect("an -o in the link command");
    assert_eq!(
        Path::new(e.get("OSV_DIR")).join(out),
        e.path("OSV_LOADER"),
        "the link command's output is OSV_LOADER"
    );
    for opt in ["--version-script", "-T", "--gc-sections"] {
        assert!(
            argv.iter().any(|a| a.starts_with(opt)),
            "{opt} in the link command"
        );
    }
    let rsp = std::fs::read_to_string(e.path("OSV_LINK_RSP")).expect("reading OSV_LINK_RSP");
    assert_eq!(rsp.lines().collect::<Vec<_>>(), argv[1..].to_vec());
    // Every manifest entry the apps need is in the image's manifest.
    let manifest = std::fs::read_to_string(e.path("OSV_MANIFEST")).expect("reading OSV_MANIFEST");
    for path in [
        "/hello:",
        "/lua:",
        "/sqlite3:",
        "/tailor/test.lua:",
        "/tailor/test.sql:",
    ] {
        assert!(
            manifest.lines().any(|l| l.starts_with(path)),
            "{path} in {manifest}"
        );
    }
}

/// A kernel of the size table: how it was made, its stripped size.
struct Row {
    what: String,
    stripped: u64,
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .len()
}

fn argv_of(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::to_string)
        .collect()
}

/// `tailor link --size EXTRA...` of the kernel whose link command is `argv` (run in `dir`),
/// tailored to `manifest` (relative to `dir`, like the image's own); returns the stripped
/// kernel.
fn tailor_link(
    dir: &Path,
    argv: &[String],
    manifest: &Path,
    extra: &[&str],
    out: &Path,
) -> PathBuf {
    let run = common::tailor()
        .arg("link")
        .arg("--manifest")
        .arg(manifest)
        .args(["-D", "libgcc_s_dir=/usr/lib/x86_64-linux-gnu", "--size"])
        .args(extra)
        .arg("-o")
        .arg(out)
        .arg("--")
        .args(argv)
        .current_dir(dir)
        .output()
        .expect("running tailor link");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "tailor link on OSv failed:\n{stderr}");
    assert!(
        stderr.contains("consumer embedded in the link: build/release.x64/libvdso-content.o"),
        "the vDSO inside libvdso-content.o is not found as a consumer:\n{stderr}"
    );
    eprintln!(
        "{}",
        String::from_utf8_lossy(&run.stdout)
            .lines()
            .filter(|l| l.starts_with("stripped")
                || l.starts_with("exported")
                || l.starts_with("verification"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let mut stripped = out.as_os_str().to_owned();
    stripped.push(".stripped");
    PathBuf::from(stripped)
}

/// The image's own manifest, relative to the tree.
const IMAGE_MANIFEST: &str = "build/release.x64/usr.manifest";

/// `tailor version-script` for the image's manifest against the generic kernel, with the
/// kernel's link command (so the vDSO is a consumer), written to `out`.
fn tailor_version_script(e: &E2e, argv: &[String], out: &Path) {
    let vs = common::tailor()
        .args(["version-script", "--manifest", IMAGE_MANIFEST])
        .args(["-D", "libgcc_s_dir=/usr/lib/x86_64-linux-gnu", "--provider"])
        .arg(e.path("OSV_LOADER"))
        .arg("-o")
        .arg(out)
        .arg("--")
        .args(argv)
        .current_dir(e.path("OSV_DIR"))
        .output()
        .expect("running tailor version-script");
    assert!(
        vs.status.success(),
        "tailor version-script on OSv failed: {}",
        String::from_utf8_lossy(&vs.stderr)
    );
}

/// OSv's GNU ld command for lld, which takes it but for GNU ld's `--no-warn-rwx-segments`.
fn lld_command(argv: &[String]) -> Vec<String> {
    std::iter::once("ld.lld".to_string())
        .chain(
            argv[1..]
                .iter()
                .filter(|a| *a != "--no-warn-rwx-segments")
                .cloned(),
        )
        .collect()
}

/// `argv` with its `-o` output replaced by `out`.
fn with_output(argv: &[String], out: &Path) -> Vec<String> {
    let mut cmd = Vec::with_capacity(argv.len());
    let mut args = argv.iter();
    while let Some(a) = args.next() {
        cmd.push(a.clone());
        if a == "-o" {
            args.next();
            cmd.push(out.display().to_string());
        }
    }
    cmd
}

/// A section name without its group signature (`.text.f[sig]`).
fn without_signature(s: &str) -> String {
    match s.find('[') {
        Some(i) if s.ends_with(']') => s[..i].to_string(),
        _ => s.to_string(),
    }
}

/// The two ways an OSv user tailors the kernel, each booted with every application (hello,
/// lua, the sqlite3 shell, and a static program reading the clocks through the kernel's
/// vDSO), whose output must equal the program's own on the host:
/// - `tailor version-script` (with the kernel's link command, so the vDSO is a consumer),
///   then OSv's own build with `conf_version_script=`;
/// - `tailor link` on loader.elf's link command, plain and on the link command of OSv's
///   build with a driver profile that boots under TCG (virtio-pci with HPET).
///
/// The size table is printed beside the generic kernel and the profile's generic kernel.
#[test]
fn tailored_osv_kernels_boot_every_app() {
    let e = osv();
    let apps = apps(&e);
    let dir = e.path("OSV_DIR");
    let argv = argv_of(&e.path("OSV_LINK"));
    let tmp = tempfile::tempdir().unwrap();
    let generic = file_size(&e.path("OSV_KERNEL"));
    let mut rows = vec![Row {
        what: "generic (conf_hide_symbols=1, every driver)".into(),
        stripped: generic,
    }];

    // 1. tailor version-script, then OSv's own build.
    let script = tmp.path().join("app_version_script");
    tailor_version_script(&e, &argv, &script);
    let text = std::fs::read_to_string(&script).unwrap();
    for vdso_import in ["clock_gettime", "fsgsbase_avail"] {
        assert!(
            text.lines().any(|l| l.trim() == format!("{vdso_import};")),
            "{vdso_import} (the vDSO's import) missing from the version script:\n{text}"
        );
    }
    let v = variant(
        "tailor-version-script",
        &[&format!("conf_version_script={}", script.display())],
    );
    boot_apps(&v.path("VARIANT_KERNEL"), &v.path("VARIANT_USR_IMG"), &apps);
    rows.push(Row {
        what: "tailor version-script + OSv's conf_version_script=".into(),
        stripped: file_size(&v.path("VARIANT_KERNEL")),
    });

    // 2. tailor link on loader.elf's own link command.
    let manifest = Path::new(IMAGE_MANIFEST);
    let linked = tailor_link(&dir, &argv, manifest, &[], &tmp.path().join("loader.elf"));
    boot_apps(&linked, &e.path("OSV_USR_IMG"), &apps);
    rows.push(Row {
        what: "tailor link --size".into(),
        stripped: file_size(&linked),
    });

    // 2b. The same command linked by lld (which takes it but for GNU ld's
    // --no-warn-rwx-segments): the generic and tailored lld kernels.
    let lld = lld_command(&argv);
    let linked_lld = tailor_link(
        &dir,
        &lld,
        manifest,
        &[],
        &tmp.path().join("loader-lld.elf"),
    );
    boot_apps(&linked_lld, &e.path("OSV_USR_IMG"), &apps);
    rows.push(Row {
        what: "lld: tailor link --size".into(),
        stripped: file_size(&linked_lld),
    });

    // 3. A driver profile (OSv's build), then tailor link on its link command.
    let p = profile();
    let profile_generic = file_size(&p.path("VARIANT_KERNEL"));
    boot_apps(
        &p.path("VARIANT_KERNEL"),
        &p.path("VARIANT_USR_IMG"),
        &apps[..1],
    );
    rows.push(Row {
        what: format!("generic, {}", profile_vars().join(" ")),
        stripped: profile_generic,
    });
    let profiled = tailor_link(
        &p.path("VARIANT_DIR"),
        &argv_of(&p.path("VARIANT_LINK")),
        manifest,
        &[],
        &tmp.path().join("loader-pci-hpet.elf"),
    );
    boot_apps(&profiled, &p.path("VARIANT_USR_IMG"), &apps);
    rows.push(Row {
        what: "virtio-pci + hpet, tailor link --size".into(),
        stripped: file_size(&profiled),
    });

    eprintln!("\n| kernel (stripped) | bytes | % of generic |\n|---|---|---|");
    for r in &rows {
        eprintln!(
            "| {} | {} | {:.1}% |",
            r.what,
            r.stripped,
            100.0 * r.stripped as f64 / generic as f64
        );
    }
    for r in &rows[1..] {
        assert!(
            r.stripped < generic,
            "{}: not smaller than the generic kernel",
            r.what
        );
    }
    assert!(
        rows[5].stripped < profile_generic,
        "the tailored profile kernel is not smaller than the profile's generic kernel"
    );
}

/// `removing unused section` lines of GNU ld (`'S' in file 'F'`) and lld (`F:(S)`), group
/// signatures dropped.
fn removed_by(text: &str) -> std::collections::BTreeSet<(String, String)> {
    let mut set = std::collections::BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.split("removing unused section '").nth(1) {
            let (section, file) = rest.split_once("' in file '").expect("GNU ld's line");
            set.insert((
                file.trim_end_matches('\'').to_string(),
                without_signature(section),
            ));
        } else if let Some(rest) = line.strip_prefix("removing unused section ") {
            let (file, section) = rest.rsplit_once(":(").expect("lld's line");
            set.insert((
                file.to_string(),
                without_signature(section.trim_end_matches(')')),
            ));
        }
    }
    set
}

/// `tailor gc`'s removed set for `argv` (run in `dir`) against the linker's own, and the
/// linker's text (stderr and stdout) of the same link with `extra` options.
fn gc_against_linker(dir: &Path, argv: &[String], gc_args: &[&str], what: &str) {
    let json = common::gc_sections::tailor_gc(dir, gc_args, argv);
    let predicted: std::collections::BTreeSet<(String, String)> = json["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_string(),
                without_signature(r["section"].as_str().unwrap()),
            )
        })
        .collect();
    let scratch = tempfile::tempdir().unwrap();
    let cmd = with_output(argv, &scratch.path().join("out.elf"));
    let out = Command::new(&cmd[0])
        .args(&cmd[1..])
        .arg("--print-gc-sections")
        .current_dir(dir)
        .output()
        .expect("running the linker");
    assert!(out.status.success(), "{what}: the link failed");
    let actual = removed_by(&format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ));
    let only_p: Vec<_> = predicted.difference(&actual).take(5).collect();
    let only_l: Vec<_> = actual.difference(&predicted).take(5).collect();
    assert!(
        only_p.is_empty() && only_l.is_empty() && !actual.is_empty(),
        "{what}: tailor predicts {} removed, the linker removes {}; tailor only {only_p:?}, linker only {only_l:?}",
        predicted.len(),
        actual.len()
    );
    eprintln!("{what}: {} removed sections, identical", actual.len());
}

/// `tailor gc` on OSv's own link (`arch/x64/loader.ld`, libc/aliases.ld's assignments, KEEP
/// after a plain rule, a script-defined ENTRY): the removed set equals GNU ld's for the
/// generic link and for the link with tailor's version script, and lld's (lld links OSv
/// when given the same command without GNU ld's `--no-warn-rwx-segments`). `tailor check`
/// on it reports only findings that are so: no table or init-array hazard (the kernel's
/// constructors run: it boots), and each orphan is one GNU ld's `--orphan-handling=warn`
/// names.
#[test]
fn gc_and_check_are_exact_on_osvs_link() {
    common::need_tool("ld.lld", "lld");
    let e = osv();
    let dir = e.path("OSV_DIR");
    let argv = argv_of(&e.path("OSV_LINK"));
    gc_against_linker(&dir, &argv, &[], "GNU ld, OSv's generic link");

    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("tailored.map");
    tailor_version_script(&e, &argv, &script);
    let tailored: Vec<String> = argv
        .iter()
        .map(|a| match a.starts_with("--version-script=") {
            true => format!("--version-script={}", script.display()),
            false => a.clone(),
        })
        .collect();
    gc_against_linker(
        &dir,
        &tailored,
        &["--version-script", script.to_str().unwrap()],
        "GNU ld, OSv's link with tailor's version script",
    );

    let lld = lld_command(&argv);
    gc_against_linker(&dir, &lld, &[], "lld, OSv's generic link");

    let check = common::tailor()
        .args(["check", "--format", "json", "--"])
        .args(&argv)
        .current_dir(&dir)
        .output()
        .expect("running tailor check");
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let scratch = tmp.path().join("orphans.elf");
    let orphan_cmd = with_output(&argv, &scratch);
    let out = Command::new(&orphan_cmd[0])
        .args(&orphan_cmd[1..])
        .arg("--orphan-handling=warn")
        .current_dir(&dir)
        .output()
        .unwrap();
    let warnings = String::from_utf8_lossy(&out.stderr).into_owned();
    for f in findings {
        let code = f["code"].as_str().unwrap();
        let file = f["file"].as_str().unwrap();
        let section = f["section"].as_str().unwrap_or("");
        assert!(
            !code.starts_with("unkept") && code != "start-stop" && code != "entry-roots",
            "{code} on OSv, whose kernel boots with its constructors and tables: {f}"
        );
        if code == "orphan" {
            assert!(
                warnings
                    .lines()
                    .any(|l| l.contains(&format!("orphan section `{section}"))
                        && l.contains(&format!("from `{file}'"))),
                "tailor's orphan {section} in {file} is not one GNU ld warns about:\n{warnings}"
            );
        }
        eprintln!("check on OSv: {code} {file} {section}");
    }
}

/// The image's manifest without our module's applications (native-example's hello and static
/// hellos, and what OSv itself puts in the image), written beside the manifest in `tree` (its
/// host paths are relative to that directory).
fn native_example_manifest(tree: &Path) -> PathBuf {
    let dir = tree.join("build/release.x64");
    let text = std::fs::read_to_string(dir.join("usr.manifest")).expect("usr.manifest");
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("/apps/tailor-apps/") && !l.starts_with("/tailor/"))
        .collect();
    let path = dir.join("native-example.manifest");
    std::fs::write(&path, kept.join("\n") + "\n").unwrap();
    path
}

/// native-example alone, as the figures were measured: OSv's own recipe (its
/// generate_app_version_script.sh, column bug fixed: scripts/osv-recipe.sh) then OSv's build
/// with `conf_version_script=`, against `tailor link`, each plain and with the virtio-pci +
/// HPET driver profile. tailor's kernels are no larger, and they run the vDSO clock program,
/// which the recipe's kernels cannot: the recipe reads only the manifest's ELF files and
/// misses the vDSO inside the kernel (`clock_gettime`, `fsgsbase_avail`).
#[test]
fn native_example_kernels_against_osvs_own_recipe() {
    let e = osv();
    let apps = apps(&e);
    let (hello, clock) = (&apps[0], &apps[3]);
    let tmp = tempfile::tempdir().unwrap();
    let recipe_of = |tree: &Path, name: &str| {
        let manifest = native_example_manifest(tree);
        let script = tmp.path().join(format!("{name}.map"));
        let out = Command::new("bash")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/osv-recipe.sh"))
            .arg(tree)
            .arg(&manifest)
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (manifest, script)
    };
    let mut rows = Vec::new();
    for (label, from) in [("every driver", None), ("virtio-pci + hpet", Some(PROFILE))] {
        // The generic kernel of this configuration: the base, or the profile's variant.
        let (tree, argv, image) = match from {
            None => (
                e.path("OSV_DIR"),
                argv_of(&e.path("OSV_LINK")),
                e.path("OSV_USR_IMG"),
            ),
            Some(_) => {
                let p = profile();
                (
                    p.path("VARIANT_DIR"),
                    argv_of(&p.path("VARIANT_LINK")),
                    p.path("VARIANT_USR_IMG"),
                )
            }
        };
        let name = match from {
            None => "recipe-native",
            Some(_) => "recipe-native-pci-hpet",
        };
        let (manifest, script) = recipe_of(&tree, name);
        // OSv's build with the recipe's script: on the base tree, or on a copy of the
        // profile's (a relink: its drivers are compiled already).
        let recipe_var = format!("conf_version_script={}", script.display());
        let r = match from {
            None => variant(name, &[&recipe_var]),
            Some(p) => variant_from(name, p, &[&recipe_var]),
        };
        let recipe_kernel = r.path("VARIANT_KERNEL");
        boot_apps(&recipe_kernel, &image, std::slice::from_ref(hello));
        let b = boot(&recipe_kernel, &image, &clock.cmdline, 30);
        let clock_lines: Vec<&str> = clock.expected.iter().map(String::as_str).collect();
        assert!(
            !(b.ok && contains_lines(&b.console, &clock_lines)),
            "the recipe's kernel ({label}) ran the vDSO clock program: the vDSO test shows nothing"
        );
        let ours = tailor_link(
            &tree,
            &argv,
            &manifest,
            &["--no-embed-plan"],
            &tmp.path().join(format!("{name}.elf")),
        );
        boot_apps(
            &ours,
            &image,
            &[&apps[0], &apps[3]].map(|a| App {
                name: a.name,
                cmdline: a.cmdline.clone(),
                expected: a.expected.clone(),
            }),
        );
        let (rs, ts) = (file_size(&recipe_kernel), file_size(&ours));
        rows.push(format!(
            "| {label} | {rs} | {ts} | {:+} |",
            ts as i64 - rs as i64
        ));
        assert!(
            ts <= rs,
            "{label}: tailor's kernel ({ts} B) is larger than OSv's recipe's ({rs} B)"
        );
    }
    eprintln!("\n| native-example, stripped | OSv's recipe (fixed) | tailor link --size --no-embed-plan | difference |\n|---|---|---|---|");
    for r in rows {
        eprintln!("{r}");
    }
}
