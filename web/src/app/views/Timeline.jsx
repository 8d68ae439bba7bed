// 时间轴: an entity's or an operation's events in time order — case events, stays,
// journeys, checkpoint passes, transfers, calls and source records — filterable by
// kind and period. Assembled from the entity's links as the API gives them.
import { useState } from "react";
import { gql } from "../api.js";
import { LINK_FIELDS } from "../entity.js";
import { dateTime, dayInput, source, yuan } from "../format.js";
import { href } from "../router.js";
import { EntityLink, ErrorBox, Loading, Notice, useLoad } from "../ui.jsx";

const KINDS = {
  case: "案件",
  stay: "住宿/上网",
  journey: "出行",
  pass: "卡口通行",
  transfer: "转账",
  call: "通话",
  record: "源记录",
  operation: "作战",
};

const CASE = "... on Case { caseNo title acceptedAt filedAt solvedAt }";
const CONNECTIONS = {
  Person: ["cases", "stays", "journeys", "accounts", "phones", "vehicles"],
  Phone: ["called", "calledBy", "users"],
  BankAccount: ["transfersOut", "transfersIn"],
  Vehicle: ["passes"],
  Case: ["people"],
  Place: ["stays", "journeys", "passes"],
  Warrant: ["wanted"],
};

// The hub caps a query's cost (each field times the page sizes above it): the pages
// share a budget of about 3,000.
function entityQuery(kind) {
  const fields = CONNECTIONS[kind] || [];
  const page = Math.min(100, Math.floor(3000 / (30 * Math.max(1, fields.length))));
  const links = fields
    .map((f) => `${f}(first: ${page}) { edges { node { id kind label ${f === "cases" ? CASE : ""} } link { ${LINK_FIELDS} } } }`)
    .join(" ");
  return `query($id: ID!) { node(id: $id) { id ... on Entity { kind label
    records(first: 50) { edges { node { id label source stream fetchedAt } } } }
    ${CASE} ... on ${kind} { ${links} } } }`;
}
const KIND_OF = "query($id: ID!) { node(id: $id) { id ... on Entity { kind label } } }";
const ACCOUNT = `query($id: ID!) { node(id: $id) { ... on BankAccount {
  transfersOut(first: 60) { edges { node { id kind label } link { ${LINK_FIELDS} } } }
  transfersIn(first: 60) { edges { node { id kind label } link { ${LINK_FIELDS} } } } } } }`;
const OPERATION = `query($id: ID!) { operation(id: $id) { id name createdAt closedAt createdBy
  includes(first: 100) { edges { node { id kind label ${CASE} } link { firstSeen } } } } }`;

function caseEvents(node) {
  return [
    ["acceptedAt", "受理"],
    ["filedAt", "立案"],
    ["solvedAt", "破案"],
  ]
    .filter(([f]) => node[f])
    .map(([f, what]) => ({ at: node[f], kind: "case", title: `案件${what}`, detail: node.title || "", node }));
}

function linkEvents(field, edges) {
  const out = [];
  for (const { node, link } of edges) {
    if (link.type === "TRANSFERRED" && link.paidAt) {
      const into = field === "transfersIn";
      out.push({ at: link.paidAt, kind: "transfer", title: into ? "转入" : "转出", detail: `${yuan(link.amount)} · ${link.txnId}`, node });
    } else if (link.checkin) {
      out.push({ at: link.checkin, kind: "stay", title: "入住/上网", detail: link.room ? `房间 ${link.room}` : "", node });
    } else if (link.trainNo || (link.type === "TRAVELLED" && link.at)) {
      out.push({ at: link.at, kind: "journey", title: "乘车出行", detail: `${link.trainNo || ""} 至 ${link.toStation || "—"}`, node });
    } else if (link.type === "PASSED" && link.at) {
      out.push({ at: link.at, kind: "pass", title: "卡口通行", detail: link.direction || "", node });
    } else if (link.type === "CALLED" && link.firstAt) {
      const detail = `${link.count} 次，至 ${dateTime(link.lastAt)}`;
      out.push({ at: link.firstAt, kind: "call", title: field === "calledBy" ? "来电" : "去电", detail, node });
    }
    if (node.kind === "Case") out.push(...caseEvents(node));
  }
  return out;
}

async function entityEvents(id) {
  const { node: found } = await gql(KIND_OF, { id });
  if (!found?.kind) return null;
  const { node } = await gql(entityQuery(found.kind), { id });
  const events = node.records.edges.map(({ node: r }) => ({
    at: r.fetchedAt,
    kind: "record",
    title: `${source(r.source)}记录`,
    detail: r.stream,
    node: null,
  }));
  if (found.kind === "Case") events.push(...caseEvents(node));
  for (const field of CONNECTIONS[found.kind] || []) {
    events.push(...linkEvents(field, node[field].edges));
  }
  // A person's transfers are those of the accounts they hold.
  for (const { node: account } of node.accounts?.edges || []) {
    const { node: a } = await gql(ACCOUNT, { id: account.id });
    events.push(...linkEvents("transfersOut", a.transfersOut.edges), ...linkEvents("transfersIn", a.transfersIn.edges));
  }
  return { title: found.label, events };
}

async function operationEvents(id) {
  const { operation: op } = await gql(OPERATION, { id });
  if (!op) return null;
  const events = [{ at: op.createdAt, kind: "operation", title: "发起作战", detail: op.createdBy, node: null }];
  if (op.closedAt) events.push({ at: op.closedAt, kind: "operation", title: "结束作战", detail: "", node: null });
  for (const { node, link } of op.includes.edges) {
    if (link.firstSeen) events.push({ at: link.firstSeen, kind: "operation", title: "纳入作战", detail: "", node });
    if (node.kind === "Case") events.push(...caseEvents(node));
  }
  return { title: op.name, events };
}

export function TimelineView({ params }) {
  const id = params.id || params.operation;
  const { data, error, loading } = useLoad(
    () => (params.operation ? operationEvents(params.operation) : params.id ? entityEvents(params.id) : Promise.resolve(null)),
    [params.id, params.operation],
  );
  const [hidden, setHidden] = useState([]);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  if (!id) return <Notice>从档案或合成作战打开时间轴。</Notice>;
  if (loading) return <Loading what="整理时间轴" />;
  if (error) return <ErrorBox error={error} />;
  if (!data) return <Notice>未找到该对象，或您无权查看。</Notice>;
  const present = [...new Set(data.events.map((e) => e.kind))];
  const shown = data.events
    .filter((e) => e.at && !hidden.includes(e.kind))
    .filter((e) => (!from || dayInput(e.at) >= from) && (!to || dayInput(e.at) <= to))
    .sort((a, b) => new Date(a.at) - new Date(b.at));
  const toggle = (k) => setHidden((h) => (h.includes(k) ? h.filter((x) => x !== k) : [...h, k]));
  return (
    <div className="timeline">
      <h1>时间轴：{data.title}</h1>
      <p>
        <a href={href(params.operation ? `/operation/${id}` : `/entity/${id}`)}>返回档案</a>
      </p>
      <div className="filters">
        {present.map((k) => (
          <label key={k}>
            <input type="checkbox" checked={!hidden.includes(k)} onChange={() => toggle(k)} /> {KINDS[k]}
          </label>
        ))}
        <label>
          自 <input aria-label="开始日期" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          至 <input aria-label="结束日期" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
      </div>
      <p className="summary">共 {shown.length} 个事件</p>
      <ol className="events">
        {shown.map((e, i) => (
          <li key={`${e.at}-${i}`} className={`event ${e.kind}`}>
            <time>{dateTime(e.at)}</time>
            <span className="tag">{KINDS[e.kind]}</span>
            <strong>{e.title}</strong>
            {e.node ? <EntityLink node={e.node} /> : null}
            <span className="detail">{e.detail}</span>
          </li>
        ))}
      </ol>
      {!shown.length ? <Notice>所选范围内没有事件。</Notice> : null}
    </div>
  );
}
