// 串并案 / 集群打击: cases linked by shared accounts, phones or persons, each cluster
// openable as a graph and as a joint operation.
import { useState } from "react";
import { gql } from "../api.js";
import { dateTime, kind } from "../format.js";
import { go, href } from "../router.js";
import { EntityLink, ErrorBox, KindTag, Loading, Notice, useAction, useLoad } from "../ui.jsx";
import { createOperation } from "./Operations.jsx";

const CLUSTERS = `query($kinds: [String!], $minShared: Int!) {
  caseClusters(kinds: $kinds, minShared: $minShared) { truncated clusters { size
    cases { id label caseNo title category acceptedAt }
    links { id kind label }
  } }
}`;
const LINKING = [
  ["BankAccount", "共用账户"],
  ["Phone", "共用号码"],
  ["Person", "共同人员"],
];

function Cluster({ cluster, n }) {
  const open = useAction(() =>
    createOperation(
      `串并案集群打击 ${n}：${cluster.cases[0].title || cluster.cases[0].caseNo}等${cluster.size}起`,
      cluster.cases.map((c) => c.id),
    ),
  );
  const strike = async () => {
    const made = await open.run();
    if (made) go(`/operation/${made.operation.id}`);
  };
  const ids = [...cluster.cases, ...cluster.links].map((x) => x.id).join(",");
  return (
    <section className="cluster" aria-label={`集群 ${n}`}>
      <header>
        <h2>
          集群 {n}：{cluster.size} 起案件
        </h2>
        <nav className="actions">
          <a href={href("/graph", { ids })}>在图谱中打开</a>
          <button type="button" onClick={strike} disabled={open.running}>
            发起合成作战
          </button>
        </nav>
      </header>
      <ErrorBox error={open.error} />
      <div className="columns">
        <ul>
          {cluster.cases.map((c) => (
            <li key={c.id}>
              <EntityLink node={c} /> {c.title} <span className="detail">{dateTime(c.acceptedAt)}</span>
            </li>
          ))}
        </ul>
        <ul className="shared">
          {cluster.links.map((l) => (
            <li key={l.id}>
              <KindTag name={l.kind} /> <EntityLink node={l} />
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}

export function ClustersView() {
  const [kinds, setKinds] = useState(LINKING.map(([k]) => k));
  const [minShared, setMinShared] = useState(1);
  const { data, error, loading } = useLoad(() => gql(CLUSTERS, { kinds, minShared }), [kinds.join(), minShared]);
  const toggle = (k) => setKinds((now) => (now.includes(k) ? now.filter((x) => x !== k) : [...now, k]));
  return (
    <div className="clusters">
      <h1>串并案分析</h1>
      <div className="filters">
        {LINKING.map(([k, label]) => (
          <label key={k}>
            <input type="checkbox" checked={kinds.includes(k)} onChange={() => toggle(k)} /> {label}
          </label>
        ))}
        <label>
          至少共用
          <input type="number" min={1} max={10} value={minShared} onChange={(e) => setMinShared(Number(e.target.value) || 1)} />
          个{kinds.map(kind).join("/")}
        </label>
      </div>
      {loading ? <Loading what="分析中" /> : null}
      <ErrorBox error={error} />
      {data?.caseClusters.truncated ? <Notice>结果过多，仅显示部分集群，请缩小范围。</Notice> : null}
      {data && !data.caseClusters.clusters.length ? <Notice>没有发现可串并的案件。</Notice> : null}
      {data?.caseClusters.clusters.map((c, i) => (
        <Cluster key={c.cases.map((x) => x.id).join()} cluster={c} n={i + 1} />
      ))}
    </div>
  );
}
