// 资金流向: from a victim's card, the transfers hop by hop in time order with amounts
// and times, the accounts where the money stopped with their outcome, and an emergency
// stop-payment request (紧急止付) on an end account that still holds money.
import { useState } from "react";
import { gql, payload } from "../api.js";
import { OUTCOMES, dateTime, dayStart, yuan } from "../format.js";
import { go, href } from "../router.js";
import { ErrorBox, Loading, Notice, useAction, useLoad } from "../ui.jsx";

const FLOW = `query($account: String!, $since: DateTime, $maxHops: Int!) {
  moneyFlow(account: $account, since: $since, maxHops: $maxHops) {
    truncated
    start { id number bank holders(first: 3) { edges { node { id label } } } }
    transfers { txnId fromAccount toAccount amount at hop }
    endAccounts { amount outcome account { id number bank } }
  }
}`;
const STOP = `mutation($account: String!, $amount: Float!, $reason: String!) {
  requestStopPayment(account: $account, amount: $amount, reason: $reason) {
    __typename ... on StopPaymentPayload { stopPayment { requestId status amount } }
    ... on MutationError { message }
  }
}`;

function StopPayment({ end }) {
  const [reason, setReason] = useState("");
  const [amount, setAmount] = useState(String(end.amount));
  const stop = useAction(async () =>
    payload(
      (await gql(STOP, { account: end.account.number, amount: Number(amount), reason: reason.trim() }))
        .requestStopPayment,
    ),
  );
  if (stop.done) {
    const sp = stop.done.stopPayment;
    return (
      <p className="ok" role="status">
        已提交紧急止付申请 {sp.requestId}（{yuan(sp.amount)}，状态：待银行反馈）
      </p>
    );
  }
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        stop.run();
      }}
      aria-label={`止付 ${end.account.number}`}
    >
      <input aria-label="止付金额" value={amount} onChange={(e) => setAmount(e.target.value)} size={10} />
      <input aria-label="止付事由" placeholder="事由（如报案编号）" value={reason} onChange={(e) => setReason(e.target.value)} />
      <button type="submit" disabled={!reason.trim() || stop.running}>
        请求紧急止付
      </button>
      <ErrorBox error={stop.error} />
    </form>
  );
}

function Flow({ account, since, maxHops }) {
  const { data, error, loading } = useLoad(
    () => gql(FLOW, { account, since: since ? dayStart(since) : null, maxHops }),
    [account, since, maxHops],
  );
  if (loading) return <Loading what="追踪资金" />;
  if (error) return <ErrorBox error={error} />;
  const flow = data.moneyFlow;
  if (!flow) return <Notice>未找到账户 {account}。</Notice>;
  const hops = {};
  for (const t of flow.transfers) (hops[t.hop] ||= []).push(t);
  const holders = flow.start.holders.edges.map((e) => e.node.label).join("、");
  return (
    <div className="flow">
      <p className="summary">
        起始账户 <a href={href(`/entity/${flow.start.id}`)}>{flow.start.number}</a>
        {flow.start.bank ? `（${flow.start.bank}）` : ""}
        {holders ? `，持有人 ${holders}` : ""}；共 {flow.transfers.length} 笔转账，
        {Object.keys(hops).length} 层。
      </p>
      {flow.truncated ? <Notice>资金链过长，仅显示前面部分；可增加层数或缩短时间段。</Notice> : null}
      {!flow.transfers.length ? <Notice>该时间段内没有转出记录。</Notice> : null}
      {Object.entries(hops).map(([hop, list]) => (
        <section key={hop} className="hop" aria-label={`第 ${hop} 层`}>
          <h2>第 {hop} 层</h2>
          <table>
            <thead>
              <tr>
                <th>时间</th>
                <th>转出账户</th>
                <th>转入账户</th>
                <th className="num">金额</th>
                <th>流水号</th>
              </tr>
            </thead>
            <tbody>
              {list
                .slice()
                .sort((a, b) => a.at.localeCompare(b.at))
                .map((t) => (
                  <tr key={t.txnId}>
                    <td>{dateTime(t.at)}</td>
                    <td>{t.fromAccount}</td>
                    <td>{t.toAccount}</td>
                    <td className="num">{yuan(t.amount)}</td>
                    <td>{t.txnId}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </section>
      ))}
      {flow.endAccounts.length ? (
        <section className="ends" aria-label="资金落地账户">
          <h2>资金落地账户</h2>
          <table>
            <thead>
              <tr>
                <th>账户</th>
                <th>开户行</th>
                <th className="num">金额</th>
                <th>去向</th>
                <th>处置</th>
              </tr>
            </thead>
            <tbody>
              {flow.endAccounts.map((end) => (
                <tr key={end.account.number} data-account={end.account.number}>
                  <td>
                    <a href={href(`/entity/${end.account.id}`)}>{end.account.number}</a>
                  </td>
                  <td>{end.account.bank || "—"}</td>
                  <td className="num">{yuan(end.amount)}</td>
                  <td className={`outcome ${end.outcome}`}>{OUTCOMES[end.outcome] || end.outcome}</td>
                  <td>{end.outcome === "unknown" ? <StopPayment end={end} /> : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </div>
  );
}

export function MoneyView({ params }) {
  const [account, setAccount] = useState(params.account || "");
  const [since, setSince] = useState(params.since || "");
  const [maxHops, setMaxHops] = useState(params.hops || "6");
  const submit = (event) => {
    event.preventDefault();
    go("/money", { account: account.trim(), since, hops: maxHops });
  };
  return (
    <div className="money">
      <h1>资金流向</h1>
      <form className="inline-form" onSubmit={submit}>
        <input aria-label="起始账户" placeholder="受害人银行卡号/账号" value={account} onChange={(e) => setAccount(e.target.value)} />
        <label>
          自
          <input aria-label="起始日期" type="date" value={since} onChange={(e) => setSince(e.target.value)} />
        </label>
        <label>
          最多
          <input aria-label="层数" type="number" min={1} max={8} value={maxHops} onChange={(e) => setMaxHops(e.target.value)} />
          层
        </label>
        <button type="submit" disabled={!account.trim()}>
          追踪资金
        </button>
      </form>
      {params.account ? (
        <Flow account={params.account} since={params.since} maxHops={Number(params.hops || 6)} />
      ) : (
        <Notice>输入受害人的银行卡号，按时间顺序逐层追踪资金去向。</Notice>
      )}
    </div>
  );
}
