// Named points where a test makes a repository fail half-way, as a crash or a
// lost connection would. Production never arms one; hitting an unarmed point is free.

export type FaultPoint =
  /** a block upload's blocks are committed in the blob store, the file is not yet marked committed */
  | "file.finishCommit"
  /** a block is staged in the blob store, not yet recorded */
  | "file.recordBlock"
  /** a part of a big stack of records is about to be read (RecordRepository.valuesOf) */
  | "record.valuesOf";

export class Faults {
  private readonly armed = new Map<FaultPoint, Error>();

  /** The next time point is reached, error is thrown there (once). */
  arm(point: FaultPoint, error: Error): void {
    this.armed.set(point, error);
  }

  hit(point: FaultPoint): void {
    const error = this.armed.get(point);
    if (error) {
      this.armed.delete(point);
      throw error;
    }
  }
}
