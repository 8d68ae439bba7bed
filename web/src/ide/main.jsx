// The GraphQL IDE at /graphql: GraphiQL from the pinned npm package, bundled and served
// by the hub, with a field for the token that every request (HTTP and WebSocket) carries.
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import { StrictMode, useMemo, useState } from "react";
import { createRoot } from "react-dom/client";
import { graphqlUrls, readToken, saveToken, takeTokenFromLink } from "../shared/token.js";
import "./ide.css";

const EXAMPLE = `# 在上方填入令牌（hub demo 打印的 HUB_TOKEN，或 API 密钥），然后按 ▶ 运行。
# Paste a token above (the HUB_TOKEN that hub demo prints, or an API key), then run.
{
  search(text: "张伟", first: 5) {
    edges { score node { kind label } }
  }
}
`;

// Without a token the hub would refuse every request (and count each as a failed
// login): the IDE asks nothing, and running a query says what is missing.
const NO_TOKEN = {
  errors: [
    {
      message: "未填令牌：请先在上方填入令牌 · no token yet: paste one above, then run",
      extensions: { code: "UNAUTHENTICATED" },
    },
  ],
};

function fetcherFor(token) {
  if (!token) {
    return async () => NO_TOKEN;
  }
  const { http, ws } = graphqlUrls();
  const authorization = token ? `Bearer ${token}` : undefined;
  return createGraphiQLFetcher({
    url: http,
    subscriptionUrl: ws,
    headers: authorization ? { Authorization: authorization } : {},
    wsConnectionParams: authorization ? { authorization } : {},
  });
}

function TokenBar({ token, onChange }) {
  const [draft, setDraft] = useState(token);
  const submit = (event) => {
    event.preventDefault();
    onChange(saveToken(draft));
  };
  return (
    <form className="token-bar" onSubmit={submit}>
      <a className="home" href="/">
        ← 研判工作台
      </a>
      <label htmlFor="token">令牌 Token</label>
      <input
        id="token"
        type="password"
        autoComplete="off"
        spellCheck="false"
        placeholder="Bearer 令牌或 API 密钥（hub_…）"
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
      />
      <button type="submit">使用令牌 Use token</button>
      <span className="state" role="status">
        {token ? "请求将携带此令牌 · requests carry this token" : "未填令牌 · no token yet"}
      </span>
    </form>
  );
}

function Ide() {
  const [token, setToken] = useState(() => takeTokenFromLink() || readToken());
  const fetcher = useMemo(() => fetcherFor(token), [token]);
  return (
    <div className="ide">
      <TokenBar token={token} onChange={setToken} />
      <div className="graphiql">
        {/* a new token is a new fetcher: the schema is read again with it */}
        <GraphiQL
          key={token}
          fetcher={fetcher}
          defaultQuery={EXAMPLE}
          {...(token ? {} : { schema: null })}
        >
          {/* the hub's own name instead of GraphiQL's logo, a link to another host */}
          <GraphiQL.Logo>县局 GraphQL</GraphiQL.Logo>
        </GraphiQL>
      </div>
    </div>
  );
}

createRoot(document.getElementById("ide")).render(
  <StrictMode>
    <Ide />
  </StrictMode>,
);
