// 全局搜索: one box for names (characters or pinyin), ID numbers, phones, cards, plates
// and case numbers; hits grouped by kind, masked as the API masks them for the user.
import { useState } from "react";
import { gql } from "../api.js";
import { kind } from "../format.js";
import { go, href } from "../router.js";
import { EntityLink, ErrorBox, Loading, Notice, useLoad } from "../ui.jsx";

const SEARCH = `query($text: String!) {
  search(text: $text, first: 60) {
    edges { score node { id kind label
      ... on Person { idNumber birthDate address }
      ... on Phone { number }
      ... on BankAccount { number bank }
      ... on Vehicle { plate model }
      ... on Case { caseNo title status }
      ... on Warrant { warrantNo offence }
      ... on Place { name address }
    } }
  }
}`;

const ORDER = ["Person", "Case", "Phone", "BankAccount", "Vehicle", "Warrant", "Place"];

function detail(node) {
  switch (node.kind) {
    case "Person":
      return [node.idNumber, node.birthDate, node.address].filter(Boolean).join(" · ");
    case "BankAccount":
      return node.bank || "";
    case "Vehicle":
      return node.model || "";
    case "Case":
      return [node.caseNo, node.status].filter(Boolean).join(" · ");
    case "Warrant":
      return node.offence || "";
    case "Place":
      return node.address || "";
    default:
      return "";
  }
}

function Results({ text }) {
  const { data, error, loading } = useLoad(() => gql(SEARCH, { text }), [text]);
  if (loading) return <Loading what="搜索中" />;
  if (error) return <ErrorBox error={error} />;
  const hits = data.search.edges.map((e) => e.node);
  if (!hits.length) return <Notice>未找到与“{text}”相关的结果。</Notice>;
  const groups = {};
  for (const node of hits) (groups[node.kind] ||= []).push(node);
  const kinds = Object.keys(groups).sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  return (
    <div className="results">
      <p className="summary">共 {hits.length} 条结果</p>
      {kinds.map((k) => (
        <section key={k} className="group" aria-label={`${kind(k)}结果`}>
          <h2>
            {kind(k)} <span className="count">{groups[k].length}</span>
          </h2>
          <ul>
            {groups[k].map((node) => (
              <li key={node.id}>
                <EntityLink node={node} />
                <span className="detail">{detail(node)}</span>
                <span className="actions">
                  <a href={href("/graph", { id: node.id })}>图谱</a>
                  <a href={href("/timeline", { id: node.id })}>时间轴</a>
                </span>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

export function SearchView({ params }) {
  const [text, setText] = useState(params.q || "");
  const submit = (event) => {
    event.preventDefault();
    if (text.trim()) go("/search", { q: text.trim() });
  };
  return (
    <div className="search">
      <form className="search-box" onSubmit={submit} role="search">
        <input
          aria-label="搜索"
          placeholder="姓名（汉字或拼音）、身份证号、手机号、银行卡号、车牌、案件编号"
          value={text}
          onChange={(event) => setText(event.target.value)}
        />
        <button type="submit">搜索</button>
      </form>
      {params.q ? (
        <Results text={params.q} />
      ) : (
        <Notice>输入任意线索开始研判：人员、号码、账户、车辆、案件一次搜索。</Notice>
      )}
    </div>
  );
}
