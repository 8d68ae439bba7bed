// 关系图谱: start from any entity (or several); expand a node by relationship type;
// busy nodes drawn collapsed with their degree; paths between two selected nodes;
// common links of a selection; highlight by kind; pin, hide, undo; export the picture
// (PNG, SVG) and the data (CSV, JSON). Drawn by Cytoscape.js on a canvas.
import cytoscape from "cytoscape";
import { useEffect, useRef, useState } from "react";
import { gql } from "../api.js";
import { KINDS, RELATIONS, kind, relation } from "../format.js";
import { csv, download, json, svg } from "../graph/export.js";
import { stylesheet } from "../graph/style.js";
import { go, href } from "../router.js";
import { ErrorBox, Notice } from "../ui.jsx";

const NODE = "id kind label";
const NEIGHBOURHOOD = `query($id: ID!, $depth: Int!, $types: [String!], $limit: Int) {
  neighbourhood(id: $id, depth: $depth, relationshipTypes: $types, limit: $limit) {
    truncated
    nodes { degree collapsed node { ${NODE} } }
    edges { source target link { type } }
  }
}`;
const PATHS = `query($from: ID!, $to: ID!, $maxHops: Int!) {
  paths(from: $from, to: $to, maxHops: $maxHops, first: 5) {
    truncated paths { length nodes { ${NODE} } edges { source target link { type } } }
  }
}`;
const COMMON = `query($ids: [ID!]!) {
  commonLinks(ids: $ids, minShared: 2) { truncated links { shared node { ${NODE} } linkedTo { id } } }
}`;
// Types a user expands by; bookkeeping (records, alerts) is left out.
const EXPAND = ["HAS_PHONE", "HOLDS", "OWNS", "SUSPECT_IN", "VICTIM_IN", "WITNESS_IN", "TRANSFERRED", "CALLED", "STAYED_AT", "TRAVELLED", "PASSED", "WANTED_BY", "HANDLED_BY", "INCLUDES"];

function caption(node, degree, collapsed) {
  return collapsed ? `${node.label}（${degree} 条关系，已折叠）` : node.label;
}

function nodeElement(n, degree = 0, collapsed = false) {
  return { group: "nodes", data: { id: n.id, kind: n.kind, label: n.label, degree, collapsed, caption: caption(n, degree, collapsed) } };
}

function edgeElement(source, target, type) {
  return { group: "edges", data: { id: `${source}|${type}|${target}`, source, target, type, label: relation(type) } };
}

// Add what is not on the graph yet; new nodes go on a ring around `around` (if given),
// so the picture the user has arranged stays as it is. Returns the added elements.
function merge(cy, nodes, edges, around = null) {
  const fresh = nodes.filter((e) => cy.getElementById(e.data.id).empty());
  const centre = around ? cy.getElementById(around).position() : null;
  if (centre) {
    const r = 80 + fresh.length * 4;
    fresh.forEach((e, i) => {
      const a = (2 * Math.PI * i) / Math.max(1, fresh.length);
      e.position = { x: centre.x + r * Math.cos(a), y: centre.y + r * Math.sin(a) };
    });
  }
  for (const e of nodes) {
    const have = cy.getElementById(e.data.id);
    if (have.nonempty() && e.data.degree) have.data({ degree: e.data.degree, collapsed: e.data.collapsed, caption: e.data.caption });
  }
  const added = cy.add(fresh);
  const newEdges = edges.filter((e) => cy.getElementById(e.data.id).empty() && cy.getElementById(e.data.source).nonempty() && cy.getElementById(e.data.target).nonempty());
  return added.union(cy.add(newEdges));
}

function layout(cy, elements = cy.elements()) {
  const big = elements.nodes().length > 150;
  elements
    .layout(
      big
        ? { name: "concentric", animate: false, minNodeSpacing: 6, concentric: (n) => n.degree(), levelWidth: () => 4 }
        : { name: "cose", animate: false, randomize: false, nodeRepulsion: () => 9000, idealEdgeLength: () => 70, numIter: 600 },
    )
    .run();
}

export default function GraphView({ params }) {
  const box = useRef(null);
  const cyRef = useRef(null);
  const history = useRef([]);
  const [selected, setSelected] = useState([]);
  const [counts, setCounts] = useState({ nodes: 0, edges: 0 });
  const [notice, setNotice] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [expandType, setExpandType] = useState("");
  const [highlight, setHighlight] = useState("");
  const depth = Number(params.depth || 1);

  const refresh = () => {
    const cy = cyRef.current;
    setCounts({ nodes: cy.nodes().length, edges: cy.edges().length });
    setSelected(cy.nodes(":selected").map((n) => n.data()));
  };
  const remember = () => {
    const cy = cyRef.current;
    history.current.push(cy.elements().jsons());
    if (history.current.length > 30) history.current.shift();
  };
  const task = async (work) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await work(cyRef.current);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
      refresh();
    }
  };

  const neighbourhood = async (cy, id, types = null, d = 1, around = null, limit = null) => {
    const data = await gql(NEIGHBOURHOOD, { id, depth: d, types, limit });
    const sub = data.neighbourhood;
    if (!sub) throw Object.assign(new Error("未找到该对象，或您无权查看。"), { kind: "input" });
    const nodes = sub.nodes.map((g) => nodeElement(g.node, g.degree, g.collapsed));
    const edges = sub.edges.map((e) => edgeElement(e.source, e.target, e.link.type));
    if (sub.truncated) setNotice("关系过多，图中只显示了一部分；可按关系类型展开或降低层数。");
    return merge(cy, nodes, edges, around);
  };

  useEffect(() => {
    // Cytoscape adds a <style> element unless one with this id is there; the content
    // security policy allows style sheets of the hub only, and app.css has the rule.
    if (!document.getElementById("__________cytoscape_stylesheet")) {
      const marker = document.createElement("meta");
      marker.id = "__________cytoscape_stylesheet";
      document.head.appendChild(marker);
    }
    const cy = cytoscape({
      container: box.current,
      style: stylesheet(),
      minZoom: 0.05,
      maxZoom: 4,
      boxSelectionEnabled: true,
      textureOnViewport: false,
      hideEdgesOnViewport: false,
    });
    cyRef.current = cy;
    cy.on("select unselect add remove", () => setTimeout(refresh, 0));
    window.__hubGraph = cy; // for measuring in the browser tests
    return () => cy.destroy();
  }, []);

  useEffect(() => {
    const ids = (params.ids || "").split(",").filter(Boolean).slice(0, 25);
    const start = params.id ? [params.id] : ids;
    if (!start.length) return;
    task(async (cy) => {
      cy.elements().remove();
      history.current = [];
      const each = ids.length ? 60 : null;
      for (const id of start) await neighbourhood(cy, id, null, depth, null, each);
      layout(cy);
      cy.fit(undefined, 30);
      cy.getElementById(start[0]).select();
      performance.mark("hub:graph-drawn");
    });
  }, [params.id, params.ids, depth]);

  const one = selected.length === 1 ? selected[0] : null;
  const expand = () =>
    task(async (cy) => {
      remember();
      const added = await neighbourhood(cy, one.id, expandType ? [expandType] : null, 1, one.id);
      const what = expandType ? RELATIONS[expandType] : "全部关系";
      setNotice(
        added.nodes().empty()
          ? `${one.label}：没有更多可展开的${what}。`
          : `已展开 ${one.label} 的${what}：新增 ${added.nodes().length} 个节点。`,
      );
    });
  const paths = () =>
    task(async (cy) => {
      const [a, b] = selected;
      const data = await gql(PATHS, { from: a.id, to: b.id, maxHops: 6 });
      if (!data.paths.paths.length) return setNotice(`${a.label} 与 ${b.label} 之间在 6 步内没有路径。`);
      remember();
      cy.elements().removeClass("lit");
      for (const p of data.paths.paths) {
        merge(cy, p.nodes.map((n) => nodeElement(n)), p.edges.map((e) => edgeElement(e.source, e.target, e.link.type)), a.id);
        for (const n of p.nodes) cy.getElementById(n.id).addClass("lit");
        for (const e of p.edges) cy.edges(`[source = "${e.source}"][target = "${e.target}"]`).addClass("lit");
      }
      setNotice(`找到 ${data.paths.paths.length} 条最短路径，每条 ${data.paths.paths[0].length} 步，已高亮。`);
    });
  const common = () =>
    task(async (cy) => {
      const data = await gql(COMMON, { ids: selected.map((n) => n.id) });
      const links = data.commonLinks.links;
      if (!links.length) return setNotice("所选对象没有共同关联。");
      remember();
      cy.elements().removeClass("lit");
      const nodes = links.map((l) => nodeElement(l.node));
      const edges = links.flatMap((l) => l.linkedTo.map((t) => edgeElement(l.node.id, t.id, "LINKED")));
      merge(cy, nodes, edges, selected[0].id);
      for (const l of links) cy.getElementById(l.node.id).addClass("lit");
      setNotice(`共同关联 ${links.length} 个：${links.slice(0, 5).map((l) => l.node.label).join("、")}${links.length > 5 ? "…" : ""}`);
    });
  const pin = () => {
    for (const n of cyRef.current.nodes(":selected")) {
      if (n.locked()) n.unlock().removeClass("pinned");
      else n.lock().addClass("pinned");
    }
  };
  const hide = () => {
    remember();
    cyRef.current.nodes(":selected").remove();
  };
  const undo = () => {
    const cy = cyRef.current;
    const last = history.current.pop();
    if (!last) return setNotice("没有可撤销的操作。");
    cy.elements().remove();
    cy.add(last);
    refresh();
  };
  const light = (k) => {
    setHighlight(k);
    const cy = cyRef.current;
    cy.elements().removeClass("faded");
    if (k) cy.elements().not(cy.nodes(`[kind = "${k}"]`)).addClass("faded");
  };
  const kindsPresent = [...new Set(cyRef.current?.nodes().map((n) => n.data("kind")) || [])];
  const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, "");

  return (
    <div className="graph">
      <div className="toolbar" role="toolbar" aria-label="图谱工具">
        <label>
          层数
          <select aria-label="层数" value={depth} onChange={(e) => go("/graph", { ...params, depth: e.target.value })}>
            {[1, 2, 3].map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </label>
        <select aria-label="展开的关系类型" value={expandType} onChange={(e) => setExpandType(e.target.value)}>
          <option value="">全部关系</option>
          {EXPAND.map((t) => (
            <option key={t} value={t}>
              {RELATIONS[t]}
            </option>
          ))}
        </select>
        <button type="button" disabled={!one || busy} onClick={expand}>
          展开
        </button>
        <button type="button" disabled={selected.length !== 2 || busy} onClick={paths}>
          查找路径
        </button>
        <button type="button" disabled={selected.length < 2 || busy} onClick={common}>
          共同关联
        </button>
        <button type="button" disabled={!selected.length} onClick={pin}>
          固定
        </button>
        <button type="button" disabled={!selected.length} onClick={hide}>
          隐藏
        </button>
        <button type="button" onClick={undo}>
          撤销
        </button>
        <button type="button" onClick={() => layout(cyRef.current)}>
          重新布局
        </button>
        <select aria-label="高亮类别" value={highlight} onChange={(e) => light(e.target.value)}>
          <option value="">高亮类别…</option>
          {kindsPresent.map((k) => (
            <option key={k} value={k}>
              {KINDS[k] || k}
            </option>
          ))}
        </select>
        <span className="export">
          导出
          <button type="button" onClick={() => cyRef.current.png({ output: "blob-promise", full: true, scale: 2, bg: "#ffffff" }).then((b) => download(`关系图谱-${stamp}.png`, b))}>
            PNG
          </button>
          <button type="button" onClick={() => download(`关系图谱-${stamp}.svg`, svg(cyRef.current))}>
            SVG
          </button>
          <button type="button" onClick={() => download(`关系图谱-${stamp}.csv`, csv(cyRef.current))}>
            CSV
          </button>
          <button type="button" onClick={() => download(`关系图谱-${stamp}.json`, json(cyRef.current))}>
            JSON
          </button>
        </span>
      </div>
      <div className="graph-body">
        <div className="canvas" ref={box} aria-label="关系图" />
        <aside className="inspector" aria-label="选中对象">
          <p className="counts" role="status" aria-label="图中数量">
            {busy ? "加载中…" : `节点 ${counts.nodes} · 关系 ${counts.edges}`}
          </p>
          {/* results and errors beside the canvas, so that the canvas never moves */}
          <ErrorBox error={error} />
          {notice ? (
            <p className="notice" role="status" aria-label="提示">
              {notice}
            </p>
          ) : null}
          {!params.id && !params.ids ? <Notice>从搜索结果或档案点“图谱”开始。</Notice> : null}
          {selected.length === 0 ? <p className="hint">点击选择节点；按住 Shift 多选；点下方名称打开档案。</p> : null}
          {selected.map((n) => (
            <div key={n.id} className="picked">
              <span className="tag">{kind(n.kind)}</span> <a href={href(`/entity/${n.id}`)}>{n.label}</a>
              {n.collapsed ? <span className="detail">（{n.degree} 条关系，已折叠）</span> : null}
            </div>
          ))}
        </aside>
      </div>
    </div>
  );
}
