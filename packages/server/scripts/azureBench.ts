// Azure blob store figures on a real Azurite (run by hand after `pnpm build`:
// `node packages/server/dist/scripts/azureBench.js [--mb 1024] [--block-mb 64]`).
// Puts and reads a stream through AzureBlobStore, then stages and commits a record
// block by block, printing MB/s, this process's peak RSS per phase (Azurite runs as a
// child process, so its memory is not counted) and the commit time, as JSON.
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { AzureBlobStore } from "../src/store/blob/azureBlobStore";
import { BlobStoreUnavailable } from "../src/store/blob/blobStore";
import { startAzurite } from "../test/helpers/azurite";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => Number(args[args.indexOf(name) + 1] || fallback) || fallback;
const MiB = 1024 * 1024;
const totalMb = option("--mb", 1024);
const blockMb = option("--block-mb", 64);

/** `mb` MiB of random-looking bytes without holding them: one random 8 MiB pattern, shifted every round. */
function source(mb: number, hash: ReturnType<typeof createHash>): Readable {
  const pattern = randomBytes(8 * MiB);
  async function* pieces() {
    for (let i = 0; i < mb; i++) {
      const piece = Buffer.allocUnsafe(MiB);
      pattern.copy(piece, 0, ((i * 7919) % 8) * MiB, ((i * 7919) % 8) * MiB + MiB);
      piece.writeUInt32LE(i, 0);
      hash.update(piece);
      yield piece;
    }
  }
  return Readable.from(pieces(), { objectMode: false });
}

/** Samples RSS every 20 ms; peak() is the highest since the last reset, overall() since the start, in MB. */
function rssSampler() {
  let peak = process.memoryUsage().rss;
  let overall = peak;
  const sample = () => {
    const rss = process.memoryUsage().rss;
    peak = Math.max(peak, rss);
    overall = Math.max(overall, rss);
  };
  const timer = setInterval(sample, 20);
  return {
    reset: () => void (peak = process.memoryUsage().rss),
    peak: () => (sample(), Math.round(peak / MiB)),
    overall: () => (sample(), Math.round(overall / MiB)),
    stop: () => clearInterval(timer),
  };
}

async function drain(stream: Readable, hash: ReturnType<typeof createHash>): Promise<number> {
  let n = 0;
  for await (const piece of stream) {
    hash.update(piece as Buffer);
    n += (piece as Buffer).length;
  }
  return n;
}

const mbPerS = (mb: number, ms: number) => Math.round((mb / (ms / 1000)) * 10) / 10;

async function main() {
  const azurite = await startAzurite();
  const store = new AzureBlobStore({ connectionString: azurite.connectionString, container: "bench" });
  const rss = rssSampler();
  const result: Record<string, unknown> = { mb: totalMb, blockMb, subBlockMb: 8, concurrency: 4, node: process.version };
  try {
    await store.ensureReady();
    result.rssBaselineMb = rss.peak();

    // put and read one stream
    rss.reset();
    const putHash = createHash("sha256");
    let t = performance.now();
    const size = await store.put("bench/put", source(totalMb, putHash));
    const putMs = performance.now() - t;
    result.put = { bytes: size, ms: Math.round(putMs), mbPerS: mbPerS(totalMb, putMs), peakRssMb: rss.peak() };

    rss.reset();
    const readHash = createHash("sha256");
    t = performance.now();
    const read = await drain(await store.read("bench/put"), readHash);
    const readMs = performance.now() - t;
    result.read = {
      bytes: read,
      ms: Math.round(readMs),
      mbPerS: mbPerS(totalMb, readMs),
      peakRssMb: rss.peak(),
      sameBytes: readHash.digest("hex") === putHash.digest("hex"),
    };
    await store.delete(["bench/put"]);

    // a record staged in blocks and committed
    rss.reset();
    const blocks = Math.ceil(totalMb / blockMb);
    const stagedHash = createHash("sha256");
    const ids: string[] = [];
    t = performance.now();
    for (let i = 0; i < blocks; i++) {
      const mb = Math.min(blockMb, totalMb - i * blockMb);
      ids.push((await store.stageBlock("bench/blocks", i, source(mb, stagedHash))).blockId);
    }
    const stageMs = performance.now() - t;
    t = performance.now();
    await store.commitBlocks("bench/blocks", ids);
    const commitMs = performance.now() - t;
    t = performance.now();
    await store.commitBlocks("bench/blocks", ids);
    const recommitMs = performance.now() - t;
    const stagePeak = rss.peak();
    const committedHash = createHash("sha256");
    t = performance.now();
    const committed = await drain(await store.read("bench/blocks"), committedHash);
    const committedReadMs = performance.now() - t;
    result.blocks = {
      blocks,
      stageMs: Math.round(stageMs),
      stageMbPerS: mbPerS(totalMb, stageMs),
      commitMs: Math.round(commitMs),
      repeatedCommitMs: Math.round(recommitMs),
      peakRssMb: stagePeak,
      readMbPerS: mbPerS(totalMb, committedReadMs),
      sameBytes: committed === totalMb * MiB && committedHash.digest("hex") === stagedHash.digest("hex"),
    };
    await store.delete(["bench/blocks"]);

    // an outage: how soon operations fail, and that the store recovers by itself
    await store.put("bench/small", Readable.from([Buffer.from("x")]));
    await azurite.stop();
    const failAfter = async (operation: () => Promise<unknown>) => {
      const start = performance.now();
      const error = await operation().then(() => null, (e: Error) => e);
      return { ms: Math.round(performance.now() - start), unavailable: error instanceof BlobStoreUnavailable };
    };
    result.outage = {
      read: await failAfter(() => store.read("bench/small")),
      put: await failAfter(() => store.put("bench/other", Readable.from([Buffer.from("y")]))),
      stageBlock: await failAfter(() => store.stageBlock("bench/small", 0, Readable.from([Buffer.from("z")]))),
    };
    await azurite.restart();
    t = performance.now();
    await drain(await store.read("bench/small"), createHash("sha256"));
    (result.outage as Record<string, unknown>).firstReadAfterRestartMs = Math.round(performance.now() - t);
    await store.delete(["bench/small"]);
    result.peakRssMb = rss.overall();
  } finally {
    rss.stop();
    await azurite.close();
  }
  console.log(JSON.stringify(result, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
