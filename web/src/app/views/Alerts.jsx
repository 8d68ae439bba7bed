// 预警: alerts pushed live by the subscription, newest first; acknowledge (签收) and
// resolve (处置) them.
import { useState } from "react";
import { ALERT_FIELDS, useAlerts } from "../alerts.jsx";
import { gql, payload } from "../api.js";
import { ALERT_STATUS, RULES, dateTime } from "../format.js";
import { EntityLink, ErrorBox, KindTag, Loading, Notice, useAction, useLoad } from "../ui.jsx";

const LIST = `query($status: String) { alerts(status: $status, first: 50) {
  totalCount edges { node { ${ALERT_FIELDS} } } } }`;
const ACK = `mutation($id: ID!) { acknowledgeAlert(alert: $id) {
  __typename ... on AlertPayload { alert { id status } } ... on MutationError { message } } }`;
const RESOLVE = `mutation($id: ID!) { resolveAlert(alert: $id) {
  __typename ... on AlertPayload { alert { id status } } ... on MutationError { message } } }`;

function AlertItem({ alert, live, onChanged }) {
  const [status, setStatus] = useState(alert.status);
  const act = useAction(async (mutation, field) => payload((await gql(mutation, { id: alert.id }))[field]));
  const run = async (mutation, field) => {
    const done = await act.run(mutation, field);
    if (done) {
      setStatus(done.alert.status);
      onChanged();
    }
  };
  return (
    <li className={`alert ${status} ${live ? "live" : ""}`} aria-label={`预警 ${alert.alertId}`}>
      <header>
        <span className="rule">{RULES[alert.rule] || alert.rule}</span>
        {live ? <span className="tag live">实时</span> : null}
        <span className="status">{ALERT_STATUS[status] || status}</span>
        <span className="detail">{dateTime(alert.raisedAt)}</span>
      </header>
      <p className="summary">{alert.summary}</p>
      <p className="about">
        {alert.about.edges.map(({ node }) => (
          <span key={node.id}>
            <KindTag name={node.kind} /> <EntityLink node={node} />
          </span>
        ))}
      </p>
      <div className="actions">
        {status === "new" ? (
          <button type="button" onClick={() => run(ACK, "acknowledgeAlert")} disabled={act.running}>
            签收
          </button>
        ) : null}
        {status !== "resolved" ? (
          <button type="button" onClick={() => run(RESOLVE, "resolveAlert")} disabled={act.running}>
            处置完毕
          </button>
        ) : null}
      </div>
      <ErrorBox error={act.error} />
    </li>
  );
}

export function AlertsView() {
  const [status, setStatus] = useState("new");
  const { live, refresh, trouble } = useAlerts();
  const { data, error, loading, reload } = useLoad(() => gql(LIST, { status: status || null }), [status]);
  const listed = data?.alerts.edges.map((e) => e.node) || [];
  const known = new Set(listed.map((a) => a.id));
  const fresh = live.filter((a) => !known.has(a.id) && (!status || a.status === status));
  const changed = () => {
    refresh();
  };
  return (
    <div className="alerts">
      <h1>预警</h1>
      <div className="filters">
        {[
          ["new", "未处理"],
          ["acknowledged", "已签收"],
          ["resolved", "已处置"],
          ["", "全部"],
        ].map(([value, label]) => (
          <button key={value} type="button" className={status === value ? "on" : ""} onClick={() => setStatus(value)}>
            {label}
          </button>
        ))}
        <button type="button" onClick={reload}>
          刷新
        </button>
      </div>
      <ErrorBox error={trouble} />
      {loading && !data ? <Loading /> : null}
      <ErrorBox error={error} />
      <ul className="alert-list">
        {fresh.map((a) => (
          <AlertItem key={a.id} alert={a} live onChanged={changed} />
        ))}
        {listed.map((a) => (
          <AlertItem key={a.id} alert={a} onChanged={changed} />
        ))}
      </ul>
      {data && !fresh.length && !listed.length ? <Notice>没有预警。</Notice> : null}
      {data && data.alerts.totalCount > listed.length ? (
        <Notice>
          共 {data.alerts.totalCount} 条，显示最新 {listed.length} 条。
        </Notice>
      ) : null}
    </div>
  );
}
