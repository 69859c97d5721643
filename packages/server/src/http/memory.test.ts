import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { collectAfterLargeRequests, LARGE_REQUEST_BYTES } from "./memory";

/** An app behind the middleware: POST reads its body, GET /down/n answers n bytes, GET /listeners how many "close" listeners its answer has. */
async function serve(middleware: express.RequestHandler) {
  const app = express();
  app.use(middleware);
  app.post("/up", (req, res) => {
    let n = 0;
    req.on("data", (d: Buffer) => (n += d.length));
    req.on("end", () => res.json({ n }));
  });
  app.get("/down/:bytes", (req, res) => res.end(Buffer.alloc(Number(req.params.bytes), 7)));
  app.get("/listeners", (_req, res) => res.json(res.listenerCount("close")));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function request(port: number, agent: http.Agent, method: string, path: string, body?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => resolve(Buffer.concat(chunks)));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a full collection after a large request", () => {
  test("follows a request that read and wrote 64 MiB, not smaller ones (counted per request on a kept-alive connection)", async () => {
    let collections = 0;
    const { server, port } = await serve(collectAfterLargeRequests(() => collections++, 0));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const half = LARGE_REQUEST_BYTES / 2;
      await request(port, agent, "POST", "/up", Buffer.alloc(half));
      expect((await request(port, agent, "GET", `/down/${half}`)).length).toBe(half);
      await sleep(50);
      expect(collections).toBe(0);
      await request(port, agent, "POST", "/up", Buffer.alloc(LARGE_REQUEST_BYTES));
      await sleep(50);
      expect(collections).toBe(1);
      expect((await request(port, agent, "GET", `/down/${LARGE_REQUEST_BYTES}`)).length).toBe(LARGE_REQUEST_BYTES);
      await sleep(50);
      expect(collections).toBe(2);
      await request(port, agent, "GET", "/down/10");
      await sleep(50);
      expect(collections).toBe(2);
    } finally {
      agent.destroy();
      server.close();
    }
  });

  test("large requests ending within the interval of a collection share the next one", async () => {
    let collections = 0;
    const { server, port } = await serve(collectAfterLargeRequests(() => collections++, 60_000));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    try {
      await request(port, agent, "POST", "/up", Buffer.alloc(LARGE_REQUEST_BYTES));
      await sleep(50);
      expect(collections).toBe(1);
      await Promise.all([request(port, agent, "GET", `/down/${LARGE_REQUEST_BYTES}`), request(port, agent, "POST", "/up", Buffer.alloc(LARGE_REQUEST_BYTES))]);
      await sleep(50);
      expect(collections).toBe(1); // the next one waits out the minute (its timer does not hold the process)
    } finally {
      agent.destroy();
      server.close();
    }
  });

  test("without Node's collector (no --expose-gc, as under jest) nothing is listened for", async () => {
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    const agent = new http.Agent();
    const counts: number[] = [];
    for (const middleware of [collectAfterLargeRequests(), collectAfterLargeRequests(() => undefined)]) {
      const { server, port } = await serve(middleware);
      try {
        counts.push(JSON.parse((await request(port, agent, "GET", "/listeners")).toString()));
      } finally {
        server.close();
      }
    }
    expect(counts[1]).toBe(counts[0] + 1);
  });
});
