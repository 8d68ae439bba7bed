// The investigators' workbench (研判工作台): sign-in, then one shell with the user,
// role and unit, the alert badge and the views, each at a route of the URL's fragment.
import { StrictMode, Suspense, lazy, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { readToken, saveToken, takeTokenFromLink } from "../shared/token.js";
import { AlertsProvider, useAlerts } from "./alerts.jsx";
import { closeSocket, gql, whenSignedOut } from "./api.js";
import { ROLES } from "./format.js";
import { href, useRoute } from "./router.js";
import { Session, VIEWER } from "./session.jsx";
import { ErrorBox, Loading } from "./ui.jsx";
import { AlertsView } from "./views/Alerts.jsx";
import { ClustersView } from "./views/Clusters.jsx";
import { EntityView } from "./views/Entity.jsx";
import { MoneyView } from "./views/Money.jsx";
import { OperationView, OperationsView } from "./views/Operations.jsx";
import { SearchView } from "./views/Search.jsx";
import { SignIn } from "./views/SignIn.jsx";
import { TimelineView } from "./views/Timeline.jsx";
import "./app.css";

// The graph and the charts carry the big libraries: loaded when first opened.
const GraphView = lazy(() => import("./views/Graph.jsx"));
const DashboardView = lazy(() => import("./views/Dashboard.jsx"));

const NAV = [
  ["/", "全局搜索"],
  ["/graph", "关系图谱"],
  ["/money", "资金流向"],
  ["/clusters", "串并案"],
  ["/operations", "合成作战"],
  ["/alerts", "预警"],
  ["/dashboard", "态势大屏"],
];

function View({ route }) {
  const { path, params } = route;
  const [, root, id] = path.split("/");
  switch (`/${root}`) {
    case "/":
    case "/search":
      return <SearchView params={params} />;
    case "/entity":
      return <EntityView id={id} />;
    case "/graph":
      return <GraphView params={params} />;
    case "/money":
      return <MoneyView params={params} />;
    case "/clusters":
      return <ClustersView />;
    case "/operations":
      return <OperationsView />;
    case "/operation":
      return <OperationView id={id} />;
    case "/alerts":
      return <AlertsView />;
    case "/timeline":
      return <TimelineView params={params} />;
    case "/dashboard":
      return <DashboardView params={params} />;
    default:
      return <p className="notice">没有这个页面。</p>;
  }
}

function Shell({ viewer, signOut }) {
  const route = useRoute();
  const { count } = useAlerts();
  const section = `/${route.path.split("/")[1]}`;
  // The first view is on screen once the shell has been committed: measured by the tests.
  useEffect(() => {
    performance.mark("hub:first-view");
  }, []);
  return (
    <div className={`shell ${section === "/dashboard" ? "wall" : ""}`}>
      <header className="top">
        <a className="brand" href="#/">
          县局情报研判平台
        </a>
        <nav>
          {NAV.map(([path, name]) => (
            <a
              key={path}
              href={href(path)}
              className={section === path || (path === "/" && section === "/search") ? "on" : ""}
            >
              {name}
              {path === "/alerts" && count > 0 ? (
                <span className="badge" aria-label={`未处理预警 ${count} 条`}>
                  {count}
                </span>
              ) : null}
            </a>
          ))}
          <a href="/graphql">GraphQL</a>
        </nav>
        <div className="who" aria-label="当前用户">
          <span className="user">{viewer.user}</span>
          <span className="role">{ROLES[viewer.role] || viewer.role}</span>
          <span className="unit">{viewer.unit ? `单位 ${viewer.unit}` : "全部单位"}</span>
          <button type="button" onClick={signOut}>
            退出
          </button>
        </div>
      </header>
      <main>
        <Suspense fallback={<Loading />}>
          <View route={route} />
        </Suspense>
      </main>
    </div>
  );
}

function App() {
  const [token, setToken] = useState(() => takeTokenFromLink() || readToken());
  const [viewer, setViewer] = useState(null);
  const [error, setError] = useState(null);

  const signOut = (reason = null) => {
    saveToken("");
    closeSocket();
    setViewer(null);
    setToken("");
    setError(reason);
  };
  whenSignedOut(signOut);

  useEffect(() => {
    if (!token) return;
    gql(VIEWER).then(
      (data) => {
        setViewer(data.viewer);
      },
      (failure) => (failure.kind === "auth" ? signOut(failure) : setError(failure)),
    );
  }, [token]);

  if (!token) {
    return <SignIn error={error} onSignedIn={(t) => setToken(saveToken(t))} />;
  }
  if (!viewer) return error ? <ErrorBox error={error} /> : <Loading what="正在登录" />;
  const may = (name) => viewer.may.includes(name);
  return (
    <Session.Provider value={{ viewer, may, signOut }}>
      <AlertsProvider enabled={may("Subscription.alerts")}>
        <Shell viewer={viewer} signOut={() => signOut()} />
      </AlertsProvider>
    </Session.Provider>
  );
}

createRoot(document.getElementById("app")).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
