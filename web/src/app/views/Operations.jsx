// 合成作战: joint operations — list, open one (also from a case cluster), take cases and
// persons in and out, close it; each operation with its graph and timeline.
import { useState } from "react";
import { gql, payload } from "../api.js";
import { OPERATION_STATUS, dateTime } from "../format.js";
import { go, href } from "../router.js";
import { useSession } from "../session.jsx";
import { EntityLink, ErrorBox, KindTag, Loading, Notice, useAction, useLoad } from "../ui.jsx";

const OP_FIELDS = "id opId name status createdAt closedAt members createdBy";
const LIST = `query($status: String) { operations(status: $status, first: 100) {
  totalCount edges { node { ${OP_FIELDS} includes(first: 1) { totalCount } } } } }`;
const ONE = `query($id: ID!) { operation(id: $id) { ${OP_FIELDS}
  includes(first: 100) { totalCount edges { node { id kind label } link { type firstSeen } } } } }`;
const RESULT = `__typename ... on OperationPayload { operation { id name } size } ... on MutationError { message }`;
const CREATE = `mutation($name: String!, $members: [String!], $ids: [ID!]) {
  createOperation(name: $name, members: $members, ids: $ids) { ${RESULT} } }`;
const ADD = `mutation($op: ID!, $ids: [ID!]!) { addToOperation(operation: $op, ids: $ids) { ${RESULT} } }`;
const REMOVE = `mutation($op: ID!, $ids: [ID!]!) { removeFromOperation(operation: $op, ids: $ids) { ${RESULT} } }`;
const CLOSE = `mutation($op: ID!) { closeOperation(operation: $op) { ${RESULT} } }`;

export async function createOperation(name, ids, members = []) {
  const result = await gql(CREATE, { name, ids, members });
  return payload(result.createOperation);
}

// "加入合成作战": take the given entities into one of the user's open operations.
export function AddToOperation({ ids }) {
  const [open, setOpen] = useState(false);
  const list = useLoad(() => (open ? gql(LIST, { status: "open" }) : Promise.resolve(null)), [open]);
  const add = useAction(async (op) => payload((await gql(ADD, { op, ids })).addToOperation));
  if (!open) {
    return (
      <button type="button" className="link" onClick={() => setOpen(true)}>
        加入合成作战
      </button>
    );
  }
  const ops = list.data?.operations.edges.map((e) => e.node) || [];
  return (
    <span className="add-to-op">
      {list.loading ? "…" : null}
      <select aria-label="选择合成作战" onChange={(e) => e.target.value && add.run(e.target.value)} defaultValue="">
        <option value="">选择进行中的作战…</option>
        {ops.map((op) => (
          <option key={op.id} value={op.id}>
            {op.name}
          </option>
        ))}
      </select>
      {add.done ? <span className="ok" role="status">已加入“{add.done.operation.name}”</span> : null}
      <ErrorBox error={add.error || list.error} />
    </span>
  );
}

function CreateForm({ onCreated }) {
  const { viewer } = useSession();
  const [name, setName] = useState("");
  const [members, setMembers] = useState("");
  const create = useAction(() =>
    createOperation(
      name.trim(),
      [],
      members
        .split(/[,，、\s]+/)
        .map((m) => m.trim())
        .filter(Boolean),
    ),
  );
  const submit = async (event) => {
    event.preventDefault();
    const made = await create.run();
    if (made) onCreated(made.operation.id);
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="新建合成作战">
      <input aria-label="作战名称" placeholder="作战名称" value={name} onChange={(e) => setName(e.target.value)} />
      <input
        aria-label="成员"
        placeholder={`成员（用逗号分隔；${viewer.user} 自动加入）`}
        value={members}
        onChange={(e) => setMembers(e.target.value)}
      />
      <button type="submit" disabled={!name.trim() || create.running}>
        新建作战
      </button>
      <ErrorBox error={create.error} />
    </form>
  );
}

export function OperationsView() {
  const [status, setStatus] = useState("");
  const { data, error, loading } = useLoad(() => gql(LIST, { status: status || null }), [status]);
  return (
    <div className="operations">
      <h1>合成作战</h1>
      <CreateForm onCreated={(id) => go(`/operation/${id}`)} />
      <div className="filters">
        {[
          ["", "全部"],
          ["open", "进行中"],
          ["closed", "已结束"],
        ].map(([value, label]) => (
          <button key={value} type="button" className={status === value ? "on" : ""} onClick={() => setStatus(value)}>
            {label}
          </button>
        ))}
      </div>
      {loading ? <Loading /> : null}
      <ErrorBox error={error} />
      {data && !data.operations.edges.length ? <Notice>没有合成作战。</Notice> : null}
      {data?.operations.edges.length ? (
        <table>
          <thead>
            <tr>
              <th>名称</th>
              <th>状态</th>
              <th>纳入对象</th>
              <th>成员</th>
              <th>发起</th>
            </tr>
          </thead>
          <tbody>
            {data.operations.edges.map(({ node: op }) => (
              <tr key={op.id}>
                <td>
                  <a href={href(`/operation/${op.id}`)}>{op.name}</a>
                </td>
                <td>{OPERATION_STATUS[op.status] || op.status}</td>
                <td>{op.includes.totalCount}</td>
                <td>{(op.members || []).join("、")}</td>
                <td>
                  {op.createdBy} · {dateTime(op.createdAt)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

const FIND = `query($text: String!) { search(text: $text, first: 8) { edges { node { id kind label } } } }`;

function AddBySearch({ op, onChanged }) {
  const [text, setText] = useState("");
  const [hits, setHits] = useState(null);
  const find = useAction(async () => (await gql(FIND, { text })).search.edges.map((e) => e.node));
  const add = useAction(async (id) => payload((await gql(ADD, { op, ids: [id] })).addToOperation));
  const search = async (event) => {
    event.preventDefault();
    setHits(await find.run());
  };
  return (
    <div className="add-by-search">
      <form className="inline-form" onSubmit={search}>
        <input aria-label="查找要纳入的对象" placeholder="查找案件、人员、账户…" value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" disabled={!text.trim()}>
          查找
        </button>
      </form>
      <ErrorBox error={find.error || add.error} />
      {hits ? (
        <ul>
          {hits.map((node) => (
            <li key={node.id}>
              <KindTag name={node.kind} /> {node.label}{" "}
              <button type="button" className="small" onClick={async () => (await add.run(node.id)) && onChanged()}>
                纳入
              </button>
            </li>
          ))}
          {!hits.length ? <li>未找到。</li> : null}
        </ul>
      ) : null}
    </div>
  );
}

export function OperationView({ id }) {
  const { data, error, loading, reload } = useLoad(() => gql(ONE, { id }), [id]);
  const change = useAction(async (mutation, variables, field) => payload((await gql(mutation, variables))[field]));
  const act = async (...args) => (await change.run(...args)) && reload();
  if (loading && !data) return <Loading />;
  if (error) return <ErrorBox error={error} />;
  const op = data.operation;
  if (!op) return <Notice>未找到该合成作战，或您不是其成员。</Notice>;
  const open = op.status === "open";
  const items = op.includes.edges.map((e) => e.node);
  return (
    <article className="operation">
      <header>
        <KindTag name="Operation" />
        <h1>{op.name}</h1>
        <span className={`status ${op.status}`}>{OPERATION_STATUS[op.status] || op.status}</span>
        <nav className="actions">
          <a href={href("/graph", { ids: items.map((n) => n.id).join(",") })}>作战关系图谱</a>
          <a href={href("/timeline", { operation: id })}>作战时间轴</a>
          {open ? (
            <button type="button" onClick={() => act(CLOSE, { op: id }, "closeOperation")}>
              结束作战
            </button>
          ) : null}
        </nav>
      </header>
      <dl className="props">
        <div>
          <dt>作战编号</dt>
          <dd>{op.opId}</dd>
        </div>
        <div>
          <dt>成员</dt>
          <dd>{(op.members || []).join("、")}</dd>
        </div>
        <div>
          <dt>发起</dt>
          <dd>
            {op.createdBy} · {dateTime(op.createdAt)}
          </dd>
        </div>
        {op.closedAt ? (
          <div>
            <dt>结束时间</dt>
            <dd>{dateTime(op.closedAt)}</dd>
          </div>
        ) : null}
      </dl>
      <ErrorBox error={change.error} />
      <section aria-label="纳入对象">
        <h2>
          纳入对象 <span className="count">{op.includes.totalCount}</span>
        </h2>
        <ul className="included">
          {items.map((node) => (
            <li key={node.id}>
              <KindTag name={node.kind} />
              <EntityLink node={node} />
              {open ? (
                <button
                  type="button"
                  className="small"
                  aria-label={`移出 ${node.label}`}
                  onClick={() => act(REMOVE, { op: id, ids: [node.id] }, "removeFromOperation")}
                >
                  移出
                </button>
              ) : null}
            </li>
          ))}
        </ul>
        {open ? <AddBySearch op={id} onChanged={reload} /> : null}
      </section>
    </article>
  );
}
