//! Four real libraries from Debian's source packages — zlib, expat, sqlite and libpng — built
//! with their own build systems (./configure && make, CMake, autoconf + libtool) by
//! scripts/libs-build.sh, plain and with function sections, and re-linked by tailor with their
//! own link commands for their own programs, with GNU ld, lld and mold, with and without
//! `--size`. Every program's functional test (scripts/libs/*.sh) must print exactly what it
//! prints on the generic library, the dynamic linker's trace must show the tailored file was
//! the one loaded, and the tailored library must export less. One functional test per library
//! also runs as an unprivileged user (the tailored file's mode must let it load).
//! Prints a table of sizes per library (`--nocapture`).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::libs::{libs, Libs};
use common::*;

/// A library of libs-build.sh and its functional test.
struct Library {
    name: &'static str,
    /// The libs-build.sh key prefix (ZLIB_DIR, ZLIB_LINK, ...).
    key: &'static str,
    /// The driver in scripts/libs.
    driver: &'static str,
    /// Keys of the consumers, in the driver's argument order (suffixed by the build).
    consumers: &'static [&'static str],
    /// Keys of further driver arguments (not suffixed).
    extra: &'static [&'static str],
}

const ZLIB: Library = Library {
    name: "zlib",
    key: "ZLIB",
    driver: "zlib.sh",
    consumers: &["ZLIB_MINIGZIP", "ZLIB_EXAMPLE"],
    extra: &[],
};
const EXPAT: Library = Library {
    name: "expat",
    key: "EXPAT",
    driver: "expat.sh",
    consumers: &["EXPAT_XMLWF"],
    extra: &[],
};
const SQLITE: Library = Library {
    name: "sqlite",
    key: "SQLITE",
    driver: "sqlite.sh",
    consumers: &["SQLITE_SHELL"],
    extra: &[],
};
const LIBPNG: Library = Library {
    name: "libpng",
    key: "PNG",
    driver: "png.sh",
    consumers: &["PNG_PNGTEST", "PNG_PNGCP", "PNG_PNGFIX"],
    extra: &["PNG_SRC"],
};

/// (name, key suffix) of the two builds.
const BUILDS: [(&str, &str); 2] = [("plain", ""), ("function-sections", "_FS")];
/// (--linker, program, Debian package).
const LINKERS: [(&str, &str, &str); 3] = [
    ("bfd", "ld.bfd", "binutils"),
    ("lld", "ld.lld", "lld"),
    ("mold", "mold", "mold"),
];

/// One build of a library, as libs-build.sh describes it.
struct Build<'a> {
    lib: &'a Library,
    name: &'static str,
    sfx: &'static str,
    libs: &'a Libs,
}

impl Build<'_> {
    fn key(&self, k: &str) -> String {
        format!("{}_{k}{}", self.lib.key, self.sfx)
    }
    fn path(&self, k: &str) -> PathBuf {
        self.libs.path(&self.key(k))
    }
    fn soname(&self) -> String {
        self.libs.get(&self.key("SONAME")).to_string()
    }
    fn consumers(&self) -> Vec<PathBuf> {
        self.lib
            .consumers
            .iter()
            .map(|k| self.libs.path(&format!("{k}{}", self.sfx)))
            .collect()
    }
    fn driver_args(&self) -> Vec<PathBuf> {
        let mut args = self.consumers();
        args.extend(self.lib.extra.iter().map(|k| self.libs.path(k)));
        args
    }
    fn what(&self) -> String {
        format!("{} ({})", self.lib.name, self.name)
    }
}

/// A directory `parent/name` holding `image` under the library's soname (copied, so the mode
/// tailor gave it is kept).
fn lib_dir(parent: &Path, name: &str, image: &Path, soname: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(image, dir.join(soname))
        .unwrap_or_else(|e| panic!("copying {} into {}: {e}", image.display(), dir.display()));
    dir
}

fn is_root() -> bool {
    let out = run(Command::new("id").arg("-u"));
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// Runs the build's functional test driver in a fresh directory `work` (scratch/ for the
/// driver, lddebug/ for the dynamic linker's trace) with LD_LIBRARY_PATH=libdir, as the
/// unprivileged user `nobody` when `nobody` (and the tests run as root). Returns the driver's
/// transcript, after checking from the dynamic linker's own trace (LD_DEBUG=libs) that every
/// process that looked the soname up loaded libdir/SONAME, and that some process did.
fn functional(b: &Build, libdir: &Path, work: &Path, nobody: bool) -> Result<String, String> {
    let scratch = work.join("scratch");
    let debug = work.join("lddebug");
    for d in [&scratch, &debug] {
        std::fs::create_dir_all(d).unwrap();
        if nobody {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
    }
    let driver = b.libs.tests_dir().join(b.lib.driver);
    // The loader's trace variables are set by `env` once the user is switched: set on
    // setpriv (root), its trace file `ld.PID` would be root's, and the program it becomes
    // (same PID, now nobody) could not append to it and would trace to stderr instead.
    let trace = [
        "LD_DEBUG=libs".to_string(),
        format!("LD_DEBUG_OUTPUT={}", debug.join("ld").display()),
        format!("LD_LIBRARY_PATH={}", libdir.display()),
    ];
    let mut cmd = if nobody && is_root() {
        let setpriv = need_tool("setpriv", "util-linux");
        let mut c = Command::new(setpriv);
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "env"]);
        c.args(&trace);
        c.arg("bash");
        c
    } else {
        let mut c = Command::new(need_tool("env", "coreutils"));
        c.args(&trace);
        c.arg("bash");
        c
    };
    cmd.arg(&driver)
        .args(b.driver_args())
        .current_dir(&scratch)
        .env("HOME", &scratch)
        .env("LC_ALL", "C")
        .env("TZ", "UTC");
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stderr.is_empty() {
        text.push_str("--- stderr\n");
        text.push_str(&stderr);
    }
    if !out.status.success() {
        return Err(format!("{cmd:?} failed ({}):\n{text}", out.status));
    }
    let want = libdir.join(b.soname());
    let (lookups, wrong) = loaded_from_trace(&debug, &b.soname(), &want);
    if lookups == 0 {
        return Err(format!(
            "no process looked {} up (LD_DEBUG trace in {})",
            b.soname(),
            debug.display()
        ));
    }
    if !wrong.is_empty() {
        let files: std::collections::BTreeSet<&String> = wrong.iter().collect();
        return Err(format!(
            "{} of {lookups} processes did not load {}: they loaded {files:?}",
            wrong.len(),
            want.display()
        ));
    }
    Ok(text)
}

/// From the LD_DEBUG=libs trace files in `dir`: how many lookups of `soname` there were, and
/// the files loaded instead of `want` (the last `trying file=` of a lookup is the one that
/// opened).
fn loaded_from_trace(dir: &Path, soname: &str, want: &Path) -> (usize, Vec<String>) {
    let (mut lookups, mut wrong) = (0, Vec::new());
    let start = format!("find library={soname} [");
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        // Each line is "PID:\tmessage"; a lookup's lines end at an empty message.
        let messages: Vec<&str> = text
            .lines()
            .map(|l| l.split_once(":\t").map_or("", |(_, m)| m))
            .collect();
        let mut i = 0;
        while i < messages.len() {
            if messages[i].starts_with(&start) {
                lookups += 1;
                let mut last = None;
                i += 1;
                while i < messages.len() && !messages[i].trim().is_empty() {
                    if let Some(f) = messages[i].trim().strip_prefix("trying file=") {
                        last = Some(f.to_string());
                    }
                    i += 1;
                }
                match last {
                    Some(f) if Path::new(&f) == want => {}
                    other => wrong.push(other.unwrap_or_else(|| "nothing".to_string())),
                }
            }
            i += 1;
        }
    }
    (lookups, wrong)
}

fn nm_exports(image: &Path) -> usize {
    parse_nm_defined(&tool_stdout(
        "nm",
        "binutils",
        &["-D", "--defined-only", &image.display().to_string()],
    ))
    .len()
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .len()
}

/// What `strip` leaves of an image (the generic library's figure beside tailor's stripped one).
fn stripped_size(image: &Path, tmp: &Path) -> u64 {
    let out = tmp.join(format!(
        "{}.stripped",
        image.file_name().unwrap().to_string_lossy()
    ));
    run(Command::new(need_tool("strip", "binutils"))
        .arg("--strip-all")
        .arg("-o")
        .arg(&out)
        .arg(image));
    file_size(&out)
}

/// A row of the size table.
struct Row {
    /// The tailored image.
    image: PathBuf,
    build: &'static str,
    linker: &'static str,
    size: bool,
    generic: u64,
    generic_stripped: u64,
    tailored: u64,
    tailored_stripped: Option<u64>,
    exports_generic: u64,
    exports_tailored: u64,
    sections_removed: u64,
}

/// The generic library's transcript (twice, to be sure the driver is deterministic).
fn generic_transcript(b: &Build, tmp: &Path) -> String {
    let generic = b.path("LIB");
    let dir = lib_dir(tmp, &format!("generic-{}", b.name), &generic, &b.soname());
    let first = functional(
        b,
        &dir,
        &tmp.join(format!("run-generic-{}-1", b.name)),
        false,
    )
    .unwrap_or_else(|e| panic!("{}: the generic library: {e}", b.what()));
    let second = functional(
        b,
        &dir,
        &tmp.join(format!("run-generic-{}-2", b.name)),
        false,
    )
    .unwrap_or_else(|e| panic!("{}: the generic library: {e}", b.what()));
    assert_eq!(
        first,
        second,
        "{}: the functional test {} is not deterministic",
        b.what(),
        b.lib.driver
    );
    assert!(
        first.lines().count() > 10,
        "{}: functional test output too short:\n{first}",
        b.what()
    );
    first
}

/// Tailors one build with one linker, checks it, returns its table row.
fn tailor_one(
    b: &Build,
    linker: &'static str,
    size: bool,
    expected: &str,
    tmp: &Path,
) -> Result<Row, String> {
    let what = format!("{} {linker}{}", b.what(), if size { " --size" } else { "" });
    let generic = b.path("LIB");
    let tag = format!("{}-{linker}{}", b.name, if size { "-size" } else { "" });
    let outdir = tmp.join(&tag);
    std::fs::create_dir_all(&outdir).unwrap();
    let out = outdir.join(generic.file_name().unwrap());
    let report_path = outdir.join("report.json");
    let mut cmd = tailor();
    cmd.current_dir(b.path("DIR"))
        .arg("link")
        .args(b.consumers())
        .args(["--linker", linker]);
    if size {
        cmd.arg("--size");
    }
    cmd.arg("-o")
        .arg(&out)
        .arg("--report")
        .arg(&report_path)
        .arg("--")
        .args(b.libs.link_command(&b.key("LINK")));
    let o = cmd.output().unwrap();
    if !o.status.success() {
        return Err(format!(
            "{what}: tailor link failed ({}): {}{}\n  command: (cd {} && {cmd:?})",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
            b.path("DIR").display()
        ));
    }
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&report_path).map_err(|e| format!("{what}: the report: {e}"))?,
    )
    .map_err(|e| format!("{what}: the report: {e}"))?;
    let problems = &report["verification"]["problems"];
    if !problems.as_array().is_some_and(|p| p.is_empty()) {
        return Err(format!("{what}: verification problems: {problems}"));
    }
    let generic_exports = nm_exports(&generic);
    let mut images = vec![out.clone()];
    if size {
        images.push(PathBuf::from(format!("{}.stripped", out.display())));
    }
    for image in &images {
        let name = image.file_name().unwrap().to_string_lossy().into_owned();
        let dir = lib_dir(&outdir, &format!("lib-{name}"), image, &b.soname());
        let got = functional(b, &dir, &outdir.join(format!("run-{name}")), false)
            .map_err(|e| format!("{what}: {name}: {e}"))?;
        if got != expected {
            return Err(format!(
                "{what}: {name}: the functional test's output differs from the generic \
                 library's:\n{}",
                first_difference(expected, &got)
            ));
        }
        let exports = nm_exports(image);
        if exports >= generic_exports {
            return Err(format!(
                "{what}: {name} exports {exports} symbols, the generic {generic_exports}"
            ));
        }
    }
    let num = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
    // The size table compares like with like: the generic image linked with the same linker
    // (the build's own when that is the linker), both stripped alike.
    let same_linker_generic = if linker == "bfd" {
        generic.clone()
    } else {
        let path = outdir.join(format!("generic-{linker}"));
        let mut argv = b.libs.link_command(&b.key("LINK"));
        let o = argv
            .iter()
            .position(|a| a == "-o")
            .expect("the link command's -o");
        argv[o + 1] = path.display().to_string();
        argv.push(format!("-fuse-ld={linker}"));
        let st = Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(b.path("DIR"))
            .status()
            .unwrap();
        assert!(
            st.success(),
            "{what}: linking the generic image with {linker}"
        );
        path
    };
    let generic_size = num(&report["generic_stats"]["file_size"]);
    if generic_size != file_size(&same_linker_generic) {
        return Err(format!(
            "{what}: the report's generic image is {generic_size} bytes; the command linked \
             with {linker} gives {}",
            file_size(&same_linker_generic)
        ));
    }
    let tailored_size = num(&report["tailored_stats"]["file_size"]);
    if tailored_size > generic_size {
        return Err(format!(
            "{what}: the tailored image ({tailored_size} B) is larger than the generic one \
             ({generic_size} B)"
        ));
    }
    let generic_stripped = stripped_size(&same_linker_generic, &outdir);
    if size && num(&report["stripped"]["generic"]["file_size"]) != generic_stripped {
        return Err(format!(
            "{what}: the report's stripped generic is {} bytes, strip gives {generic_stripped}",
            report["stripped"]["generic"]["file_size"]
        ));
    }
    Ok(Row {
        image: out,
        build: b.name,
        linker,
        size,
        generic: generic_size,
        generic_stripped,
        tailored: num(&report["tailored_stats"]["file_size"]),
        tailored_stripped: report["stripped"]["stats"]["file_size"].as_u64(),
        exports_generic: num(&report["exports_generic"]),
        exports_tailored: num(&report["exports_tailored"]),
        sections_removed: num(&report["sections_removed"]),
    })
}

/// The first differing line of two transcripts, with its neighbours.
fn first_difference(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let i = (0..w.len().max(g.len()))
        .find(|&i| w.get(i) != g.get(i))
        .unwrap_or(0);
    let from = i.saturating_sub(3);
    format!(
        "at line {}:\n  generic:  {:?}\n  tailored: {:?}",
        i + 1,
        &w[from.min(w.len())..(i + 3).min(w.len())],
        &g[from.min(g.len())..(i + 3).min(g.len())]
    )
}

/// One functional test as an unprivileged user, from a directory it can read, with the
/// tailored image exactly as tailor wrote it (mode included).
fn as_nobody(b: &Build, image: &Path, expected: &str) -> Result<(), String> {
    let base = tempfile::Builder::new()
        .prefix("tailor-libs-nobody")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mode = std::fs::metadata(image).unwrap().permissions().mode() & 0o7777;
    let dir = lib_dir(base.path(), "lib", image, &b.soname());
    let got = functional(b, &dir, &base.path().join("run"), true).map_err(|e| {
        format!(
            "{}: as nobody, with {} (mode {mode:04o}): {e}",
            b.what(),
            image.display()
        )
    })?;
    if got != expected {
        return Err(format!(
            "{}: as nobody, the output differs from the generic library's:\n{}",
            b.what(),
            first_difference(expected, &got)
        ));
    }
    Ok(())
}

fn print_table(lib: &Library, rows: &[Row]) {
    eprintln!(
        "\n{}: sizes in bytes (generic -> tailored), exports, sections removed",
        lib.name
    );
    eprintln!(
        "{:<18} {:<5} {:<6} {:>9} {:>9} {:>9} {:>9} {:>13} {:>8}",
        "build",
        "ld",
        "--size",
        "generic",
        "stripped",
        "tailored",
        "stripped",
        "exports",
        "removed"
    );
    for r in rows {
        eprintln!(
            "{:<18} {:<5} {:<6} {:>9} {:>9} {:>9} {:>9} {:>13} {:>8}",
            r.build,
            r.linker,
            if r.size { "yes" } else { "no" },
            r.generic,
            r.generic_stripped,
            r.tailored,
            r.tailored_stripped
                .map_or_else(|| "-".to_string(), |s| s.to_string()),
            format!("{} -> {}", r.exports_generic, r.exports_tailored),
            r.sections_removed
        );
    }
}

/// The whole matrix for one library: builds x linkers x {no --size, --size}; then one run as
/// nobody. Every failure is collected (and printed) before the test fails.
fn library(lib: &'static Library) {
    for (_, program, package) in LINKERS {
        need_tool(program, package);
    }
    for (tool, package) in [
        ("readelf", "binutils"),
        ("nm", "binutils"),
        ("strip", "binutils"),
    ] {
        need_tool(tool, package);
    }
    let start = Instant::now();
    let l = libs();
    let tmp = tempfile::tempdir().unwrap();
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    let mut first_image = None;
    for (name, sfx) in BUILDS {
        let b = Build {
            lib,
            name,
            sfx,
            libs: l,
        };
        let expected = generic_transcript(&b, tmp.path());
        for (linker, _, _) in LINKERS {
            for size in [false, true] {
                match tailor_one(&b, linker, size, &expected, tmp.path()) {
                    Ok(r) => {
                        eprintln!("{}: {linker} size={size}: ok", b.what());
                        if first_image.is_none() && !size {
                            first_image = Some((b.sfx, r.image.clone(), expected.clone()));
                        }
                        rows.push(r)
                    }
                    Err(e) => {
                        eprintln!("{}: {linker} size={size}: FAILED: {e}", b.what());
                        failures.push(e)
                    }
                }
            }
        }
    }
    print_table(lib, &rows);
    eprintln!("{}: {:.1} s", lib.name, start.elapsed().as_secs_f64());
    // The unprivileged run, on the first image tailored without --size.
    match first_image {
        Some((sfx, image, expected)) => {
            let (name, _) = BUILDS.iter().find(|(_, s)| *s == sfx).unwrap();
            let b = Build {
                lib,
                name,
                sfx,
                libs: l,
            };
            if let Err(e) = as_nobody(&b, &image, &expected) {
                eprintln!("{e}");
                failures.push(e);
            }
        }
        None => failures.push(format!("{}: no tailored image to run as nobody", lib.name)),
    }
    assert!(
        failures.is_empty(),
        "{}: {} failures ({} builds x {} linkers x 2, and the run as nobody):\n{}",
        lib.name,
        failures.len(),
        BUILDS.len(),
        LINKERS.len(),
        failures.join("\n")
    );
}

#[test]
fn zlib_tailored_to_minigzip_and_example() {
    library(&ZLIB);
}

#[test]
fn expat_tailored_to_xmlwf() {
    library(&EXPAT);
}

#[test]
fn sqlite_tailored_to_its_shell() {
    library(&SQLITE);
}

#[test]
fn libpng_tailored_to_pngtest_pngcp_and_pngfix() {
    library(&LIBPNG);
}
