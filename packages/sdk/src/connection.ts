// Where the server is: ERT_STORAGE_CONNECTION_STRING, else storage_server.json
// searched from the working directory upwards (ERT's format and the older one).
import fs from "node:fs";
import path from "node:path";

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

export function findConnection(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Connection {
  const fromEnv = env.ERT_STORAGE_CONNECTION_STRING;
  if (fromEnv) return parseConnection(fromEnv, "ERT_STORAGE_CONNECTION_STRING");
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const file = path.join(dir, "storage_server.json");
    if (fs.existsSync(file)) return parseConnection(fs.readFileSync(file, "utf8"), file);
    if (path.dirname(dir) === dir) break;
  }
  throw new ConnectionNotFound(
    "No ERT Storage server found: set ERT_STORAGE_CONNECTION_STRING or run from a folder with storage_server.json",
  );
}
