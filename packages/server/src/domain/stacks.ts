// Per-realization records of a name stacked into one frame, a row per realization (each
// record's rows labelled with its realization). A big stack whose records share their
// width and column labels is read and answered a part at a time (a few realizations'
// values per read), so the frame is never whole in memory; any other stack is read whole
// and stacked with the column union (frames.ts).
import { Errors } from "../errors";
import { as2d, size } from "../formats/matrix";
import type { StoredMatrix } from "../store/db/matrices";
import type { RowFrame } from "../formats/textThreads";
import type { DeferredMatrixRecord } from "../store/db/records";
import type { Deps } from "./context";
import { sameColumns } from "./frames";
import type { MatrixValues } from "./matrixValues";

/** Stacks of this many values or more are read a part at a time (as the text threads write them). */
export const PARTED_STACK_VALUES = 1 << 20;

export class Stacks {
  constructor(
    private readonly deps: Deps,
    private readonly matrices: MatrixValues,
  ) {}

  /**
   * The records as one frame read a part at a time; null when they do not stack by putting
   * rows one after another (widths or column labels differ, a matrix has more than two
   * dimensions) or the frame is empty.
   */
  frame(records: DeferredMatrixRecord[]): RowFrame | null {
    if (records.length === 0 || !sameColumns(records.map((r) => r.matrix))) return null;
    const { cols } = as2d(records[0].matrix);
    const index: number[] = [];
    for (const { matrix, realization } of records) for (let r = as2d(matrix).rows; r > 0; r--) index.push(realization);
    if (cols === 0 || index.length === 0) return null;
    // records of no rows give no values
    const holding = records.filter((r) => size(r.matrix.shape) > 0);
    return {
      rows: index.length,
      cols,
      columns: records[0].matrix.columns,
      index: { kind: "int", values: index },
      parts: (values, alloc) => this.parts(holding, values, alloc),
    };
  }

  /** The records with their values, to be stacked whole. */
  async load(records: DeferredMatrixRecord[]): Promise<{ realization: number; matrix: StoredMatrix }[]> {
    const values = await this.values(records);
    return records.map((r, i) => ({ realization: r.realization, matrix: { ...r.matrix, data: values[i], blobKey: null } }));
  }

  /** The values of runs of records of about `values` values (at least one record), each run in memory from alloc. */
  private async *parts(records: DeferredMatrixRecord[], values: number, alloc: (n: number) => Float64Array): AsyncGenerator<Float64Array> {
    for (let start = 0; start < records.length; ) {
      let end = start;
      let count = 0;
      while (end < records.length && (end === start || count + size(records[end].matrix.shape) <= values)) {
        count += size(records[end].matrix.shape);
        end++;
      }
      const run = records.slice(start, end);
      const part = alloc(count);
      await this.values(run, part);
      start = end;
      yield part;
    }
  }

  /**
   * The records' values, read by id (inline ones in one statement) and from the blob store,
   * into `into` one after another when it is given (else each into a buffer of its own).
   * A record deleted since its matrix was listed is a 404.
   */
  private async values(records: DeferredMatrixRecord[], into?: Float64Array): Promise<Float64Array[]> {
    const out: Float64Array[] = [];
    const byId = new Map<string, Float64Array>();
    let offset = 0;
    for (const r of records) {
      const n = size(r.matrix.shape);
      const target = into ? into.subarray(offset, offset + n) : new Float64Array(n);
      offset += n;
      out.push(target);
      byId.set(r.id, target);
    }
    const inline = records.filter((r) => r.matrix.blobKey === null);
    const filled = new Set<string>();
    if (inline.length > 0) {
      await this.deps.repos.records.valuesOf(
        inline.map((r) => r.id),
        (id, bytes) => {
          const target = byId.get(id)!;
          if (bytes.length !== target.byteLength) throw new Error(`Record ${id} holds ${bytes.length} bytes of values where its shape says ${target.byteLength}`);
          new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(bytes);
          filled.add(id);
        },
      );
    }
    if (filled.size !== inline.length) throw Errors.notFound("Record not found: it was deleted while it was read");
    for (const r of records) {
      if (r.matrix.blobKey === null) continue;
      const target = byId.get(r.id)!;
      await this.matrices.readInto(r.matrix.blobKey, new Uint8Array(target.buffer, target.byteOffset, target.byteLength));
    }
    return out;
  }
}
