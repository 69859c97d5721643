// Blob content in the database, in bounded chunks (table blob_chunk).
import { Readable } from "node:stream";
import type { Prisma } from "../db/connect";
import type { BlobStore } from "./blobStore";

export const CHUNK_SIZE = 1024 * 1024;

export class DatabaseBlobStore implements BlobStore {
  readonly kind = "database" as const;
  constructor(private readonly prisma: Prisma) {}

  async put(key: string, content: Readable): Promise<number> {
    await this.delete([key]);
    return this.write(key, content);
  }

  stageBlock(_key: string, blockKey: string, content: Readable): Promise<number> {
    return this.put(blockKey, content);
  }

  async commitBlocks(key: string, blockKeys: string[]): Promise<void> {
    // Re-key the staged chunks in order; no content is copied.
    await this.prisma.$transaction(async (tx) => {
      await tx.blobChunk.deleteMany({ where: { blobKey: key } });
      let offset = 0;
      for (const blockKey of blockKeys) {
        const count = await tx.blobChunk.count({ where: { blobKey: blockKey } });
        await tx.$executeRaw`UPDATE blob_chunk SET blob_key = ${key}, seq = seq + ${offset} WHERE blob_key = ${blockKey}`;
        offset += count;
      }
    });
  }

  async read(key: string): Promise<Readable> {
    const prisma = this.prisma;
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let seq = 0; ; seq++) {
        const chunk = await prisma.blobChunk.findUnique({ where: { blobKey_seq: { blobKey: key, seq } } });
        if (!chunk) return;
        yield Buffer.from(chunk.data);
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.prisma.blobChunk.deleteMany({ where: { blobKey: { in: keys } } });
  }

  private async write(key: string, content: Readable): Promise<number> {
    let seq = 0;
    let total = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await this.prisma.blobChunk.create({ data: { blobKey: key, seq: seq++, data } });
    };
    try {
      for await (const piece of content) {
        let buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
        total += buf.length;
        while (pendingBytes + buf.length >= CHUNK_SIZE) {
          const take = CHUNK_SIZE - pendingBytes;
          pending.push(buf.subarray(0, take));
          pendingBytes += take;
          buf = buf.subarray(take);
          await flush();
        }
        if (buf.length > 0) {
          pending.push(buf);
          pendingBytes += buf.length;
        }
      }
      if (pendingBytes > 0 || seq === 0) await flush();
    } catch (error) {
      await this.delete([key]);
      throw error;
    }
    return total;
  }
}
