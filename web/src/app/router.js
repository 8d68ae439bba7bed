// Routes live in the URL's fragment (#/entity/…?depth=2): the hub serves one page at /,
// and a link to any view can be bookmarked or pasted into a case file.
import { useEffect, useState } from "react";

function current() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return { path, params: Object.fromEntries(new URLSearchParams(query)) };
}

export function useRoute() {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const changed = () => setRoute(current());
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return route;
}

export function href(path, params = {}) {
  const query = new URLSearchParams(
    Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ""),
  ).toString();
  return `#${path}${query ? `?${query}` : ""}`;
}

export function go(path, params) {
  location.hash = href(path, params);
}
