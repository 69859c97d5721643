import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { collectAfterLargeRequests, LARGE_REQUEST_BYTES } from "./memory";

/** An app behind the middleware: POST reads its body, GET /big answers `bytes` bytes. */
async function serve(collect: () => void) {
  const app = express();
  app.use(collectAfterLargeRequests(collect));
  app.post("/up", (req, res) => {
    let n = 0;
    req.on("data", (d: Buffer) => (n += d.length));
    req.on("end", () => res.json({ n }));
  });
  app.get("/down/:bytes", (req, res) => res.end(Buffer.alloc(Number(req.params.bytes), 7)));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function request(port: number, agent: http.Agent, method: string, path: string, body?: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, agent }, (res) => {
      let n = 0;
      res.on("data", (d: Buffer) => (n += d.length));
      res.on("end", () => resolve(n));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 20));

describe("a full collection after a large request", () => {
  test("follows a request that read or wrote 64 MiB (once for each), not smaller ones, on a kept-alive connection too", async () => {
    let collections = 0;
    const { server, port } = await serve(() => collections++);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const small = LARGE_REQUEST_BYTES / 2;
      expect(await request(port, agent, "POST", "/up", Buffer.alloc(small))).toBeGreaterThan(0);
      expect(await request(port, agent, "GET", `/down/${small}`)).toBe(small);
      await turn();
      expect(collections).toBe(0);
      await request(port, agent, "POST", "/up", Buffer.alloc(LARGE_REQUEST_BYTES));
      await turn();
      expect(collections).toBe(1);
      expect(await request(port, agent, "GET", `/down/${LARGE_REQUEST_BYTES}`)).toBe(LARGE_REQUEST_BYTES);
      await turn();
      expect(collections).toBe(2);
      // the same connection again: only this request's bytes count
      await request(port, agent, "GET", "/down/10");
      await turn();
      expect(collections).toBe(2);
    } finally {
      agent.destroy();
      server.close();
    }
  });

  test("without Node's collector (no --expose-gc) requests go through untouched", async () => {
    const app = express();
    app.use(collectAfterLargeRequests(undefined));
    app.get("/", (_req, res) => res.send("ok"));
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      expect(await request((server.address() as AddressInfo).port, new http.Agent(), "GET", "/")).toBe(2);
    } finally {
      server.close();
    }
  });
});
