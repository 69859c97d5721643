// Blob content in Azure Blob Storage: one block blob per key, named as the key.
//
// Azure needs a length per staged block, so every incoming stream (a whole put or one
// staged block of a block upload) is cut into sub-blocks of at most subBlockSize bytes,
// staged a few at a time from bounded buffers. A sub-block's Azure id is the base64 of
// `${attempt}${seq}` (30 random hex digits + 6 digits, so all ids have one length); the
// id stageBlock returns names the attempt and its sub-block count, so any server
// process can commit it later from Azure's own block list: nothing is kept in memory.
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { BlobServiceClient, StorageRetryPolicyType, type BlockBlobClient, type BlockList, type ContainerClient, type RestError } from "@azure/storage-blob";
import { ConfigError } from "../../config";
import type { Piece } from "../../formats/piece";
import { blobKeys, blobNotFound, BlobStoreUnavailable, piecesOf, type BlobStore } from "./blobStore";
import { checkBlockIds, checkRange } from "./checks";

export interface AzureConfig {
  connectionString: string;
  container: string;
}

export interface AzureOptions {
  /** bytes per staged Azure block (and buffer); Azure allows 50,000 blocks per blob */
  subBlockSize?: number;
  /** sub-blocks of one stream in flight at once; memory per stream is (concurrency + 1) * subBlockSize */
  concurrency?: number;
  /** deadline of one request without a body (and of a download until its headers arrive), retries included */
  requestTimeoutMs?: number;
  /** deadline of staging one sub-block, retries included */
  blockTimeoutMs?: number;
}

const MiB = 1024 * 1024;
const MAX_BLOCKS = 50_000;
const ATTEMPT_DIGITS = 30;
const SEQ_DIGITS = 6;
const BLOCK_ID = new RegExp(`/blocks/(\\d+)/([0-9a-f]{${ATTEMPT_DIGITS}})/(\\d+)$`);

export class AzureBlobStore implements BlobStore {
  readonly kind = "azure" as const;
  private readonly container: ContainerClient;
  private readonly subBlockSize: number;
  private readonly concurrency: number;
  private readonly requestTimeoutMs: number;
  private readonly blockTimeoutMs: number;
  /** where the content goes, for messages (never the connection string: it holds the key) */
  readonly describe: string;

  constructor(config: AzureConfig, options: AzureOptions = {}) {
    let service: BlobServiceClient;
    try {
      service = BlobServiceClient.fromConnectionString(config.connectionString, {
        // Unreachable means a 503 within seconds, not the SDK's default minutes of retries.
        retryOptions: { retryPolicyType: StorageRetryPolicyType.EXPONENTIAL, maxTries: 4, retryDelayInMs: 250, maxRetryDelayInMs: 2000 },
        userAgentOptions: { userAgentPrefix: "ert-storage" },
      });
    } catch (error) {
      throw new ConfigError(`ERT_STORAGE_AZURE_CONNECTION_STRING is not a valid Azure Storage connection string (${(error as Error).message})`);
    }
    this.container = service.getContainerClient(config.container);
    const url = new URL(this.container.url);
    this.describe = `Azure Blob Storage container '${config.container}' at ${url.origin}${url.pathname}`;
    this.subBlockSize = options.subBlockSize ?? 8 * MiB;
    this.concurrency = options.concurrency ?? 4;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.blockTimeoutMs = options.blockTimeoutMs ?? 120_000;
  }

  /** Creates the container if it is missing. Throws BlobStoreUnavailable when that cannot be done. */
  async ensureReady(): Promise<void> {
    try {
      await this.request((abortSignal) => this.container.createIfNotExists({ abortSignal })).catch(async (error) => {
        // A SAS scoped to an existing container may not create containers: enough if it is there
        // (asking for a blob that is not there says BlobNotFound, not ContainerNotFound).
        if (!isRestError(error, 403) || error.code === "AuthenticationFailed") throw error;
        const probe = this.blob(".ert-storage-probe");
        await this.request((abortSignal) => probe.getBlockList("committed", { abortSignal })).then(
          () => undefined,
          (probeError) => (isRestError(probeError, 404, "BlobNotFound") ? undefined : Promise.reject(error)),
        );
      });
    } catch (error) {
      throw new BlobStoreUnavailable(`Cannot use ${this.describe}: ${classify(error)?.reason ?? (error as Error).message}`);
    }
  }

  async put(key: string, content: Readable): Promise<number> {
    const attempt = newAttempt();
    const blob = this.blob(key);
    try {
      const { count, size } = await this.stage(blob, attempt, content);
      await this.request((abortSignal) => blob.commitBlockList(subBlockIds(attempt, count), { abortSignal }));
      return size;
    } catch (error) {
      // Nothing is left under key: neither old content nor the blocks staged so far.
      await this.delete([key]).catch(() => undefined);
      throw this.translate(error);
    }
  }

  async stageBlock(key: string, blockIndex: number, content: Readable): Promise<{ blockId: string; size: number }> {
    const attempt = newAttempt();
    try {
      // Sub-blocks of a failed attempt stay uncommitted until the key is committed or deleted (or Azure's one-week clean-up).
      const { count, size } = await this.stage(this.blob(key), attempt, content);
      return { blockId: `${blobKeys.blocks(key)}${blockIndex}/${attempt}/${count}`, size };
    } catch (error) {
      throw this.translate(error);
    }
  }

  async commitBlocks(key: string, blockIds: string[]): Promise<void> {
    checkBlockIds(key, blockIds);
    const blob = this.blob(key);
    try {
      // A sub-block is uncommitted after staging and committed after a commit: a repeated commit finds the same ones.
      const list = await this.request((abortSignal) => blob.getBlockList("all", { abortSignal })).catch((error): BlockList => {
        if (isRestError(error, 404, "BlobNotFound")) return {};
        throw error;
      });
      const known = new Set([...(list.uncommittedBlocks ?? []), ...(list.committedBlocks ?? [])].map((b) => b.name));
      const ids: string[] = [];
      for (const blockId of blockIds) {
        const { attempt, count } = parseBlockId(blockId);
        const subIds = subBlockIds(attempt, count);
        if (!subIds.every((id) => known.has(id))) throw new Error(`Cannot commit '${key}': staged block ${blockId} not found`);
        ids.push(...subIds);
      }
      if (ids.length > MAX_BLOCKS) {
        throw new Error(`Cannot commit '${key}': ${ids.length} Azure blocks, more than ${MAX_BLOCKS}; use a larger sub-block size`);
      }
      await this.request((abortSignal) => blob.commitBlockList(ids, { abortSignal }));
    } catch (error) {
      throw this.translate(error);
    }
  }

  /** Azure drops every uncommitted block that a commit leaves out: nothing to do but check the ids. */
  async discardBlocks(key: string, blockIds: string[]): Promise<void> {
    checkBlockIds(key, blockIds);
    blockIds.forEach(parseBlockId);
  }

  async readPieces(key: string): Promise<AsyncIterable<Piece>> {
    return piecesOf(await this.read(key));
  }

  async read(key: string, range?: { start: number; end?: number }): Promise<Readable> {
    if (range) checkRange(range);
    const offset = range?.start ?? 0;
    const count = range?.end === undefined ? undefined : range.end - offset + 1;
    let body: NodeJS.ReadableStream;
    try {
      // The deadline covers the request until the headers arrive; the body streams as long as it takes.
      const response = await this.request((abortSignal) => this.blob(key).download(offset, count, { abortSignal, maxRetryRequests: 2 }));
      body = response.readableStreamBody!;
      // Azure answers 416 to a range that starts at the end; Azurite an empty 206.
      const total = /\/(\d+)$/.exec(response.contentRange ?? "");
      if (total && offset >= Number(total[1])) {
        (body as Readable).destroy();
        throw new RangeError(`Range start ${offset} is beyond the end of '${key}' (${total[1]} bytes)`);
      }
    } catch (error) {
      if (error instanceof RangeError) throw error;
      if (isRestError(error, 404, "BlobNotFound")) throw blobNotFound(key);
      if (isRestError(error, 416)) {
        throw new RangeError(`Range start ${offset} is beyond the end of '${key}'`);
      }
      throw this.translate(error);
    }
    const translate = this.translate.bind(this);
    async function* relay(): AsyncGenerator<Buffer> {
      try {
        for await (const piece of body) yield piece as Buffer;
      } catch (error) {
        throw translate(error);
      }
    }
    return Readable.from(relay(), { objectMode: false });
  }

  /**
   * Removes each key's blob and its staged blocks: committing an empty list drops the
   * uncommitted ones (a blob that was never committed cannot be deleted), then the
   * blob goes. Ids of staged blocks in the list are skipped: they go with their key.
   */
  async delete(keys: string[]): Promise<void> {
    const blobs = [...new Set(keys.filter((key) => !BLOCK_ID.test(key)))];
    try {
      await inParallel(blobs, 8, async (key) => {
        const blob = this.blob(key);
        await this.request((abortSignal) => blob.commitBlockList([], { abortSignal }));
        await this.request((abortSignal) => blob.deleteIfExists({ abortSignal }));
      });
    } catch (error) {
      throw this.translate(error);
    }
  }

  private blob(key: string): BlockBlobClient {
    return this.container.getBlockBlobClient(key);
  }

  /** Cuts the stream into sub-blocks and stages them, at most `concurrency` at a time. */
  private async stage(blob: BlockBlobClient, attempt: string, content: Readable): Promise<{ count: number; size: number }> {
    let count = 0;
    let size = 0;
    // set by a failed staging request (a closure TypeScript cannot follow, hence the wrapper)
    const state: { failure: { error: unknown } | null } = { failure: null };
    const inFlight = new Set<Promise<void>>();
    const send = (data: Buffer) => {
      const id = subBlockId(attempt, count++);
      const staging: Promise<void> = this.request(
        (abortSignal) => blob.stageBlock(id, data, data.length, { abortSignal }),
        this.blockTimeoutMs,
      ).then(
        () => void inFlight.delete(staging),
        (error) => {
          inFlight.delete(staging);
          state.failure ??= { error };
          content.destroy(); // stop reading at once, even from a slow sender
        },
      );
      inFlight.add(staging);
    };
    let buffer = Buffer.allocUnsafe(this.subBlockSize);
    let filled = 0;
    try {
      for await (const piece of content) {
        let rest = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
        size += rest.length;
        while (rest.length > 0) {
          const copied = rest.copy(buffer, filled);
          filled += copied;
          rest = rest.subarray(copied);
          if (filled === buffer.length) {
            send(buffer);
            buffer = Buffer.allocUnsafe(this.subBlockSize);
            filled = 0;
            while (inFlight.size >= this.concurrency) await Promise.race(inFlight);
            if (state.failure) throw state.failure.error;
          }
        }
      }
      if (filled > 0) send(buffer.subarray(0, filled));
      await Promise.all(inFlight);
      if (state.failure) throw state.failure.error;
      if (count > 10 ** SEQ_DIGITS) throw new Error(`${count} sub-blocks is more than one staged block can hold`);
      return { count, size };
    } catch (error) {
      content.destroy();
      await Promise.all(inFlight);
      throw state.failure ? state.failure.error : error;
    }
  }

  /** One SDK call under a deadline (retries included); a missed deadline is an AbortError. */
  private async request<T>(call: (abortSignal: AbortSignal) => Promise<T>, timeoutMs = this.requestTimeoutMs): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DeadlineExceeded(timeoutMs)), timeoutMs);
    try {
      return await call(controller.signal);
    } catch (error) {
      if (controller.signal.aborted) throw controller.signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Azure or the network failing becomes BlobStoreUnavailable; anything else (input stream errors, bugs) passes. */
  private translate(error: unknown): Error {
    if (error instanceof BlobStoreUnavailable) return error;
    const failure = classify(error);
    if (!failure) return error instanceof Error ? error : new Error(String(error));
    return failure.unavailable ? new BlobStoreUnavailable(`${this.describe} ${failure.reason}`) : new Error(`${this.describe} ${failure.reason}`);
  }
}

/** What went wrong with Azure, in words for an operator; null when it was not Azure or the network. */
function classify(error: unknown): { unavailable: boolean; reason: string } | null {
  if (error instanceof DeadlineExceeded) return { unavailable: true, reason: `did not answer within ${error.seconds} s` };
  // the SDK's word for a connection that died under a response body
  if ((error as Error | null)?.name === "AbortError") return { unavailable: true, reason: `dropped the connection: ${(error as Error).message}` };
  if (!isRestError(error)) return null;
  const status = error.statusCode;
  const what = redact(error.message.split("\n")[0]);
  const code = `${status} ${error.code ?? ""}`.trim();
  if (status === undefined || status === 0) return { unavailable: true, reason: `cannot be reached: ${what}` };
  if (status === 401 || status === 403) return { unavailable: true, reason: `refused the credentials (${code}): ${what}` };
  if (status === 404 && error.code === "ContainerNotFound") return { unavailable: true, reason: "does not exist" };
  if (status >= 500 || status === 408 || status === 429) return { unavailable: true, reason: `failed (${code}): ${what}` };
  return { unavailable: false, reason: `rejected a request (${code}): ${what}` };
}

class DeadlineExceeded extends Error {
  readonly seconds: number;
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.seconds = ms / 1000;
  }
}

/** By name: the SDK's packages may carry more than one copy of the RestError class. */
function isRestError(error: unknown, status?: number, code?: string): error is RestError {
  if ((error as Error | null)?.name !== "RestError") return false;
  const rest = error as RestError;
  return (status === undefined || rest.statusCode === status) && (code === undefined || rest.code === code);
}

function newAttempt(): string {
  return randomBytes(ATTEMPT_DIGITS / 2).toString("hex");
}

function subBlockId(attempt: string, seq: number): string {
  return Buffer.from(`${attempt}${String(seq).padStart(SEQ_DIGITS, "0")}`).toString("base64");
}

function subBlockIds(attempt: string, count: number): string[] {
  return Array.from({ length: count }, (_, seq) => subBlockId(attempt, seq));
}

function parseBlockId(blockId: string): { attempt: string; count: number } {
  const match = BLOCK_ID.exec(blockId);
  if (!match) throw new Error(`'${blockId}' is not a block id of this store`);
  return { attempt: match[2], count: Number(match[3]) };
}

/** A SAS in a URL is a credential: never in a message. */
function redact(message: string): string {
  return message.replace(/([?&]sig=)[^&\s]*/gi, "$1REDACTED");
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
