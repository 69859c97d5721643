// A block of a frame's rows as CSV or JSON text: what a text thread does with a task
// (textWorker.ts), and the main thread too when it has no threads.
import { encodeCsv } from "./csv";
import { encodeNestedJson } from "./json";
import { labelsBlockTexts, type LabelsBlock } from "./labels";
import type { Matrix } from "./matrix";

export interface TextTask {
  id: number;
  format: "csv" | "json";
  /** the block's rows, labelled as in the frame */
  matrix: Matrix;
  /** its row labels, when they are not the matrix's index (a CSV answer's, made as blocks are sent) */
  rowLabels?: LabelsBlock;
  /** the header's labels, when they are not the matrix's columns (long stored ones, as a stretch of their text) */
  columnLabels?: LabelsBlock;
  /** the block holds the frame's first rows / its last rows */
  first: boolean;
  last: boolean;
  /** where to write the text when it fits (memory shared with the main thread), else a buffer of its own */
  into?: Uint8Array;
}

/** The text's bytes (moved), or only its length when it was written into the task's `into`. */
export type TextResult = { id: number; bytes: Uint8Array } | { id: number; length: number } | { id: number; error: string };

/**
 * CSV: the header line with the first block only. JSON: the blocks of "[[r0], [r1], [r2]]"
 * are "[[r0], [r1]," and " [r2]]": each block is written as a whole list of its rows, then
 * its "[" becomes " " unless it is first and its "]" becomes "," unless it is last.
 */
export function encodeBlock(task: Omit<TextTask, "id">): Buffer {
  if (task.format === "csv") {
    const m = { ...task.matrix };
    if (task.rowLabels) m.index = { kind: "string", values: labelsBlockTexts(task.rowLabels) };
    if (task.columnLabels) m.columns = { kind: "string", values: labelsBlockTexts(task.columnLabels) };
    return encodeCsv(m, { header: task.first, into: task.into });
  }
  const out = encodeNestedJson(task.matrix.data, task.matrix.shape, task.into);
  if (!task.first) out[0] = 0x20;
  if (!task.last) out[out.length - 1] = 0x2c;
  return out;
}
