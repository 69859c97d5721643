// Hash routes, so every view is a bookmarkable link: #/ensemble/ID/responses/NAME?compare=ID
export interface Route {
  path: string[];
  query: URLSearchParams;
}

export function currentRoute(): Route {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?", 2);
  return { path: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

export function link(path: (string | number)[], query: Record<string, string | null | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined) q.set(k, v);
  const qs = q.toString();
  return `#/${path.map((p) => encodeURIComponent(String(p))).join("/")}${qs ? `?${qs}` : ""}`;
}
