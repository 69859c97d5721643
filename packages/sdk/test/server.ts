// A real server (the app on the embedded database) on a loopback port, for the SDK tests.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp, openDatabase, type Database } from "@ert-storage/server";

export interface TestServer {
  base: string;
  close(): Promise<void>;
}

export async function startServer(token: string): Promise<TestServer> {
  const db: Database = await openDatabase({ kind: "pglite", dataDir: null });
  const app = createApp({ db, token });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await db.close();
    },
  };
}

/** Python's float.hex() text to a number, exactly (the fixtures numpy wrote). */
export function fromHex(text: string): number {
  if (text === "inf") return Infinity;
  if (text === "-inf") return -Infinity;
  if (text === "nan") return NaN;
  const match = /^(-)?0x([01])\.([0-9a-f]*)p([+-]\d+)$/.exec(text);
  if (!match) throw new Error(`not a hex float: ${text}`);
  const [, sign, lead, frac, exp] = match;
  const value = Number(BigInt(`0x${lead}${frac || "0"}`)) * 2 ** (Number(exp) - 4 * (frac || "0").length);
  return sign ? -value : value;
}
