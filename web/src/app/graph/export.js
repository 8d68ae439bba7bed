// The graph for the case file: a picture (PNG from the canvas, SVG drawn from the
// positions) and the data (CSV, JSON), each downloaded as a file.
import { COLOURS } from "./style.js";
import { kind, relation } from "../format.js";

export function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]);

export function svg(cy) {
  const box = cy.elements(":visible").boundingBox();
  const pad = 40;
  const lines = cy.edges(":visible").map((e) => {
    const s = e.source().position();
    const t = e.target().position();
    return `<line x1="${s.x}" y1="${s.y}" x2="${t.x}" y2="${t.y}" stroke="#94a3b8" stroke-width="1.2"/>`;
  });
  const nodes = cy.nodes(":visible").map((n) => {
    const p = n.position();
    const r = n.data("collapsed") ? 17 : 11;
    const fill = COLOURS[n.data("kind")] || "#64748b";
    return (
      `<g><circle cx="${p.x}" cy="${p.y}" r="${r}" fill="${fill}"/>` +
      `<text x="${p.x}" y="${p.y + r + 11}" font-size="10" text-anchor="middle">${escape(n.data("caption"))}</text></g>`
    );
  });
  return new Blob(
    [
      `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" ` +
        `viewBox="${box.x1 - pad} ${box.y1 - pad} ${box.w + 2 * pad} ${box.h + 2 * pad}" ` +
        `font-family="PingFang SC, Microsoft YaHei, WenQuanYi Micro Hei, sans-serif">` +
        `<rect x="${box.x1 - pad}" y="${box.y1 - pad}" width="${box.w + 2 * pad}" height="${box.h + 2 * pad}" fill="white"/>` +
        `${lines.join("")}${nodes.join("")}</svg>`,
    ],
    { type: "image/svg+xml" },
  );
}

// A spreadsheet reads a cell that starts with = + - @ (or their full-width forms, as WPS
// does), a tab or a carriage return as a formula: such text, written by a user (an
// operation's name, a label), is led by an apostrophe, as OWASP advises against CSV
// injection. Every cell of the export passes here.
const FORMULA = /^[=+\-@\t\r＝＋－＠]/;

export function cell(value) {
  const text = String(value ?? "");
  return `"${(FORMULA.test(text) ? `'${text}` : text).replace(/"/g, '""')}"`;
}

export function csv(cy) {
  const rows = [["起点", "起点类别", "关系", "终点", "终点类别", "起点编号", "终点编号"]];
  for (const e of cy.edges(":visible")) {
    const s = e.source();
    const t = e.target();
    rows.push([s.data("label"), kind(s.data("kind")), relation(e.data("type")), t.data("label"), kind(t.data("kind")), s.id(), t.id()]);
  }
  for (const n of cy.nodes(":visible").filter((n) => n.connectedEdges(":visible").empty())) {
    rows.push([n.data("label"), kind(n.data("kind")), "", "", "", n.id(), ""]);
  }
  // A byte-order mark: Excel on a Chinese Windows then reads the file as UTF-8.
  return new Blob([`\ufeff${rows.map((r) => r.map(cell).join(",")).join("\r\n")}\r\n`], { type: "text/csv" });
}

export function json(cy) {
  const nodes = cy.nodes(":visible").map((n) => ({
    id: n.id(),
    kind: n.data("kind"),
    label: n.data("label"),
    degree: n.data("degree"),
    collapsed: Boolean(n.data("collapsed")),
    position: n.position(),
  }));
  const edges = cy.edges(":visible").map((e) => ({ source: e.source().id(), target: e.target().id(), type: e.data("type") }));
  return new Blob([JSON.stringify({ nodes, edges }, null, 2)], { type: "application/json" });
}
