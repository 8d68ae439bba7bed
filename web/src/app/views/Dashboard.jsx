// 态势大屏: the bureau's figures for a period beside the same period a year earlier —
// cases accepted, filed and solved, suspects caught, fraud reports and losses, warnings,
// people dissuaded, money stopped ("two up, two down") — as charts, refreshed every
// minute, readable on a wall screen.
import { BarChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { useEffect, useRef, useState } from "react";
import { gql } from "../api.js";
import { FIGURES, date, number, yuan } from "../format.js";
import { ErrorBox, Loading, useLoad } from "../ui.jsx";

echarts.use([BarChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

const STATS = `query($from: DateTime!, $to: DateTime!) {
  stats(from: $from, to: $to) { from to figures { name value previous changePercent } }
}`;
// Figures where a rise is good news (solved, caught, dissuaded, stopped); for the
// others (cases, reports, losses) a fall is.
const UP_IS_GOOD = new Set(["casesSolved", "suspectsCaught", "victimsDissuaded", "stopPaymentAmount", "warningsIssued"]);
const MONEY = new Set(["fraudLosses", "stopPaymentAmount"]);
const PERIODS = [
  ["30", "近30天"],
  ["90", "近90天"],
  ["365", "近一年"],
  ["year", "本年度"],
];

function period(choice, now) {
  const to = new Date(now);
  const from = choice === "year" ? new Date(`${to.getFullYear()}-01-01T00:00:00+08:00`) : new Date(to - Number(choice) * 86400_000);
  return { from: from.toISOString(), to: to.toISOString() };
}

function Change({ figure }) {
  if (figure.changePercent === null || figure.changePercent === undefined) {
    return <span className="change none">同比 —</span>;  // nothing to compare with
  }
  const up = figure.changePercent > 0;
  const good = figure.changePercent === 0 ? "flat" : up === UP_IS_GOOD.has(figure.name) ? "good" : "bad";
  return (
    <span className={`change ${good}`}>
      同比 {up ? "↑" : figure.changePercent < 0 ? "↓" : "→"} {Math.abs(figure.changePercent).toFixed(1)}%
    </span>
  );
}

function Chart({ figures, title }) {
  const box = useRef(null);
  useEffect(() => {
    const chart = echarts.init(box.current, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      textStyle: { fontSize: 16 },
      // drawn on the canvas: an HTML tooltip would need inline styles, which the CSP refuses
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { data: ["本期", "去年同期"], top: 8, textStyle: { fontSize: 16 } },
      grid: { left: 80, right: 20, bottom: 50, top: 50 },
      xAxis: { type: "category", data: figures.map((f) => FIGURES[f.name] || f.name), axisLabel: { fontSize: 15, interval: 0 } },
      yAxis: { type: "value", axisLabel: { fontSize: 14 } },
      series: [
        { name: "本期", type: "bar", data: figures.map((f) => f.value), itemStyle: { color: "#2563eb" }, label: { show: true, position: "top" } },
        { name: "去年同期", type: "bar", data: figures.map((f) => f.previous), itemStyle: { color: "#94a3b8" } },
      ],
    });
    const resize = () => chart.resize();
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      chart.dispose();
    };
  }, [figures]);
  return <div className="chart" ref={box} role="img" aria-label={title} />;
}

export default function DashboardView() {
  const [choice, setChoice] = useState("365");
  const [tick, setTick] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setTick(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  const { data, error, loading } = useLoad(() => gql(STATS, period(choice, tick)), [choice, tick]);
  const figures = data?.stats.figures || [];
  return (
    <div className="dashboard">
      <header>
        <h1>态势大屏</h1>
        <div className="filters">
          {PERIODS.map(([value, label]) => (
            <button key={value} type="button" className={choice === value ? "on" : ""} onClick={() => setChoice(value)}>
              {label}
            </button>
          ))}
          <button type="button" onClick={() => document.documentElement.requestFullscreen?.()}>
            全屏
          </button>
        </div>
        {data ? (
          <p className="period">
            {date(data.stats.from)} 至 {date(data.stats.to)} · 与去年同期对比 · 每分钟自动刷新
          </p>
        ) : null}
      </header>
      {loading && !data ? <Loading /> : null}
      <ErrorBox error={error} />
      <div className="figures">
        {figures.map((f) => (
          <div key={f.name} className="figure" aria-label={FIGURES[f.name] || f.name}>
            <span className="name">{FIGURES[f.name] || f.name}</span>
            <span className="value">{MONEY.has(f.name) ? yuan(f.value) : number(f.value)}</span>
            <span className="previous">去年同期 {MONEY.has(f.name) ? yuan(f.previous) : number(f.previous)}</span>
            <Change figure={f} />
          </div>
        ))}
      </div>
      {figures.length ? (
        <div className="charts">
          <Chart title="案件与预警（本期与去年同期）" figures={figures.filter((f) => !MONEY.has(f.name))} />
          <Chart title="涉案资金（元）" figures={figures.filter((f) => MONEY.has(f.name))} />
        </div>
      ) : null}
    </div>
  );
}
