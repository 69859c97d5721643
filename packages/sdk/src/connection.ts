// Where the server is: ERT_STORAGE_CONNECTION_STRING, else storage_server.json
// searched from the working directory upwards (ERT's format and the older one).
// Discovery reads files, so it works in Node only; in a browser pass baseUrl and token.

export interface Connection {
  baseUrl: string;
  token: string | null;
}

export class ConnectionNotFound extends Error {}

/** Reads both discovery formats: {"urls": [...], "authtoken"} and {"base_url", "auth_token"}. */
export function parseConnection(text: string, where: string): Connection {
  let content: Record<string, unknown>;
  try {
    content = JSON.parse(text);
  } catch {
    throw new ConnectionNotFound(`${where} is not JSON`);
  }
  const urls = Array.isArray(content.urls) ? (content.urls as string[]) : [];
  const baseUrl = (content.base_url as string | undefined) ?? urls[0];
  if (!baseUrl) throw new ConnectionNotFound(`${where} names no server URL`);
  const token = (content.auth_token ?? content.authtoken ?? null) as string | null;
  return { baseUrl: baseUrl.replace(/\/+$/, ""), token };
}

interface NodeProcess {
  env: Record<string, string | undefined>;
  cwd(): string;
  getBuiltinModule?(name: string): unknown;
}

type Fs = { existsSync(p: string): boolean; readFileSync(p: string, encoding: "utf8"): string };
type Path = { resolve(...p: string[]): string; dirname(p: string): string; join(...p: string[]): string };

/**
 * Node's modules without importing them, so the same build runs in a browser
 * (process.getBuiltinModule: Node >= 20.16).
 */
function nodeModules(): { process: NodeProcess; fs: Fs; path: Path } | null {
  const proc = (globalThis as { process?: NodeProcess }).process;
  if (!proc?.getBuiltinModule) return null;
  return { process: proc, fs: proc.getBuiltinModule("node:fs") as Fs, path: proc.getBuiltinModule("node:path") as Path };
}

export function findConnection(env?: Record<string, string | undefined>, cwd?: string): Connection {
  const node = nodeModules();
  const vars = env ?? node?.process.env ?? {};
  const fromEnv = vars.ERT_STORAGE_CONNECTION_STRING;
  if (fromEnv) return parseConnection(fromEnv, "ERT_STORAGE_CONNECTION_STRING");
  if (!node) throw new ConnectionNotFound("No ERT Storage server given: pass baseUrl (discovery needs Node.js)");
  const { fs, path } = node;
  for (let dir = path.resolve(cwd ?? node.process.cwd()); ; dir = path.dirname(dir)) {
    const file = path.join(dir, "storage_server.json");
    if (fs.existsSync(file)) return parseConnection(fs.readFileSync(file, "utf8"), file);
    if (path.dirname(dir) === dir) break;
  }
  throw new ConnectionNotFound(
    "No ERT Storage server found: set ERT_STORAGE_CONNECTION_STRING or run from a folder with storage_server.json",
  );
}
