// 档案: an entity's properties, its source records (which system, when), its links by
// relationship, and for a person the identity-resolution explanation with the review
// decisions a user allowed to decide can take.
import { useState } from "react";
import { gql, payload } from "../api.js";
import { KIND_OF, LINKS, PROPERTIES, entityQuery, isTime } from "../entity.js";
import { SUSPECT_ROLES, dateTime, kind, number, source, yuan } from "../format.js";
import { go, href } from "../router.js";
import { useSession } from "../session.jsx";
import { EntityLink, ErrorBox, KindTag, Loading, Notice, useAction, useLoad } from "../ui.jsx";
import { AddToOperation } from "./Operations.jsx";

export function linkText(link) {
  if (!link) return "";
  const parts = [];
  if (link.role) parts.push(SUSPECT_ROLES[link.role] || link.role);
  if (link.amount != null) parts.push(yuan(link.amount));
  if (link.at || link.paidAt) parts.push(dateTime(link.at || link.paidAt));
  if (link.checkin) parts.push(`入住 ${dateTime(link.checkin)}`);
  if (link.room) parts.push(`房间 ${link.room}`);
  if (link.trainNo) parts.push(`${link.trainNo} 至 ${link.toStation || "—"}`);
  if (link.count != null) parts.push(`${number(link.count)} 次，${number(link.seconds)} 秒`);
  if (link.loss != null) parts.push(`损失 ${yuan(link.loss)}`);
  if (link.direction) parts.push(link.direction);
  return parts.join(" · ");
}

function value(field, v) {
  if (v === null || v === undefined || v === "") return "—";
  if (isTime(field)) return dateTime(v);
  if (field === "loss" || field === "amount") return yuan(v);
  if (field === "source") return source(v);
  if (field === "sex") return { F: "女", M: "男" }[v] || v;
  return String(v);
}

function Properties({ node }) {
  return (
    <dl className="props">
      {(PROPERTIES[node.kind] || []).map(([field, label]) => (
        <div key={field}>
          <dt>{label}</dt>
          <dd data-field={field}>{value(field, node[field])}</dd>
        </div>
      ))}
      <div>
        <dt>来源系统</dt>
        <dd>{node.sources.map(source).join("、") || "—"}</dd>
      </div>
      <div>
        <dt>首次/最近出现</dt>
        <dd>
          {dateTime(node.firstSeen)} / {dateTime(node.lastSeen)}
        </dd>
      </div>
    </dl>
  );
}

function Records({ records }) {
  const [open, setOpen] = useState(null);
  if (!records.edges.length) return <Notice>没有源记录。</Notice>;
  return (
    <table className="records">
      <thead>
        <tr>
          <th>来源系统</th>
          <th>数据类别</th>
          <th>源系统编号</th>
          <th>获取时间</th>
          <th>原始记录</th>
        </tr>
      </thead>
      <tbody>
        {records.edges.map(({ node: r }) => (
          <tr key={r.id}>
            <td>{source(r.source)}</td>
            <td>{r.stream}</td>
            <td>{r.sourceId}</td>
            <td>{dateTime(r.fetchedAt)}</td>
            <td>
              <button type="button" className="small" onClick={() => setOpen(open === r.id ? null : r.id)}>
                {open === r.id ? "收起" : "查看"}
              </button>
              {open === r.id ? <pre>{pretty(r.raw)}</pre> : null}
            </td>
          </tr>
        ))}
      </tbody>
      {records.totalCount > records.edges.length ? (
        <caption>共 {records.totalCount} 条，显示前 {records.edges.length} 条</caption>
      ) : null}
    </table>
  );
}

function pretty(raw) {
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
}

function Links({ node }) {
  const sections = (LINKS[node.kind] || []).filter(([f]) => node[f]?.totalCount);
  if (!sections.length) return <Notice>没有关联对象。</Notice>;
  return sections.map(([field, label]) => (
    <section key={field} className="links" aria-label={label}>
      <h3>
        {label} <span className="count">{node[field].totalCount}</span>
      </h3>
      <ul>
        {node[field].edges.map(({ node: other, link }, i) => (
          <li key={`${other.id}-${i}`}>
            <KindTag name={other.kind} />
            <EntityLink node={other} />
            <span className="detail">{linkText(link)}</span>
            <span className="sources">{link.sources.map(source).join("、")}</span>
          </li>
        ))}
      </ul>
    </section>
  ));
}

const IDENTITY = `query($id: ID!) { identity(person: $id) {
  units
  judgements { left right verdict by at score comparisons { field level weight } }
  reviews { left right verdict score comparisons { field level weight } other { id label idNumber } }
} }`;
const DECIDE = `mutation($a: ID!, $b: ID!, $same: Boolean!, $reason: String!) {
  decideSameEntity(a: $a, b: $b, same: $same, reason: $reason) {
    __typename ... on Decided { merged split } ... on MutationError { message }
  }
}`;
const VERDICTS = { positive: "同一人", negative: "非同一人", unsure: "待人工判定" };
const FIELDS = {
  name: "姓名",
  id_number: "身份证号",
  birth_date: "出生日期",
  birth: "出生日期",
  doc: "证件号码",
  ethnicity: "民族",
  phone: "电话",
  account: "账户",
  address: "住址",
  pinyin: "拼音",
  sex: "性别",
};

function Comparisons({ list }) {
  return (
    <ul className="comparisons">
      {list.map((c) => (
        <li key={c.field} className={c.weight >= 0 ? "agree" : "differ"}>
          {FIELDS[c.field] || c.field}：{c.level < 0 ? "缺失" : `一致度 ${c.level}`}（{c.weight > 0 ? "+" : ""}
          {c.weight.toFixed(1)} 比特）
        </li>
      ))}
    </ul>
  );
}

function Review({ me, review, onDecided }) {
  const { may } = useSession();
  const [reason, setReason] = useState("");
  const decide = useAction(async (same) =>
    payload((await gql(DECIDE, { a: me, b: review.other.id, same, reason })).decideSameEntity),
  );
  const act = async (same) => {
    if (await decide.run(same)) onDecided();
  };
  return (
    <li className="review">
      <p>
        可能与 <EntityLink node={review.other} />（{review.other.idNumber || "无身份证号"}）是同一人，
        匹配得分 {review.score?.toFixed(1)}
      </p>
      <Comparisons list={review.comparisons} />
      {may("Mutation.decideSameEntity") ? (
        <div className="decide">
          <input
            aria-label="判定理由"
            placeholder="判定理由（必填，如核实情况、案件编号）"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
          <button type="button" disabled={decide.running || !reason.trim()} onClick={() => act(true)}>
            是同一人
          </button>
          <button type="button" disabled={decide.running || !reason.trim()} onClick={() => act(false)}>
            不是同一人
          </button>
          <ErrorBox error={decide.error} />
        </div>
      ) : (
        <p className="hint">您的角色不能做同一人判定。</p>
      )}
    </li>
  );
}

function Identity({ id, reloadCard }) {
  const { data, error, loading, reload } = useLoad(() => gql(IDENTITY, { id }), [id]);
  const [done, setDone] = useState(null);
  if (loading && !data) return <Loading what="加载身份研判" />;
  if (error) return <ErrorBox error={error} />;
  const identity = data.identity;
  if (!identity) return <Notice>无身份研判信息。</Notice>;
  const decided = () => {
    setDone("判定已保存，档案已更新。");
    reload();
    reloadCard();
  };
  return (
    <div className="identity">
      {done ? <p className="ok" role="status">{done}</p> : null}
      <p>
        本档案由 {identity.units.length} 个身份归并：{identity.units.join("、")}
      </p>
      {identity.judgements.length ? (
        <ul>
          {identity.judgements.map((j) => (
            <li key={`${j.left}|${j.right}`}>
              {j.left} 与 {j.right}：<strong>{VERDICTS[j.verdict] || j.verdict}</strong>，
              {j.by.startsWith("rule:") ? "系统自动判定" : `由 ${j.by.replace(/^user:/, "")} 判定`}，
              {dateTime(j.at)}
              {j.score != null ? `，得分 ${j.score.toFixed(1)}` : ""}
              <Comparisons list={j.comparisons} />
            </li>
          ))}
        </ul>
      ) : (
        <p className="hint">同一身份证号或仅一条记录：无需判定。</p>
      )}
      {identity.reviews.length ? (
        <>
          <h3>待人工判定</h3>
          <ul>
            {identity.reviews.map((r) => (
              <Review key={`${r.left}|${r.right}`} me={id} review={r} onDecided={decided} />
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

function Card({ id, kindName }) {
  const { data, error, loading, reload } = useLoad(
    () => gql(entityQuery(kindName), { id }),
    [id, kindName],
  );
  if (loading && !data) return <Loading what="加载档案" />;
  if (error) return <ErrorBox error={error} />;
  const node = data.node;
  if (!node) return <Notice>未找到该对象，或您无权查看。</Notice>;
  return (
    <article className="card">
      <header>
        <KindTag name={node.kind} />
        <h1>{node.label}</h1>
        <nav className="actions">
          <a href={href("/graph", { id })}>关系图谱</a>
          <a href={href("/timeline", { id })}>时间轴</a>
          {node.kind === "BankAccount" ? (
            <a href={href("/money", { account: node.number.includes("*") ? node.id : node.number })}>资金流向</a>
          ) : null}
          <AddToOperation ids={[id]} />
        </nav>
      </header>
      <section aria-label="基本信息">
        <h2>{kind(node.kind)}档案</h2>
        <Properties node={node} />
      </section>
      <section aria-label="关联关系">
        <h2>关联关系</h2>
        <Links node={node} />
      </section>
      <section aria-label="源记录">
        <h2>源记录（数据来源）</h2>
        <Records records={node.records} />
      </section>
      {node.kind === "Person" ? (
        <section aria-label="身份研判">
          <h2>身份研判</h2>
          <Identity id={id} reloadCard={reload} />
        </section>
      ) : null}
    </article>
  );
}

export function EntityView({ id }) {
  const { data, error, loading } = useLoad(() => gql(KIND_OF, { id }), [id]);
  if (loading) return <Loading what="加载档案" />;
  if (error) return <ErrorBox error={error} />;
  const found = data.node;
  if (!found?.kind) return <Notice>未找到该对象，或您无权查看。</Notice>;
  if (found.kind === "Operation") {
    go(`/operation/${id}`);
    return null;
  }
  return <Card id={id} kindName={found.kind} />;
}

