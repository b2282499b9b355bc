//! The problems a new user met tailoring real libraries (issue 11), each shown fixed on zlib as
//! Debian's source package builds it (`./configure && make`, a version script that versions
//! part of the API and leaves the rest unversioned) or on libpng: versions as ld.so binds
//! them, the generic image taken from the command, output modes, `-o` mistakes, consumers that
//! need nothing, `--size`, by-name agreement between `version-script` and `link`, `-v`, totals
//! that add up, problems in order, export counts as nm counts them, never larger than generic.

mod common;

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::libs::libs;
use common::*;

/// A private copy of zlib's build tree (tests may change it), its link command and consumers.
struct Zlib {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    argv: Vec<String>,
    lib: String,
}

fn zlib() -> Zlib {
    let l = libs();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("zlib");
    run(Command::new("cp")
        .arg("-a")
        .arg(l.path("ZLIB_DIR"))
        .arg(&dir));
    let lib = l
        .path("ZLIB_LIB")
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    Zlib {
        argv: l.link_command("ZLIB_LINK"),
        _tmp: tmp,
        dir,
        lib,
    }
}

impl Zlib {
    /// `tailor ARGS... -- LINK COMMAND` in the build tree.
    fn tailor(&self, args: &[&str], argv: &[String]) -> Output {
        let mut c = tailor();
        c.current_dir(&self.dir).args(args);
        if !argv.is_empty() {
            c.arg("--").args(argv);
        }
        c.output().unwrap()
    }
    fn consumers(&self) -> [&'static str; 2] {
        ["examplesh", "minigzipsh"]
    }
    /// The link command with its version script replaced by `script` (None: dropped).
    fn argv_with_script(&self, script: Option<&Path>) -> Vec<String> {
        self.argv
            .iter()
            .map(|a| match script {
                Some(s) => a.replace("zlib.map", &s.display().to_string()),
                None => a.replace(",--version-script,zlib.map", ""),
            })
            .collect()
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn ok(o: &Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed ({}): {}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `nm -D --defined-only` lines: `name` or `name@VERSION` / `name@@VERSION`.
fn nm_defined(image: &Path) -> Vec<String> {
    tool_stdout(
        "nm",
        "binutils",
        &["-D", "--defined-only", &image.display().to_string()],
    )
    .lines()
    .filter_map(|l| l.split_whitespace().nth(2).map(str::to_string))
    .collect()
}

/// Names under `global:` in a version script (what it exports by name).
fn script_globals(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut global = false;
    for line in text.lines() {
        let t = line.trim();
        if t == "global:" {
            global = true;
        } else if t == "local:" || t.starts_with('}') {
            global = false;
        } else if global && !t.starts_with("/*") {
            if let Some(name) = t.split(';').next().filter(|n| !n.is_empty()) {
                out.insert(name.trim_matches('"').to_string());
            }
        }
    }
    out
}

#[test]
fn p01_unversioned_exports_are_kept_unversioned_and_counted() {
    let z = zlib();
    let script = z.path("tailored.map");
    let keep = z.path("keep.txt");
    std::fs::write(&keep, "compress2\ngzungetc\n").unwrap();
    let mut args = vec!["version-script"];
    args.extend(z.consumers());
    let (s, k) = (script.display().to_string(), keep.display().to_string());
    args.extend(["--provider", &z.lib, "--keep", &k, "-o", &s]);
    let stderr = ok(&z.tailor(&args, &z.argv), "tailor version-script");
    // Link the library with the script in place of zlib.map: what it exports.
    let out = z.path("libz.tailored.so");
    let mut argv = z.argv_with_script(Some(&script));
    let o = argv.iter().position(|a| a == "-o").unwrap();
    argv[o + 1] = out.display().to_string();
    run(Command::new(&argv[0]).args(&argv[1..]).current_dir(&z.dir));
    let exported = nm_defined(&out);
    for want in ["compress", "compress2", "uncompress", "gzopen"] {
        assert!(
            exported.iter().any(|e| e == want),
            "{want} exported unversioned, as in the generic library: {exported:?}"
        );
    }
    assert!(
        exported.iter().any(|e| e == "gzungetc@@ZLIB_1.2.0.2"),
        "{exported:?}"
    );
    for hidden in [
        "deflate_copyright",
        "inflate_copyright",
        "zcalloc",
        "adler32",
    ] {
        assert!(
            !exported.iter().any(|e| e.split('@').next() == Some(hidden)),
            "{hidden} must be hidden (zlib.map's own local: list, or not needed): {exported:?}"
        );
    }
    // The summary's count is the script's: names the linked library exports.
    let names: BTreeSet<&str> = exported
        .iter()
        .filter(|e| !e.starts_with("ZLIB_"))
        .map(|e| e.split('@').next().unwrap())
        .collect();
    assert!(
        stderr.contains(&format!("tailor: {} of ", names.len())),
        "summary counts {} names: {stderr}",
        names.len()
    );
    // top --exports ranks the unversioned exports too.
    let mut args = vec!["top", "--exports", "--limit", "100"];
    args.extend(z.consumers());
    args.extend(["--provider", &z.lib]);
    let o = z.tailor(&args, &z.argv);
    ok(&o, "tailor top --exports");
    let top = String::from_utf8_lossy(&o.stdout);
    for want in ["compress", "uncompress", "gzungetc"] {
        assert!(
            top.lines()
                .any(|l| l.split_whitespace().last() == Some(want)),
            "{want} in top --exports:\n{top}"
        );
    }
    assert!(!top.contains("deflate_copyright"), "{top}");
}

#[test]
fn p02_the_generic_image_is_the_commands() {
    let z = zlib();
    let out = z.path("out/libz.so.1.2.13");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let o = out.display().to_string();
    let mut args = vec!["link"];
    args.extend(z.consumers());
    args.extend(["-o", &o]);
    ok(&z.tailor(&args, &z.argv), "first tailor link");
    assert!(nm_defined(&out).iter().any(|e| e.contains("@@ZLIB_")));
    // The user drops the version script: the existing libz.so (linked with it) is not the
    // command's generic image any more, whatever its mtime says.
    let argv = z.argv_with_script(None);
    let stderr = ok(&z.tailor(&args, &argv), "tailor link without zlib.map");
    assert!(
        stderr.contains("is not what its link command gives now"),
        "{stderr}"
    );
    assert!(
        !nm_defined(&out).iter().any(|e| e.contains('@')),
        "planned from the command without a version script: no versions"
    );
    // A tailored image in the generic's place is never taken as generic, when tailor plans
    // again (the same request with the image it wrote still in place is up to date: the
    // generic's file is no input of the tailored link, so the stamp goes).
    std::fs::copy(&out, z.path(&z.lib)).unwrap();
    std::fs::remove_file(format!("{o}.tailor-stamp")).unwrap();
    let stderr = ok(&z.tailor(&args, &argv), "tailor link over a tailored image");
    assert!(stderr.contains("carries tailor's plan"), "{stderr}");
}

#[test]
fn p03_version_messages_name_the_base_version() {
    let z = zlib();
    // A versioned zlib that leaves gzungetc unversioned (at the base version).
    let script = z.path("only-base.map");
    std::fs::write(&script, "ZLIB_1.2.0 { global: compressBound; };\n").unwrap();
    let mut argv = z.argv_with_script(Some(&script));
    let o = argv.iter().position(|a| a == "-o").unwrap();
    let lib = z.path("libz.base.so");
    argv[o + 1] = lib.display().to_string();
    run(Command::new(&argv[0]).args(&argv[1..]).current_dir(&z.dir));
    let o = tailor()
        .current_dir(&z.dir)
        .args(["verify", "--provider", "libz.base.so", "examplesh"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("version missing: gzungetc@ZLIB_1.2.0.2: exported only as (unversioned)"),
        "{stdout}"
    );
    assert!(!stdout.contains("version  "), "{stdout}");
}

#[test]
fn p04_outputs_have_ordinary_modes() {
    let z = zlib();
    for (umask, image_mode, file_mode) in [("022", 0o755, 0o644), ("027", 0o750, 0o640)] {
        let out = z.path(&format!("m{umask}/libz.so.1.2.13"));
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        let cmd = format!(
            "umask {umask}; exec {} link {} -o {} --size --report {}.json --depfile {}.d -- {}",
            env!("CARGO_BIN_EXE_tailor"),
            z.consumers().join(" "),
            out.display(),
            out.display(),
            out.display(),
            shell_words(&z.argv)
        );
        let o = Command::new("sh")
            .arg("-c")
            .arg(&cmd)
            .current_dir(&z.dir)
            .output()
            .unwrap();
        ok(&o, &cmd);
        let mode = |suffix: &str| {
            let p = PathBuf::from(format!("{}{suffix}", out.display()));
            std::fs::metadata(&p)
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode(""), image_mode, "image, umask {umask}");
        assert_eq!(
            mode(".stripped"),
            image_mode,
            "stripped copy, umask {umask}"
        );
        for f in [".map", ".tailor-stamp", ".json", ".d"] {
            assert_eq!(mode(f), file_mode, "{f}, umask {umask}");
        }
    }
}

fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn p05_output_naming_the_generic_or_an_input_is_refused() {
    let z = zlib();
    let before = std::fs::read(z.path(&z.lib)).unwrap();
    for (target, says) in [(z.lib.as_str(), "own output"), ("adler32.lo", "an input")] {
        let o = z.tailor(&["link", "examplesh", "-o", target], &z.argv);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(says) && stderr.lines().count() == 1,
            "{stderr}"
        );
    }
    assert_eq!(std::fs::read(z.path(&z.lib)).unwrap(), before);
}

#[test]
fn p06_consumers_that_need_nothing_are_named() {
    let z = zlib();
    let ls = need_tool("ls", "coreutils").display().to_string();
    let o = z.tailor(&["link", &ls, "-o", "out.so"], &z.argv);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("none of the") && stderr.contains(&ls),
        "{stderr}"
    );
    assert!(!z.path("out.so").exists());
    let o = z.tailor(&["link", &ls, "examplesh", "-o", "out.so"], &z.argv);
    let stderr = ok(&o, "ls and examplesh");
    assert!(
        stderr.contains(&format!("warning: {ls} does not link against libz.so.1")),
        "{stderr}"
    );
}

#[test]
fn p06b_imports_nobody_provides_are_reported_not_blamed_on_tailoring() {
    let z = zlib();
    write(
        &z.dir,
        "user.c",
        "#include <zlib.h>\nextern int nosuch_function(void);\n\
         int main(int c, char **v) { (void)v; return c > 5 ? nosuch_function() : !zlibVersion(); }\n",
    );
    // The consumer was linked against a libstub.so (found through its RUNPATH, $ORIGIN) that
    // defined the function; the libstub.so beside it now does not.
    write(
        &z.dir,
        "stub.c",
        "int nosuch_function(void) { return 0; }\n",
    );
    write(
        &z.dir,
        "stub2.c",
        "int other_function(void) { return 0; }\n",
    );
    gcc(&z.dir, &["-shared", "-fPIC", "stub.c", "-o", "libstub.so"]);
    gcc(
        &z.dir,
        &[
            "-I.",
            "user.c",
            "-o",
            "user",
            "-L.",
            "-lstub",
            "-lz",
            "-Wl,-rpath,$ORIGIN",
        ],
    );
    let o = z.tailor(&["link", "user", "examplesh", "-o", "out.so"], &z.argv);
    let stderr = ok(&o, "a consumer whose libraries define everything");
    assert!(!stderr.contains("nosuch_function"), "{stderr}");
    gcc(&z.dir, &["-shared", "-fPIC", "stub2.c", "-o", "libstub.so"]);
    let o = z.tailor(&["link", "user", "examplesh", "-o", "out2.so"], &z.argv);
    let stderr = ok(&o, "a consumer with an import nobody defines");
    let line = stderr
        .lines()
        .find(|l| l.contains("nosuch_function"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        line.contains("the generic image has it too") && line.contains("unresolved"),
        "{line}"
    );
    // What libc.so.6 (the consumer's other library) defines is not reported.
    assert!(!stderr.contains("printf"), "{stderr}");
}

#[test]
fn p09_size_names_what_it_changes_and_changes_it_on_gnu_ld() {
    let z = zlib();
    let mut sizes = Vec::new();
    for extra in [&[][..], &["--size"][..]] {
        let out = format!("s{}.so", extra.len());
        let mut args = vec!["link", "examplesh", "--linker", "bfd", "-o", &out];
        args.extend(extra);
        ok(&z.tailor(&args, &z.argv), "tailor link (bfd)");
        sizes.push(std::fs::metadata(z.path(&out)).unwrap().len());
    }
    assert!(sizes[1] < sizes[0], "--size with GNU ld: {sizes:?}");
    let help = String::from_utf8_lossy(&tailor().args(["link", "--help"]).output().unwrap().stdout)
        .into_owned();
    assert!(
        help.contains("noseparate-code") && help.contains("lld and mold"),
        "{help}"
    );
}

#[test]
fn p11_version_script_and_link_agree_on_by_name_lookups() {
    let l = libs();
    let dir = l.path("PNG_DIR_FS");
    let argv = l.link_command("PNG_LINK_FS");
    let consumers: Vec<String> = l
        .get("PNG_CONSUMERS_FS")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let lib = l.path("PNG_LIB_FS").display().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("libpng16.so");
    let script = tmp.path().join("vs.map");
    let mut c = tailor();
    c.current_dir(&dir).arg("link").args(&consumers);
    c.arg("-o").arg(&out).arg("--").args(&argv);
    ok(&c.output().unwrap(), "tailor link");
    let linked = std::fs::read_to_string(format!("{}.map", out.display())).unwrap();
    let mut c = tailor();
    c.current_dir(&dir).arg("version-script").args(&consumers);
    c.args(["--provider", &lib, "-o"]).arg(&script);
    c.arg("--").args(&argv);
    ok(
        &c.output().unwrap(),
        "tailor version-script with the link command",
    );
    let written = std::fs::read_to_string(&script).unwrap();
    assert_eq!(script_globals(&linked), script_globals(&written));
    // Without the link command every string of the image counts, and it says so.
    let mut c = tailor();
    c.current_dir(&dir).arg("version-script").args(&consumers);
    c.args(["--provider", &lib, "-o"]).arg(&script);
    let stderr = ok(&c.output().unwrap(), "tailor version-script");
    let extra = script_globals(&std::fs::read_to_string(&script).unwrap()).len()
        - script_globals(&linked).len();
    if extra > 0 {
        assert!(
            stderr.contains("only because strings in") && stderr.contains("link command"),
            "{stderr}"
        );
    }
}

#[test]
fn p12_verbose_shows_every_command_and_the_report_has_the_tailored_one() {
    let z = zlib();
    let o = z.tailor(
        &[
            "-v",
            "link",
            "examplesh",
            "-o",
            "v.so",
            "--report",
            "r.json",
        ],
        &z.argv,
    );
    let stderr = ok(&o, "tailor -v link");
    let ran: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("tailor: running: "))
        .collect();
    // The driver's answer is asked for, or taken from the driver cache (which -v says).
    assert!(
        ran.iter().any(|l| l.contains("-###")) || stderr.contains(" -###: from the cache "),
        "{stderr}"
    );
    assert!(
        ran.iter()
            .any(|l| l.contains("--version-script=") && l.contains("--gc-sections")),
        "the tailored link: {stderr}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(z.path("r.json")).unwrap()).unwrap();
    let cmd: Vec<&str> = report["tailored_command"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(cmd.iter().any(|a| a.contains("v.so.map")), "{cmd:?}");
    // The report's export counts are nm's.
    assert_eq!(
        report["exports_generic"].as_u64().unwrap() as usize,
        nm_defined(&z.path(&z.lib)).len()
    );
    assert_eq!(
        report["exports_tailored"].as_u64().unwrap() as usize,
        nm_defined(&z.path("v.so")).len()
    );
}

#[test]
fn p13_totals_add_up_and_missing_comes_first() {
    let z = zlib();
    let json = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["top", "--format", "json", "--limit", "3"];
        args.extend(extra);
        args.extend(["examplesh", "--provider", &z.lib]);
        let o = z.tailor(&args, &z.argv);
        ok(&o, "tailor top");
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
    let sections = json(&[]);
    let sum: u64 = sections["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| n(&r["size"]))
        .sum::<u64>()
        + n(&sections["remainder"]["size"]);
    assert_eq!(sum, n(&sections["total_live_bytes"]), "{sections}");
    let exports = json(&["--exports"]);
    let sum: u64 = exports["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| n(&r["retained"]))
        .sum::<u64>()
        + n(&exports["remainder"]["retained"])
        + n(&exports["shared"]["retained"]);
    assert_eq!(sum, n(&exports["total_live_bytes"]), "{exports}");
    // A library exporting one name: verification against the generic lists what is missing
    // before what is extra.
    let script = z.path("one.map");
    std::fs::write(
        &script,
        "ZLIB_1.2.0 { global: compressBound; local: *; };\n",
    )
    .unwrap();
    let mut argv = z.argv_with_script(Some(&script));
    let o = argv.iter().position(|a| a == "-o").unwrap();
    argv[o + 1] = z.path("libz.one.so").display().to_string();
    run(Command::new(&argv[0]).args(&argv[1..]).current_dir(&z.dir));
    let o = tailor()
        .current_dir(&z.dir)
        .args(["verify", "--provider", "libz.one.so", "--generic", &z.lib])
        .args(z.consumers())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    let first = |what: &str| stdout.lines().position(|l| l.starts_with(what));
    let (missing, extra) = (first("missing:"), first("extra export:"));
    assert!(
        missing.is_some() && extra.is_some() && missing < extra,
        "{stdout}"
    );
}

#[test]
fn p20_the_tailored_image_is_never_larger_than_the_generic() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    write(
        d,
        "lib.c",
        "int one(void) { return 1; }\nint two(void) { return 2; }\n",
    );
    gcc(d, &["-c", "-fPIC", "lib.c", "-o", "lib.o"]);
    write(
        d,
        "app.c",
        "int one(void); int two(void);\nint main(void) { return one() + two() - 3; }\n",
    );
    let argv: Vec<String> = [
        "gcc",
        "-shared",
        "-fPIC",
        "-Wl,-soname,libt.so",
        "-o",
        "libt.so",
        "lib.o",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    run(Command::new(&argv[0]).args(&argv[1..]).current_dir(d));
    gcc(d, &["app.c", "-o", "app", "-L.", "-lt"]);
    for linker in ["bfd", "lld", "mold"] {
        let out = format!("t-{linker}.so");
        let o = tailor()
            .current_dir(d)
            .args(["link", "app", "--linker", linker, "-o", &out, "--"])
            .args(&argv)
            .output()
            .unwrap();
        ok(&o, linker);
        let generic = d.join(format!("g-{linker}.so"));
        let mut g = argv.clone();
        g[5] = generic.display().to_string();
        g.push(format!("-fuse-ld={linker}"));
        run(Command::new(&g[0]).args(&g[1..]).current_dir(d));
        let (t, gsize) = (
            std::fs::metadata(d.join(&out)).unwrap().len(),
            std::fs::metadata(&generic).unwrap().len(),
        );
        assert!(t <= gsize, "{linker}: tailored {t} B, generic {gsize} B");
    }
}
