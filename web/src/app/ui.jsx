// Small pieces every view uses: loading and error states, links to entities, tags.
import { useCallback, useEffect, useState } from "react";
import { kind } from "./format.js";
import { href } from "./router.js";

export function Loading({ what = "加载中" }) {
  return (
    <p className="loading" role="status">
      {what}…
    </p>
  );
}

export function ErrorBox({ error }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      <strong>{error.message}</strong>
      {error.detail && error.detail !== error.message ? (
        <details>
          <summary>详细信息</summary>
          <code>{error.detail}</code>
        </details>
      ) : null}
    </div>
  );
}

export function Notice({ children }) {
  return <p className="notice">{children}</p>;
}

export function KindTag({ name }) {
  return <span className={`tag kind-${name}`}>{kind(name)}</span>;
}

export function EntityLink({ node }) {
  if (!node) return "—";
  const path = node.kind === "Operation" ? `/operation/${node.id}` : `/entity/${node.id}`;
  return (
    <a className="entity-link" href={href(path)}>
      {node.label}
    </a>
  );
}

// Runs `load` (an async function of nothing) whenever `deps` change: data, error,
// whether it is loading, and a way to run it again.
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, reload };
}

// An action button's state: running, its error, and what it answered.
export function useAction(act) {
  const [state, setState] = useState({ running: false, error: null, done: null });
  const run = async (...args) => {
    setState({ running: true, error: null, done: null });
    try {
      const done = await act(...args);
      setState({ running: false, error: null, done });
      return done;
    } catch (error) {
      setState({ running: false, error, done: null });
      return null;
    }
  };
  return { ...state, run };
}
