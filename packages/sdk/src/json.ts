// JSON as Python's json module writes it: the server may answer NaN, Infinity and
// -Infinity as bare tokens (FastAPI did), which JSON.parse refuses.
import type { Middleware } from "openapi-fetch";

const SENTINEL = "\u0000ert-storage:";
const TOKENS: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

/** JSON.parse that also reads NaN, Infinity and -Infinity outside strings. */
export function parseJson(text: string): unknown {
  if (!/NaN|Infinity/.test(text)) return JSON.parse(text);
  let out = "";
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "N" || ch === "I" || ch === "-") {
      const token = ch === "N" ? "NaN" : ch === "I" ? "Infinity" : text.startsWith("-Infinity", i) ? "-Infinity" : null;
      if (token && text.startsWith(token, i)) {
        out += text.slice(from, i) + JSON.stringify(SENTINEL + token);
        i += token.length - 1;
        from = i + 1;
      }
    }
  }
  out += text.slice(from);
  return JSON.parse(out, (_key, value) =>
    typeof value === "string" && value.startsWith(SENTINEL) ? TOKENS[value.slice(SENTINEL.length)] : value,
  );
}

/** A Response whose json() reads Python's JSON. */
class PythonJsonResponse extends Response {
  constructor(
    private readonly text_: string,
    init: ResponseInit,
  ) {
    super(text_, init);
  }
  override json(): Promise<unknown> {
    return Promise.resolve(parseJson(this.text_));
  }
}

/** openapi-fetch middleware: JSON answers holding NaN or Infinity parse instead of throwing. */
export const pythonJsonMiddleware: Middleware = {
  async onResponse({ response, options }) {
    if ((options.parseAs ?? "json") !== "json" || !/json/.test(response.headers.get("content-type") ?? "")) return undefined;
    const text = await response.clone().text();
    if (!/NaN|Infinity/.test(text)) return undefined;
    const headers = new Headers(response.headers);
    headers.set("content-length", String(new TextEncoder().encode(text).length));
    return new PythonJsonResponse(text, { status: response.status, statusText: response.statusText, headers });
  },
};
