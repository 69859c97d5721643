// Removes blob content queued in blob_sweep: content of deleted experiments right
// away, content of abandoned uploads after their grace time. Runs after every
// experiment deletion and every few minutes; a failure is logged and retried then.
import type { BlobStore } from "../store/blob";
import type { BlobSweepRepository } from "../store/db/blobSweep";
import { serialized } from "../serialized";

const BATCH = 500;

export class BlobSweeper {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly sweep_: BlobSweepRepository,
    private readonly blobs: BlobStore,
  ) {}

  /**
   * Removes the content whose time has come, including everything queued before the call;
   * resolves to how many keys were removed. Never throws.
   */
  readonly sweep = serialized(() => this.run());

  private async run(): Promise<number> {
    let removed = 0;
    try {
      for (;;) {
        const keys = await this.sweep_.due(BATCH);
        if (keys.length === 0) return removed;
        await this.blobs.delete(keys);
        await this.sweep_.forget(keys);
        removed += keys.length;
        if (keys.length < BATCH) return removed;
      }
    } catch (error) {
      console.error(`blob sweep failed, will retry: ${(error as Error).message}`);
      return removed;
    }
  }

  /** Sweeps now and then every intervalMs until stop(). */
  start(intervalMs: number): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sweep.idle();
  }
}
