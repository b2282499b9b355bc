//! Output: the HTML report — one self-contained page (no network: its style and script are
//! inlined, written for it) that embeds a command's JSON report and draws it: a treemap of the
//! provider's bytes by archive, object and section (kept and removed by colour), the exports
//! table (sortable), and a kept section's `why` chain when it is clicked (or named in the
//! address: `report.html#why=obj/src/stdio/printf.lo:.text.printf`). Every number on the
//! page is read from the embedded JSON.

/// The page for `kind` (`"link"`, `"gc"` or `"diff"`) showing `json`, the command's JSON report.
pub(crate) fn page(title: &str, kind: &str, json: &str) -> String {
    // `<` is escaped so no string in the data can close the script element.
    let data = json.trim_end().replace('<', "\\u003c");
    let mut s = String::with_capacity(data.len() + STYLE.len() + SCRIPT.len() + 1024);
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str(&format!("<title>{}</title>\n", escape(title)));
    s.push_str("<style>\n");
    s.push_str(STYLE);
    s.push_str("</style>\n</head>\n<body>\n");
    s.push_str(&format!(
        "<h1>{}</h1>\n<div id=\"app\" data-kind=\"{}\"></div>\n",
        escape(title),
        escape(kind)
    ));
    s.push_str("<script type=\"application/json\" id=\"report\">\n");
    s.push_str(&data);
    s.push_str("\n</script>\n<script>\n");
    s.push_str(SCRIPT);
    s.push_str("</script>\n</body>\n</html>\n");
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = r#"body { font: 14px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 8px; }
h2 { font-size: 16px; margin: 20px 0 6px; }
#totals { display: flex; flex-wrap: wrap; gap: 8px 24px; margin: 8px 0 12px; }
#totals div { background: #f3f4f6; border-radius: 4px; padding: 4px 10px; }
#totals b { font-variant-numeric: tabular-nums; }
.legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; vertical-align: -1px; }
#treemap { position: relative; width: 1200px; height: 520px; border: 1px solid #999; background: #eee; overflow: hidden; }
#treemap div { position: absolute; box-sizing: border-box; overflow: hidden; font-size: 11px; white-space: nowrap; }
#treemap .group { border: 1px solid #777; background: #ddd; }
#treemap .group > .label { padding: 0 3px; color: #111; }
#treemap .leaf { border: 1px solid rgba(255,255,255,.55); cursor: pointer; color: #fff; padding: 0 2px; }
.kept { background: #2e8b57; }
.removed { background: #c0392b; }
.added { background: #2c6fbb; }
#why { margin: 10px 0; padding: 8px 12px; background: #fffbe6; border: 1px solid #e6d8a0; min-height: 22px; max-width: 1176px; }
#why ol { margin: 4px 0; padding-left: 22px; }
table { border-collapse: collapse; margin: 4px 0 12px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: left; vertical-align: top; }
td { max-width: 560px; overflow-wrap: anywhere; }
th { background: #f3f4f6; cursor: pointer; user-select: none; }
td.n, th.n { text-align: right; }
.scroll { max-height: 420px; overflow: auto; display: inline-block; border: 1px solid #ddd; }
"#;

const SCRIPT: &str = r##""use strict";
const R = JSON.parse(document.getElementById("report").textContent);
const app = document.getElementById("app");
const kind = app.dataset.kind;
const fmt = (n) => (n === null || n === undefined) ? "-" : Number(n).toLocaleString("en-US");
const sgn = (n) => (n > 0 ? "+" : "") + fmt(n);
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
}
function total(id, label, value, text) {
  return el("div", {}, label + ": ", el("b", { id: id, "data-value": String(value), text: text || (fmt(value)) }));
}

// Squarified treemap (Bruls, Huizing, van Wijk): items sorted by value, largest first.
function worst(row, sum, side, scale) {
  const s = sum * scale; let mx = 0, mn = Infinity;
  for (const r of row) { const a = r.value * scale; if (a > mx) mx = a; if (a < mn) mn = a; }
  return Math.max(side * side * mx / (s * s), (s * s) / (side * side * mn));
}
function squarify(items, x, y, w, h) {
  const out = []; let rest = items.reduce((a, b) => a + b.value, 0); let i = 0;
  while (i < items.length && w > 0 && h > 0 && rest > 0) {
    const scale = (w * h) / rest, side = Math.min(w, h);
    let row = [items[i]], sum = items[i].value, best = worst(row, sum, side, scale); i++;
    while (i < items.length) {
      const next = row.concat([items[i]]), s2 = sum + items[i].value, wv = worst(next, s2, side, scale);
      if (wv > best) break;
      row = next; sum = s2; best = wv; i++;
    }
    const area = sum * scale;
    if (w >= h) {
      const rw = area / h; let yy = y;
      for (const it of row) { const ih = it.value * scale / rw; out.push([it, x, yy, rw, ih]); yy += ih; }
      x += rw; w -= rw;
    } else {
      const rh = area / w; let xx = x;
      for (const it of row) { const iw = it.value * scale / rh; out.push([it, xx, y, iw, rh]); xx += iw; }
      y += rh; h -= rh;
    }
    rest -= sum;
  }
  return out;
}
function sortTree(n) {
  if (n.children) {
    n.children = n.children.filter((c) => c.value > 0);
    n.children.forEach(sortTree);
    n.children.sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : 1));
  }
  return n;
}
function node(name) { return { name: name, value: 0, children: [], index: new Map() }; }
function child(parent, name) {
  let c = parent.index.get(name);
  if (!c) { c = node(name); parent.index.set(name, c); parent.children.push(c); }
  return c;
}
function drawTree(root, box, onLeaf) {
  sortTree(root);
  const draw = (n, x, y, w, h) => {
    for (const [c, cx, cy, cw, ch] of squarify(n.children, x, y, w, h)) {
      if (cw < 1 || ch < 1) continue;
      const style = `left:${cx}px;top:${cy}px;width:${cw}px;height:${ch}px`;
      if (c.children && c.children.length) {
        const g = el("div", { class: "group", style: style, title: c.name + ": " + fmt(c.value) + " B" });
        if (ch > 16 && cw > 30) g.append(el("div", { class: "label", text: c.name }));
        box.append(g);
        const pad = (ch > 16 && cw > 30) ? 15 : 1;
        draw(c, cx + 1, cy + pad, cw - 2, ch - pad - 1);
      } else {
        const d = el("div", { class: "leaf " + c.cls, style: style, title: c.title || c.name });
        if (cw > 40 && ch > 12) d.textContent = c.name;
        if (c.section !== undefined) d.dataset.section = String(c.section);
        d.addEventListener("click", () => onLeaf(c));
        box.append(d);
      }
    }
  };
  draw(root, 0, 0, box.clientWidth, box.clientHeight);
}

// A table whose header sorts it (a click on the same header again reverses).
function sortable(id, columns, rows) {
  const table = el("table", { id: id });
  const head = el("tr");
  const body = el("tbody");
  let by = -1, dir = 1;
  const render = () => {
    body.replaceChildren(...rows.map((r) => el("tr", {}, ...columns.map((c, i) =>
      el("td", { class: c.num ? "n" : "", text: c.show ? c.show(r[i]) : String(r[i]) })))));
  };
  columns.forEach((c, i) => {
    const th = el("th", { class: c.num ? "n" : "", text: c.name });
    th.addEventListener("click", () => {
      dir = by === i ? -dir : (c.num ? -1 : 1); by = i;
      rows.sort((a, b) => (a[i] < b[i] ? -1 : a[i] > b[i] ? 1 : 0) * dir);
      render();
    });
    head.append(th);
  });
  table.append(el("thead", {}, head), body);
  render();
  return el("div", { class: "scroll" }, table);
}

function legend(items) {
  const d = el("div", { class: "legend" });
  for (const [cls, text] of items) d.append(el("span", { class: cls }), text);
  return d;
}

function sectionMap(map, totals) {
  const why = el("div", { id: "why", text: "Click a section in the treemap to see why it is kept." });
  const label = (s) => {
    const o = map.objects[s.object];
    return (o.archive ? o.archive + "(" + o.object + ")" : o.object) + ":" + s.name;
  };
  const showWhy = (i) => {
    const s = map.sections[i];
    why.replaceChildren();
    if (!s.kept) {
      why.append(el("b", { text: label(s) }), " (" + fmt(s.size) + " B) is removed: no root reaches it.");
      return;
    }
    why.append(el("b", { text: "Why " + label(s) + " is kept" }));
    const list = el("ol", { id: "why-chain" });
    let at = i, guard = 0;
    const hops = [];
    while (at !== undefined && guard++ < 10000) {
      const x = map.sections[at];
      hops.push(x);
      if (x.root !== undefined) break;
      at = x.parent;
    }
    const last = hops[hops.length - 1];
    list.append(el("li", { text: "root: " + (last.root !== undefined ? map.roots[last.root] : "?") }));
    for (let k = hops.length - 1; k >= 0; k--) {
      const x = hops[k];
      const via = k < hops.length - 1 && hops[k].via ? "  (" + hops[k].via + ")" : "";
      list.append(el("li", { text: label(x) + " — " + fmt(x.size) + " B" + via }));
    }
    why.append(list);
  };
  const root = node("all");
  map.sections.forEach((s, i) => {
    const o = map.objects[s.object];
    const a = child(root, o.archive || "(objects)");
    const ob = child(a, o.object);
    const leaf = { name: s.name, value: s.size, cls: s.kept ? "kept" : "removed", section: i,
      title: label(s) + ": " + fmt(s.size) + " B, " + (s.kept ? "kept" : "removed") };
    ob.children.push(leaf);
    ob.value += s.size; a.value += s.size; root.value += s.size;
  });
  const box = el("div", { id: "treemap" });
  app.append(el("h2", { text: "The provider's bytes by archive, object and section" }),
    legend([["kept", "kept"], ["removed", "removed by --gc-sections"]]), box, why);
  drawTree(root, box, (leaf) => showWhy(leaf.section));
  const rows = map.exports.map((e) => [e.name, e.reason, e.consumers.join(", "), e.size, e.retained]);
  app.append(el("h2", { text: "Exports (" + fmt(map.exports.length) + ")" }),
    sortable("exports", [{ name: "export" }, { name: "reason" }, { name: "consumers" },
      { name: "size", num: true, show: fmt }, { name: "retained", num: true, show: fmt }], rows));
  // `page.html#why=FILE:SECTION` opens with that section's chain shown.
  const wanted = decodeURIComponent(location.hash.replace(/^#why=/, ""));
  if (location.hash.startsWith("#why=")) {
    const i = map.sections.findIndex((s) => label(s) === wanted || label(s).endsWith("/" + wanted));
    if (i >= 0) showWhy(i); else why.textContent = "No section " + wanted + " in the link.";
  }
  totals.append(total("kept-bytes", "kept bytes", map.kept_bytes),
    total("removed-bytes", "removed bytes", map.removed_bytes),
    total("sections-kept", "sections kept", map.sections.filter((s) => s.kept).length),
    total("sections-removed", "sections removed", map.sections.filter((s) => !s.kept).length),
    total("exports-count", "exports", map.exports.length));
}

function diffPage(d) {
  const totals = el("div", { id: "totals" });
  app.append(el("div", { text: "old: " + d.old }), el("div", { text: "new: " + d.new }), totals);
  totals.append(total("old-file-size", "old file size", d.sections.total_file.old),
    total("new-file-size", "new file size", d.sections.total_file.new),
    total("file-delta", "file delta", d.sections.total_file.delta, sgn(d.sections.total_file.delta)),
    total("old-vm", "old allocated", d.sections.total_vm.old),
    total("new-vm", "new allocated", d.sections.total_vm.new),
    total("symbols-added", "symbols added", d.symbols.added),
    total("symbols-removed", "symbols removed", d.symbols.removed),
    total("exports-removed", "exports removed", d.exports.removed),
    total("exports-added", "exports added", d.exports.added));
  const root = node("all");
  const put = (name, p) => {
    const o = child(root, name);
    const leaf = (cls, v) => { if (v > 0) { o.children.push({ name: cls, value: v, cls: cls,
      title: name + ": " + cls + " " + fmt(v) + " B (old " + fmt(p.old) + ", new " + fmt(p.new) + ")" }); o.value += v; } };
    leaf("kept", Math.min(p.old, p.new)); leaf("removed", p.old - p.new); leaf("added", p.new - p.old);
    root.value += o.value;
  };
  d.objects.rows.forEach((r) => put(r.object, r.bytes));
  put("(symbols of no known object)", d.objects.unattributed);
  put("(in no symbol)", d.objects.no_symbol);
  const box = el("div", { id: "treemap" });
  app.append(el("h2", { text: "Allocated bytes by object (" + d.objects.attributed_by + ")" }),
    legend([["kept", "in both"], ["removed", "only in old"], ["added", "only in new"]]), box);
  drawTree(root, box, () => {});
  const pair = (p) => [p.old, p.new, p.delta];
  app.append(el("h2", { text: "Sections" }), sortable("sections",
    [{ name: "section" }, { name: "kind" }, { name: "old", num: true, show: fmt }, { name: "new", num: true, show: fmt },
      { name: "delta", num: true, show: sgn }, { name: "vm delta", num: true, show: sgn }],
    d.sections.rows.map((r) => [r.name, r.kind, ...pair(r.file), r.vm.delta])));
  const y = d.symbols;
  app.append(el("h2", { text: `Symbols: add/remove ${y.added}/${y.removed} grow/shrink ${y.grown}/${y.shrunk} up/down ${y.up}/-${y.down}` }),
    sortable("symbols", [{ name: "symbol" }, { name: "change" }, { name: "old", num: true, show: fmt },
      { name: "new", num: true, show: fmt }, { name: "delta", num: true, show: sgn }],
    y.rows.map((r) => [r.demangled || r.name, r.change, r.old === null ? -1 : r.old, r.new === null ? -1 : r.new, r.delta])
      .map((r) => [r[0], r[1], r[2] < 0 ? null : r[2], r[3] < 0 ? null : r[3], r[4]])));
  app.append(el("h2", { text: "Exports that changed" }), sortable("exports",
    [{ name: "export" }, { name: "change" }, { name: "old versions" }, { name: "new versions" }],
    d.exports.rows.map((r) => [r.demangled || r.name, r.change, r.old_versions.join(" "), r.new_versions.join(" ")])));
}

if (kind === "diff") {
  diffPage(R);
} else {
  const totals = el("div", { id: "totals" });
  app.append(totals);
  if (kind === "link") {
    totals.append(total("generic-file-size", "generic file size", R.generic_stats.file_size),
      total("tailored-file-size", "tailored file size", R.tailored_stats.file_size),
      total("exports-generic", "exports (generic)", R.exports_generic),
      total("exports-tailored", "exports (tailored)", R.exports_tailored));
  }
  if (R.map) sectionMap(R.map, totals);
}
"##;
