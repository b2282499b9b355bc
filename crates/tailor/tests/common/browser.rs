//! A real headless browser (Debian's chromium) for the HTML reports: the DOM after the page's
//! script ran, and screenshots. Offline: no network, no sync, a fresh profile each time.

use std::path::Path;
use std::process::Command;

use super::{need_tool, run};

fn chromium(args: &[String]) -> std::process::Output {
    let chromium = need_tool("chromium", "chromium");
    let profile = tempfile::tempdir().expect("a profile directory");
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1400",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(args);
    run(&mut cmd)
}

fn url(page: &Path, fragment: &str) -> String {
    let abs = std::fs::canonicalize(page).expect("the page exists");
    format!("file://{}{fragment}", abs.display())
}

/// The page's DOM once its script ran (`fragment`: `#...` or empty).
pub fn dump_dom(page: &Path, fragment: &str) -> String {
    let out = chromium(&["--dump-dom".to_string(), url(page, fragment)]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A PNG screenshot of the page at 1280×1400; returns its (width, height) from the PNG header.
pub fn screenshot(page: &Path, fragment: &str, png: &Path) -> (u32, u32) {
    let _ = std::fs::remove_file(png);
    chromium(&[
        format!("--screenshot={}", png.display()),
        url(page, fragment),
    ]);
    let bytes = std::fs::read(png).expect("chromium wrote the screenshot");
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 24,
        "{} is not a PNG",
        png.display()
    );
    let be = |o: usize| u32::from_be_bytes(bytes[o..o + 4].try_into().unwrap());
    (be(16), be(20))
}

/// The `data-value` of the element with id `id` in a dumped DOM.
pub fn data_value(dom: &str, id: &str) -> Option<String> {
    let at = dom.find(&format!("id=\"{id}\""))?;
    let tag_end = at + dom[at..].find('>')?;
    let tag = &dom[at..tag_end];
    let v = tag.split("data-value=\"").nth(1)?;
    Some(v[..v.find('"')?].to_string())
}

/// The JSON a report page embeds (`<script type="application/json" id="report">`).
pub fn embedded_json(html: &str) -> serde_json::Value {
    let start = html
        .find("<script type=\"application/json\" id=\"report\">")
        .expect("the page embeds its report");
    let rest = &html[start..];
    let body = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
    serde_json::from_str(body).expect("the embedded report is JSON")
}
