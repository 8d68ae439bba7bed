// Live alerts: the subscription (graphql-ws on /graphql) pushes each alert as it is
// raised; the badge counts the alerts not yet dealt with, everywhere in the app.
import { createContext, useCallback, useContext, useEffect, useState } from "react";
import { gql, subscribe } from "./api.js";

export const ALERT_FIELDS = `id alertId rule status summary raisedAt
  about(first: 5) { edges { node { id kind label } } }`;

const COUNT = `{ alerts(status: "new", first: 1) { totalCount } }`;
const LIVE = `subscription { alerts { ${ALERT_FIELDS} } }`;

const Alerts = createContext({ count: 0, live: [], refresh: () => {} });

export function useAlerts() {
  return useContext(Alerts);
}

export function AlertsProvider({ enabled, children }) {
  const [count, setCount] = useState(0);
  const [live, setLive] = useState([]);
  const [trouble, setTrouble] = useState(null);

  const refresh = useCallback(() => {
    if (!enabled) return;
    gql(COUNT).then(
      (data) => setCount(data.alerts.totalCount ?? 0),
      () => {},
    );
  }, [enabled]);

  useEffect(() => {
    if (!enabled) return undefined;
    refresh();
    return subscribe(
      LIVE,
      (data) => {
        setTrouble(null);
        setLive((list) => [data.alerts, ...list].slice(0, 50));
        setCount((n) => n + 1);
      },
      setTrouble,
    );
  }, [enabled, refresh]);

  return (
    <Alerts.Provider value={{ count, live, refresh, trouble }}>{children}</Alerts.Provider>
  );
}
