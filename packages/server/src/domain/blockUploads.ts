// File content: multipart uploads into the blob store, and block uploads (stage
// blocks in any order, then commit them in index order).
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import { Errors } from "../errors";
import { blobKeys } from "../store/blob";
import type { FileRow } from "../store/db/records";
import type { Deps } from "./context";
import type { RecordService, UploadedFile } from "./records";

/** Block indices are stored as PostgreSQL integers. */
const MAX_BLOCK_INDEX = 2 ** 31 - 1;

export class BlockUploadService {
  constructor(
    private readonly deps: Deps,
    private readonly records: RecordService,
  ) {}

  /**
   * Streams a multipart file into the blob store under a new key. The key is queued
   * for sweeping first and claimed when its record is created, so content of an
   * upload that never gets a record does not stay.
   */
  async receive(content: Readable): Promise<Pick<UploadedFile, "fileId" | "blobKey" | "size">> {
    const fileId = randomUUID();
    const blobKey = blobKeys.file(fileId);
    await this.deps.repos.sweep.registerUpload(blobKey);
    const size = await this.deps.blobs.put(blobKey, content);
    return { fileId, blobKey, size };
  }

  /** Drops a received file that did not become a record. */
  async discard(blobKey: string): Promise<void> {
    await this.deps.blobs.delete([blobKey]);
    await this.deps.repos.sweep.forget([blobKey]);
  }

  async stage(ensembleId: string, name: string, realizationIndex: number | undefined, blockIndex: number, content: Readable) {
    if (!Number.isInteger(blockIndex) || blockIndex < 0 || blockIndex > MAX_BLOCK_INDEX) {
      throw Errors.unprocessable(`block_index must be a whole number from 0 to ${MAX_BLOCK_INDEX}, not ${blockIndex}`);
    }
    const file = await this.stagingFile(ensembleId, name, realizationIndex);
    const { blobs, repos } = this.deps;
    const staged = await blobs.stageBlock(file.blobKey, blockIndex, content);
    let outcome: { recorded: boolean; replaced: string | null };
    try {
      outcome = await repos.files.recordBlock(file.id, { index: blockIndex, blobKey: staged.blockId, size: staged.size });
    } catch (error) {
      // not recorded (the database went away, the record was deleted): nobody would know the block
      await blobs.discardBlocks(file.blobKey, [staged.blockId]).catch(() => undefined);
      throw error;
    }
    const { recorded, replaced } = outcome;
    if (!recorded) {
      await blobs.discardBlocks(file.blobKey, [staged.blockId]);
      throw Errors.conflict(`Record '${name}' was committed while the block was staged; it takes no more blocks`);
    }
    if (replaced) await blobs.discardBlocks(file.blobKey, [replaced]);
  }

  /**
   * Commits the staged blocks in index order. The block list is frozen first; a
   * commit that stops half-way (a crash, a lost connection) is finished by
   * repeating it, and no content is lost either way.
   */
  async commit(ensembleId: string, name: string, realizationIndex: number | undefined): Promise<void> {
    const file = await this.fileOf(ensembleId, name, realizationIndex);
    const start = await this.deps.repos.files.startCommit(file.id);
    switch (start.kind) {
      case "committed":
        throw Errors.conflict(`Record '${name}' is already committed`);
      case "empty":
        throw Errors.unprocessable(`No blocks were staged for record '${name}'`);
      case "incomplete": {
        const more = start.missingCount - start.missing.length;
        const named = start.missing.join(", ") + (more > 0 ? ` and ${more} more` : "");
        // missing_block_indices: the first MISSING_BLOCKS_NAMED of them
        throw Errors.unprocessable(`Cannot commit record '${name}': block(s) ${named} missing`, {
          missing_block_indices: start.missing,
          missing_block_count: start.missingCount,
        });
      }
    }
    await this.deps.blobs.commitBlocks(
      file.blobKey,
      start.blocks.map((b) => b.blobKey),
    );
    await this.deps.repos.files.finishCommit(
      file.id,
      start.blocks.reduce((n, b) => n + b.size, 0),
    );
  }

  private async fileOf(ensembleId: string, name: string, realizationIndex: number | undefined): Promise<FileRow> {
    const record = await this.records.findByName(ensembleId, name, realizationIndex);
    if (!record.file) throw Errors.expectation(`Record '${name}' is not a file record`);
    return record.file;
  }

  private async stagingFile(ensembleId: string, name: string, realizationIndex: number | undefined): Promise<FileRow> {
    const file = await this.fileOf(ensembleId, name, realizationIndex);
    if (file.state !== "staging") {
      throw Errors.conflict(`Record '${name}' is ${file.state === "committed" ? "already committed" : "being committed"}; it takes no more blocks`);
    }
    return file;
  }
}
