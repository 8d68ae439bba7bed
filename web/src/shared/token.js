// The user's sign-in, kept for this browser tab only (sessionStorage): a token or API
// key, sent as `Authorization: Bearer …` on HTTP and in graphql-ws's connection_init.
// The workbench and the GraphQL IDE share it, being pages of one origin.
const KEY = "hub.token";

export function readToken() {
  return sessionStorage.getItem(KEY) || "";
}

export function saveToken(token) {
  const clean = token.trim().replace(/^bearer\s+/i, "");
  if (clean) sessionStorage.setItem(KEY, clean);
  else sessionStorage.removeItem(KEY);
  return clean;
}

// A sign-in link carries the token in the URL's fragment (#token=…), which browsers
// never send to a server; it is taken into the tab's storage and wiped from the URL.
export function takeTokenFromLink() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = params.get("token");
  if (!token) return null;
  saveToken(token);
  params.delete("token");
  const rest = params.toString();
  history.replaceState(null, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  return token;
}

export function graphqlUrls() {
  const ws = location.protocol === "https:" ? "wss:" : "ws:";
  return { http: `${location.origin}/graphql`, ws: `${ws}//${location.host}/graphql` };
}
