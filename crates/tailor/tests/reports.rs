//! The reports people look at, on musl's libc tailored to hello and lua: `tailor diff` checked
//! against the real toolchain (file sizes, `size -A`, `readelf -S`, `nm -D`, and `nm
//! --size-sort` read by Linux's bloat-o-meter rule), and the HTML pages of `link --report`,
//! `gc --format html` and `diff --format html` loaded in headless chromium: the DOM holds the
//! JSON report's figures, and a screenshot of the musl report is written.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::browser;
use common::e2e::{e2e, E2e};
use common::*;
use serde_json::Value;

/// The tailored libc for hello and lua, with its HTML report; returns (image, report page).
fn tailored(e: &E2e, dir: &Path) -> (PathBuf, PathBuf) {
    let out = dir.join("libc.so");
    let page = dir.join("report.html");
    let mut cmd = tailor();
    cmd.current_dir(e.path("MUSL_DIR"))
        .arg("link")
        .arg(e.path("HELLO"))
        .arg(e.path("LUA"))
        .arg("-o")
        .arg(&out)
        .arg("--report")
        .arg(&page)
        .arg("--")
        .arg(e.get("LINK_CC"))
        .arg(format!("@{}", e.get("LINK_RSP")));
    run(&mut cmd);
    (out, page)
}

/// `tailor diff OLD NEW --format json [-- LINK...]` run in `dir`.
fn diff_json(dir: &Path, old: &Path, new: &Path, link: &[String]) -> Value {
    let mut cmd = tailor();
    cmd.current_dir(dir)
        .arg("diff")
        .arg(old)
        .arg(new)
        .args(["--format", "json"]);
    if !link.is_empty() {
        cmd.arg("--").args(link);
    }
    serde_json::from_slice(&run(&mut cmd).stdout).expect("diff --format json")
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}
fn i(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// `size -A`'s rows (name → size) and its Total.
fn size_a(path: &Path) -> (BTreeMap<String, u64>, u64) {
    let text = tool_stdout("size", "binutils", &["-A", &path.display().to_string()]);
    let mut rows = BTreeMap::new();
    let mut total = None;
    for line in text.lines().skip(2) {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            ["Total", t] => total = Some(t.parse().unwrap()),
            [name, size, _addr] => {
                rows.insert(name.to_string(), size.parse().unwrap());
            }
            _ => {}
        }
    }
    (rows, total.expect("size -A prints a Total"))
}

/// `readelf -SW`'s sections: (name, type, size, flags), the null section left out.
fn readelf_sections(path: &Path) -> Vec<(String, String, u64, String)> {
    let text = tool_stdout("readelf", "binutils", &["-SW", &path.display().to_string()]);
    text.lines()
        .filter_map(|l| {
            let rest = l.trim_start().strip_prefix('[')?;
            let rest = &rest[rest.find(']')? + 1..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            if f.len() < 9 || f[1] == "NULL" || f[0] == "Nr" {
                return None;
            }
            let flags = if f.len() >= 10 { f[6] } else { "" };
            Some((
                f[0].to_string(),
                f[1].to_string(),
                u64::from_str_radix(f[4], 16).ok()?,
                flags.to_string(),
            ))
        })
        .collect()
}

/// Linux's `scripts/bloat-o-meter` (`getsizes`, default mode): the `nm --size-sort` lines
/// whose type is one of `tTdDbBrR`, skipping lines with a `:`, the generated names it strips,
/// every `.NUMBER` removed from a name, sizes of equal names added.
fn bloat_o_meter_sizes(path: &Path) -> BTreeMap<String, u64> {
    let text = tool_stdout(
        "nm",
        "binutils",
        &["--size-sort", &path.display().to_string()],
    );
    let mut sizes = BTreeMap::new();
    for line in text.lines() {
        if line.is_empty() || line.contains(':') {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let [size, kind, name] = f.as_slice() else {
            continue;
        };
        if !"tTdDbBrR".contains(*kind) {
            continue;
        }
        if ["__mod_", "__se_sys", "__se_compat_sys", "__addressable_"]
            .iter()
            .any(|p| name.starts_with(p))
            || *name == "linux_banner"
            || *name == "vermagic"
        {
            continue;
        }
        let mut stripped = String::new();
        let mut chars = name.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '.' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                    chars.next();
                }
                continue;
            }
            stripped.push(c);
        }
        *sizes.entry(stripped).or_insert(0) += u64::from_str_radix(size, 16).unwrap();
    }
    sizes
}

/// bloat-o-meter's `calc`: (add, remove, grow, shrink, up, down, rows (delta, name) sorted
/// descending with the zero deltas left out, old total, new total).
type Calc = (
    usize,
    usize,
    usize,
    usize,
    u64,
    u64,
    Vec<(i64, String)>,
    u64,
    u64,
);
fn bloat_o_meter(old: &Path, new: &Path) -> Calc {
    let (o, n) = (bloat_o_meter_sizes(old), bloat_o_meter_sizes(new));
    let (mut add, mut remove, mut grow, mut shrink, mut up, mut down) = (0, 0, 0, 0, 0, 0);
    let mut delta = Vec::new();
    for (name, &s) in &o {
        if !n.contains_key(name) {
            remove += 1;
            down += s;
            delta.push((-(s as i64), name.clone()));
        }
    }
    for (name, &s) in &n {
        match o.get(name) {
            None => {
                add += 1;
                up += s;
                delta.push((s as i64, name.clone()));
            }
            Some(&was) => {
                let d = s as i64 - was as i64;
                if d > 0 {
                    grow += 1;
                    up += d as u64;
                }
                if d < 0 {
                    shrink += 1;
                    down += (-d) as u64;
                }
                delta.push((d, name.clone()));
            }
        }
    }
    delta.sort_by(|a, b| b.cmp(a));
    delta.retain(|d| d.0 != 0);
    (
        add,
        remove,
        grow,
        shrink,
        up,
        down,
        delta,
        o.values().sum(),
        n.values().sum(),
    )
}

fn nm_dynamic_defined(path: &Path) -> BTreeSet<String> {
    parse_nm_defined(&tool_stdout(
        "nm",
        "binutils",
        &["-D", "--defined-only", &path.display().to_string()],
    ))
}

/// `diff`'s section rows by name.
fn section_rows(d: &Value) -> BTreeMap<String, Value> {
    d["sections"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

#[test]
fn diff_of_generic_and_tailored_musl_agrees_with_the_toolchain() {
    let e = e2e();
    let dir = tempfile::tempdir().unwrap();
    let (new, _) = tailored(&e, dir.path());
    let old = e.path("LIBC");
    let link = [
        e.get("LINK_CC").to_string(),
        format!("@{}", e.get("LINK_RSP")),
    ];
    let d = diff_json(&e.path("MUSL_DIR"), &old, &new, &link);
    check_diff(&d, &old, &new, &e.path("MUSL_DIR"));
    assert!(
        u(&d["symbols"]["removed"]) > 1000,
        "musl's tailored libc lost few symbols?"
    );

    // Without the link command, only locals have objects (STT_FILE); the totals are the same.
    let plain = diff_json(&e.path("MUSL_DIR"), &old, &new, &[]);
    assert_eq!(plain["objects"]["attributed_by"], "STT_FILE");
    assert_eq!(plain["sections"], d["sections"]);
    assert_eq!(plain["symbols"], d["symbols"]);
    // Byte-identical for identical input.
    assert_eq!(diff_json(&e.path("MUSL_DIR"), &old, &new, &link), d);
}

/// OSv's generic kernel (its own build, scripts/osv-build.sh) against the kernel tailored to
/// hello, lua and sqlite3 by its own link command.
#[test]
fn diff_of_generic_and_tailored_osv_kernel_agrees_with_the_toolchain() {
    let e = common::osv::osv();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("loader.elf");
    let page = dir.path().join("report.html");
    let ld = e.get("OSV_LINK_LD").to_string();
    let link = [ld, format!("@{}", e.get("OSV_LINK_RSP"))];
    run(tailor()
        .current_dir(e.path("OSV_DIR"))
        .arg("link")
        .arg(e.path("OSV_HELLO"))
        .arg(e.path("OSV_LUA"))
        .arg(e.path("OSV_SQLITE3"))
        .arg("-o")
        .arg(&out)
        .arg("--report")
        .arg(&page)
        .arg("--")
        .args(&link));
    let old = e.path("OSV_LOADER");
    let d = diff_json(&e.path("OSV_DIR"), &old, &out, &link);
    check_diff(&d, &old, &out, &e.path("OSV_DIR"));
    // The kernel's page in the browser: its figures, and a screenshot.
    let report = browser::embedded_json(&std::fs::read_to_string(&page).unwrap());
    let mut figures = map_figures(&report["map"]);
    figures.insert("tailored-file-size", std::fs::metadata(&out).unwrap().len());
    assert_dom_has(&browser::dump_dom(&page, ""), &figures);
    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reports/osv-link-report.png");
    std::fs::create_dir_all(png.parent().unwrap()).unwrap();
    assert_eq!(browser::screenshot(&page, "", &png), (1280, 1400));
    eprintln!("screenshot: {}", png.display());
}

/// Checks a diff report of `old` and `new` against the files, `readelf -S`, `size -A`,
/// `nm --size-sort` read by bloat-o-meter's rule and `nm -D`; its objects (from the link,
/// relative to `objects_dir`) against the objects' own sections.
fn check_diff(d: &Value, old: &Path, new: &Path, objects_dir: &Path) {
    // Totals: the files' sizes; the allocated bytes of readelf -S.
    let file_len = |p: &Path| std::fs::metadata(p).unwrap().len();
    let tf = &d["sections"]["total_file"];
    assert_eq!(u(&tf["old"]), file_len(old));
    assert_eq!(u(&tf["new"]), file_len(new));
    assert_eq!(i(&tf["delta"]), file_len(new) as i64 - file_len(old) as i64);
    assert_eq!(u(&d["file_size"]["new"]), file_len(new));
    let rows = section_rows(d);
    for (side, path) in [("old", old), ("new", new)] {
        let sections = readelf_sections(path);
        // Every section header, with its size.
        let mut seen = BTreeSet::new();
        for (name, _, size, _) in &sections {
            assert!(seen.insert(name.clone()), "{name} twice in {path:?}");
            let row = rows
                .get(name)
                .unwrap_or_else(|| panic!("no diff row for {name}"));
            assert_eq!(u(&row["size"][side]), *size, "{side} {name}");
        }
        let alloc: u64 = sections
            .iter()
            .filter(|s| s.3.contains('A'))
            .map(|s| s.2)
            .sum();
        assert_eq!(
            u(&d["sections"]["total_vm"][side]),
            alloc,
            "{side} allocated"
        );
        let in_file: u64 = sections
            .iter()
            .filter(|s| s.1 != "NOBITS")
            .map(|s| s.2)
            .sum();
        assert_eq!(
            i(&d["sections"]["outside_sections"][side]),
            file_len(path) as i64 - in_file as i64,
            "{side}: bytes outside sections"
        );
        // Rows add up to the totals.
        let sum = |col: &str| -> u64 { rows.values().map(|r| u(&r[col][side])).sum() };
        assert_eq!(
            sum("file") as i64 + i(&d["sections"]["outside_sections"][side]),
            u(&tf[side]) as i64
        );
        assert_eq!(sum("vm"), u(&d["sections"]["total_vm"][side]));
    }
    // size -A: each of its rows, and its Total's change as the sum of those rows' changes.
    let (a_old, t_old) = size_a(old);
    let (a_new, t_new) = size_a(new);
    let names: BTreeSet<&String> = a_old.keys().chain(a_new.keys()).collect();
    let mut sum_delta = 0i64;
    for name in names {
        let row = &rows[name.as_str()];
        assert_eq!(
            u(&row["size"]["old"]),
            a_old.get(name).copied().unwrap_or(0),
            "{name}"
        );
        assert_eq!(
            u(&row["size"]["new"]),
            a_new.get(name).copied().unwrap_or(0),
            "{name}"
        );
        sum_delta += i(&row["size"]["delta"]);
    }
    assert_eq!(sum_delta, t_new as i64 - t_old as i64, "size -A Total");

    // Symbols: bloat-o-meter's rule over nm's output, row for row.
    let (add, remove, grow, shrink, up, down, delta, otot, ntot) = bloat_o_meter(old, new);
    let y = &d["symbols"];
    assert_eq!(
        (
            u(&y["added"]) as usize,
            u(&y["removed"]) as usize,
            u(&y["grown"]) as usize,
            u(&y["shrunk"]) as usize,
            u(&y["up"]),
            u(&y["down"])
        ),
        (add, remove, grow, shrink, up, down)
    );
    let ours: Vec<(i64, String)> = y["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (i(&r["delta"]), r["name"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(ours, delta, "symbol rows differ from bloat-o-meter's");
    assert_eq!(
        (u(&y["symbols_total"]["old"]), u(&y["symbols_total"]["new"])),
        (otot, ntot)
    );
    for side in ["old", "new"] {
        let rows_side: u64 = y["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r[side].as_u64())
            .sum();
        assert_eq!(
            rows_side as i64 + u(&y["unchanged"][side]) as i64 + i(&y["remainder"][side]),
            u(&y["total"][side]) as i64,
            "symbol rows add up ({side})"
        );
    }

    // Exports: nm -D --defined-only's names.
    let (xo, xn) = (nm_dynamic_defined(old), nm_dynamic_defined(new));
    let x = &d["exports"];
    let changed = |c: &str| -> BTreeSet<String> {
        x["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["change"] == c)
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(changed("removed"), &xo - &xn);
    assert_eq!(changed("added"), &xn - &xo);
    assert_eq!(
        (u(&x["total"]["old"]), u(&x["total"]["new"])),
        (xo.len() as u64, xn.len() as u64)
    );
    assert_eq!(
        u(&x["removed"]) + u(&x["version_changed"]) + u(&x["unchanged"]),
        xo.len() as u64
    );

    // Objects, as the link resolves the symbols: rows add up; each object's bytes fit in its
    // own allocated sections (size -A of the object file).
    let o = &d["objects"];
    assert_eq!(o["attributed_by"], "link");
    for side in ["old", "new"] {
        let rows_side: u64 = o["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| u(&r["bytes"][side]))
            .sum();
        assert_eq!(
            rows_side + u(&o["unattributed"][side]) + u(&o["no_symbol"][side]),
            u(&o["total"][side]),
            "object rows add up ({side})"
        );
    }
    assert!(
        u(&o["unattributed"]["old"]) * 100 < u(&o["total"]["old"]),
        "most symbol bytes have an object: {}",
        o["unattributed"]
    );
    for r in o["rows"].as_array().unwrap().iter().take(10) {
        let obj = objects_dir.join(r["object"].as_str().unwrap());
        let sections = readelf_sections(&obj);
        let alloc: u64 = sections
            .iter()
            .filter(|s| s.3.contains('A'))
            .map(|s| s.2)
            .sum();
        assert!(
            u(&r["bytes"]["old"]) <= alloc && u(&r["bytes"]["old"]) > 0,
            "{obj:?}: {} bytes of symbols, {alloc} allocated",
            r["bytes"]["old"]
        );
    }

    // The text table: exit 0, the file sizes' row and bloat-o-meter's summary line.
    let text =
        String::from_utf8(run(tailor().arg("diff").arg(old).arg(new).arg("--demangle")).stdout)
            .unwrap();
    assert!(text.contains(&format!(
        "{:>12} {:>12} {:>10}",
        file_len(old),
        file_len(new),
        format!("{:+}", file_len(new) as i64 - file_len(old) as i64)
    )));
    assert!(text.contains(&format!(
        "add/remove: {add}/{remove} grow/shrink: {grow}/{shrink} up/down: {up}/-{down}"
    )));
}

/// The figures of a link report's section map, computed here from its rows.
fn map_figures(map: &Value) -> BTreeMap<&'static str, u64> {
    let sections = map["sections"].as_array().unwrap();
    let kept = |k: bool| sections.iter().filter(move |s| s["kept"] == k);
    BTreeMap::from([
        ("kept-bytes", kept(true).map(|s| u(&s["size"])).sum()),
        ("removed-bytes", kept(false).map(|s| u(&s["size"])).sum()),
        ("sections-kept", kept(true).count() as u64),
        ("sections-removed", kept(false).count() as u64),
        (
            "exports-count",
            map["exports"].as_array().unwrap().len() as u64,
        ),
    ])
}

fn assert_dom_has(dom: &str, figures: &BTreeMap<&str, u64>) {
    for (id, want) in figures {
        assert_eq!(
            browser::data_value(dom, id).as_deref(),
            Some(want.to_string().as_str()),
            "DOM figure {id}"
        );
    }
}

#[test]
fn musl_link_report_page_in_chromium() {
    let e = e2e();
    let dir = tempfile::tempdir().unwrap();
    let (new, page) = tailored(&e, dir.path());
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the page refers to the network"
    );
    let report = browser::embedded_json(&html);
    let map = &report["map"];
    // The section map agrees with itself and with the images.
    let mut figures = map_figures(map);
    assert_eq!(figures["kept-bytes"], u(&map["kept_bytes"]));
    assert_eq!(figures["removed-bytes"], u(&map["removed_bytes"]));
    assert!(figures["kept-bytes"] > 0 && figures["removed-bytes"] > figures["kept-bytes"]);
    assert!(
        figures["kept-bytes"] <= u(&report["tailored_stats"]["allocated"]),
        "kept input sections fit in the tailored image"
    );
    let exported = nm_dynamic_defined(&new);
    let map_exports: BTreeSet<String> = map["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        map_exports, exported,
        "the exports table is what the image exports"
    );
    figures.insert("tailored-file-size", std::fs::metadata(&new).unwrap().len());
    figures.insert(
        "generic-file-size",
        std::fs::metadata(e.path("LIBC")).unwrap().len(),
    );
    figures.insert("exports-tailored", u(&report["exports_tailored"]));
    let dom = browser::dump_dom(&page, "");
    assert_dom_has(&dom, &figures);
    assert!(dom.contains("id=\"treemap\""), "no treemap drawn");
    let leaves = dom.matches("class=\"leaf kept\"").count();
    assert!(leaves > 100, "{leaves} kept sections drawn");
    assert!(dom.contains("class=\"leaf removed\""));
    // A why chain: vfprintf's printf_core, from an export the tailored image has, through the
    // relocations that reach it.
    let why = "#why=src/stdio/vfprintf.lo:.text.printf_core";
    let dom = browser::dump_dom(&page, why);
    let chain = &dom[dom.find("id=\"why-chain\"").expect("a why chain")..];
    let chain = &chain[..chain.find("</ol>").unwrap()];
    let items: Vec<&str> = chain.split("<li>").skip(1).collect();
    assert!(
        items.len() >= 3,
        "a chain of at least two sections: {chain}"
    );
    let root = items[0]
        .strip_prefix("root: export `")
        .and_then(|r| r.split('`').next())
        .unwrap_or_else(|| panic!("the chain starts at an export: {chain}"));
    assert!(
        exported.contains(root),
        "{root} is not exported by the tailored image"
    );
    assert!(items[items.len() - 1].starts_with("obj/src/stdio/vfprintf.lo:.text.printf_core"));
    assert!(chain.contains("refers to"), "{chain}");
    // The screenshot of the musl report.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reports");
    std::fs::create_dir_all(&shots).unwrap();
    let png = shots.join("musl-link-report.png");
    let (w, h) = browser::screenshot(&page, why, &png);
    assert_eq!((w, h), (1280, 1400), "screenshot size");
    eprintln!("screenshot: {}", png.display());
}

#[test]
fn gc_and_diff_pages_show_their_json() {
    let e = e2e();
    let dir = tempfile::tempdir().unwrap();
    let gc = |format: &str| {
        let mut cmd = tailor();
        cmd.current_dir(e.path("MUSL_DIR"))
            .args(["gc", "--format", format, "--"])
            .arg(e.get("LINK_CC"))
            .arg(format!("@{}", e.get("LINK_RSP")));
        String::from_utf8(run(&mut cmd).stdout).unwrap()
    };
    let json: Value = serde_json::from_str(&gc("json")).unwrap();
    // Only gc draws a page: why and top say so, in one line, exit 2.
    let top = tailor()
        .current_dir(e.path("MUSL_DIR"))
        .args(["top", "--format", "html", "--"])
        .arg(e.get("LINK_CC"))
        .arg(format!("@{}", e.get("LINK_RSP")))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&top.stderr);
    assert_eq!(top.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--format html"), "{stderr}");
    let page = dir.path().join("gc.html");
    std::fs::write(&page, gc("html")).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(
        browser::embedded_json(&html),
        json,
        "the page embeds gc's JSON"
    );
    let figures = map_figures(&json["map"]);
    assert_eq!(figures["kept-bytes"], u(&json["kept_alloc_bytes"]));
    assert_dom_has(&browser::dump_dom(&page, ""), &figures);

    let (new, _) = tailored(&e, dir.path());
    let old = e.path("LIBC");
    let d = diff_json(&e.path("MUSL_DIR"), &old, &new, &[]);
    let html = String::from_utf8(
        run(tailor()
            .arg("diff")
            .arg(&old)
            .arg(&new)
            .args(["--format", "html"]))
        .stdout,
    )
    .unwrap();
    assert_eq!(browser::embedded_json(&html), d);
    let page = dir.path().join("diff.html");
    std::fs::write(&page, &html).unwrap();
    let (a_old, _) = size_a(&old);
    let dom = browser::dump_dom(&page, "");
    let figures = BTreeMap::from([
        ("old-file-size", std::fs::metadata(&old).unwrap().len()),
        ("new-file-size", std::fs::metadata(&new).unwrap().len()),
        ("old-vm", u(&d["sections"]["total_vm"]["old"])),
        ("symbols-removed", u(&d["symbols"]["removed"])),
        ("exports-removed", u(&d["exports"]["removed"])),
    ]);
    assert_dom_has(&dom, &figures);
    // The sections table shows size -A's .text.
    let grouped = a_old[".text"]
        .to_string()
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(",");
    assert!(dom.contains(&grouped), "no .text row of {grouped} bytes");
}

/// Spinners while linking (and reading many consumers) are drawn on a terminal only: through a
/// pipe stderr has no control characters; on a pseudo-terminal (`script`) the spinner shows.
#[test]
fn progress_only_on_a_terminal() {
    let e = e2e();
    let dir = tempfile::tempdir().unwrap();
    let link_args = |out: &Path| -> Vec<String> {
        vec![
            "link".into(),
            e.get("HELLO").into(),
            "-o".into(),
            out.display().to_string(),
            "--".into(),
            e.get("LINK_CC").into(),
            format!("@{}", e.get("LINK_RSP")),
        ]
    };
    let piped = run(tailor()
        .current_dir(e.path("MUSL_DIR"))
        .args(link_args(&dir.path().join("piped.so"))));
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "control characters on a piped stderr: {stderr:?}"
    );
    let script = need_tool("script", "bsdutils");
    let line = std::iter::once(env!("CARGO_BIN_EXE_tailor").to_string())
        .chain(link_args(&dir.path().join("tty.so")))
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let tty = run(std::process::Command::new(script)
        .current_dir(e.path("MUSL_DIR"))
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::null())
        .args(["-qefc", &line])
        .arg(dir.path().join("typescript")));
    let screen = String::from_utf8_lossy(&tty.stdout);
    assert!(
        screen.contains("the tailored link (") && screen.contains('\u{1b}'),
        "no spinner on a terminal: {screen:?}"
    );
    assert!(dir.path().join("tty.so").is_file());
}

/// Builds `NAME.so` in `dir` from C++ `source` with version script `script`.
fn versioned_library(dir: &Path, name: &str, source: &str, script: &str, m32: bool) -> PathBuf {
    let src = write(dir, &format!("{name}.cc"), source);
    let map = write(dir, &format!("{name}.map"), script);
    let out = dir.join(format!("{name}.so"));
    // gcc's driver compiles C++ without linking libstdc++ (none is needed; there is no
    // 32-bit one without g++-multilib).
    need_tool("g++", "g++");
    let mut cmd = std::process::Command::new(need_tool("gcc", "gcc"));
    if m32 {
        cmd.arg("-m32");
    }
    cmd.args(["-x", "c++", "-shared", "-fPIC", "-O1", "-o"])
        .arg(&out)
        .arg(&src)
        .arg(format!("-Wl,--version-script={}", map.display()));
    run(&mut cmd);
    out
}

/// Exports as `nm -D --defined-only` spells them: name → versions (`@@V`, `@V`, `` for none).
fn nm_versions(path: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let text = tool_stdout(
        "nm",
        "binutils",
        &["-D", "--defined-only", &path.display().to_string()],
    );
    let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for l in text.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        let [_, kind, sym] = f.as_slice() else {
            continue;
        };
        if *kind == "A" {
            continue; // version nodes
        }
        let (name, version) = match sym.find('@') {
            Some(at) => (&sym[..at], &sym[at..]),
            None => (*sym, ""),
        };
        m.entry(name.to_string())
            .or_default()
            .insert(version.to_string());
    }
    m
}

/// Small C++ libraries, 64- and 32-bit: an export removed, one added, one whose version
/// changed, as `nm -D` tells them; sections as `readelf -S` lists them; names demangled as
/// `nm -C` prints them.
#[test]
fn diff_of_small_libraries_versions_classes_and_demangling() {
    let dir = tempfile::tempdir().unwrap();
    let v1 = "namespace app { int keep(int x) { return x + 1; } int gone(int x) { return x * 2; } \
              static char big[4000]; char *buf() { return big; } }\n";
    let v2 = "namespace app { int keep(int x) { return x + 1; } int added(int x, long y) { return x - y; } \
              static char big[100]; char *buf() { return big; } }\n";
    for m32 in [false, true] {
        let sub = dir.path().join(if m32 { "m32" } else { "m64" });
        std::fs::create_dir_all(&sub).unwrap();
        let old = versioned_library(
            &sub,
            "old",
            v1,
            "V1 { global: _ZN3app*; local: *; };\n",
            m32,
        );
        let new = versioned_library(
            &sub,
            "new",
            v2,
            "V1 { global: _ZN3app3bufEv; local: *; };\nV2 { global: _ZN3app4keepEi; _ZN3app5addedEil; } V1;\n",
            m32,
        );
        let out =
            run(tailor()
                .arg("diff")
                .arg(&old)
                .arg(&new)
                .args(["--format", "json", "--demangle"]));
        let d: Value = serde_json::from_slice(&out.stdout).unwrap();
        let rows = section_rows(&d);
        for (side, path) in [("old", &old), ("new", &new)] {
            for (name, _, size, _) in readelf_sections(path) {
                assert_eq!(
                    u(&rows[&name]["size"][side]),
                    size,
                    "m32={m32} {side} {name}"
                );
            }
            assert_eq!(
                u(&d["sections"]["total_file"][side]),
                std::fs::metadata(path).unwrap().len()
            );
        }
        let (vo, vn) = (nm_versions(&old), nm_versions(&new));
        let mut want: BTreeMap<String, &str> = BTreeMap::new();
        for (name, versions) in &vo {
            match vn.get(name) {
                None => {
                    want.insert(name.clone(), "removed");
                }
                Some(v) if v != versions => {
                    want.insert(name.clone(), "version changed");
                }
                _ => {}
            }
        }
        for name in vn.keys().filter(|n| !vo.contains_key(*n)) {
            want.insert(name.clone(), "added");
        }
        let got: BTreeMap<String, &str> = d["exports"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_string(),
                    r["change"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, want, "m32={m32}");
        assert_eq!(
            want.values().collect::<BTreeSet<_>>().len(),
            3,
            "the fixture has a removed, an added and a re-versioned export: {want:?}"
        );
        // Demangled as nm -C prints the same names.
        let demangled: BTreeMap<String, String> = tool_stdout(
            "nm",
            "binutils",
            &["-D", "--defined-only", "-C", &old.display().to_string()],
        )
        .lines()
        .zip(
            tool_stdout(
                "nm",
                "binutils",
                &["-D", "--defined-only", &old.display().to_string()],
            )
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>(),
        )
        .filter_map(|(c, m)| {
            let c = c.splitn(3, ' ').nth(2)?.split('@').next()?.to_string();
            let m = m.split_whitespace().nth(2)?.split('@').next()?.to_string();
            Some((m, c))
        })
        .collect();
        let gone = d["exports"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["change"] == "removed")
            .unwrap();
        let name = gone["name"].as_str().unwrap();
        assert_eq!(
            gone["demangled"].as_str(),
            demangled.get(name).map(String::as_str),
            "{name}"
        );
        // The bss array shrank: bloat-o-meter counts it (a local 'b').
        let big = d["symbols"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "_ZN3appL3bigE")
            .unwrap_or_else(|| panic!("no row for app::big: {}", d["symbols"]));
        assert_eq!(
            (big["old"].as_u64(), big["new"].as_u64()),
            (Some(4000), Some(100))
        );
    }
}
