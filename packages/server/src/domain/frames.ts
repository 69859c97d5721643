// Table views of stored matrices: selecting a row or a column, stacking
// per-realization records into one frame (pandas concat semantics).
import { formatLabels } from "../formats/labels";
import { as2d, FormatError, joinBlocks, rangeLabels, type Labels, type Matrix, type RowBlocks } from "../formats/matrix";

/** A per-realization record: its rows are labelled with the realization index. */
export function withRealizationIndex(m: Matrix, realization: number): Matrix {
  if (m.shape.length > 2) return m;
  const { rows } = as2d(m);
  return { ...m, index: { kind: "int", values: new Array(rows).fill(realization) } };
}

/**
 * Row `row` of an ensemble-wide matrix as a 1-row frame; null if out of range. A
 * labelled matrix labels the row with its realization, an unlabelled one 0 (as pandas
 * numbers a new frame).
 */
export function selectRow(m: Matrix, row: number): Matrix | null {
  const index: Labels = { kind: "int", values: [m.columns || m.index ? row : 0] };
  if (m.shape.length <= 1) return row === 0 ? { ...m, index } : null;
  const rows = m.shape[0];
  if (row < 0 || row >= rows) return null;
  const width = m.data.length / Math.max(rows, 1);
  return {
    shape: m.shape.slice(1).length === 1 ? [1, m.shape[1]] : [1, ...m.shape.slice(1)],
    data: m.data.slice(row * width, (row + 1) * width),
    columns: m.columns,
    index,
  };
}

export function columnKeys(m: Matrix): string[] {
  const { cols } = as2d(m);
  return formatLabels(m.columns ?? rangeLabels(cols));
}

/** Only the column labelled `label`; null when there is no such label. */
export function selectColumn(m: Matrix, label: string): Matrix | null {
  if (!m.columns) return null;
  const { rows, cols } = as2d(m);
  const c = columnKeys(m).indexOf(label);
  if (c < 0) return null;
  const data = new Float64Array(rows);
  for (let r = 0; r < rows; r++) data[r] = m.data[r * cols + c];
  return {
    shape: [rows, 1],
    data,
    columns: { kind: m.columns.kind, values: [m.columns.values[c]] },
    index: m.index,
  };
}

/** Stacks frames as rows; columns are the union in first-seen order, missing cells NaN. */
export function stackRows(frames: Matrix[]): Matrix {
  if (frames.length === 1) return as2dMatrix(frames[0]);
  const stack = rowStack(frames);
  if (stack) return joinBlocks(stack);
  const keys: string[] = [];
  const keyPos = new Map<string, number>();
  let columnLabels: Labels | null = null;
  const labelled = frames.some((f) => f.columns);
  for (const f of frames) {
    const fk = columnKeys(f);
    fk.forEach((k, i) => {
      if (!keyPos.has(k)) {
        keyPos.set(k, keys.length);
        keys.push(k);
        if (labelled) {
          const source = f.columns ?? rangeLabels(fk.length);
          columnLabels ??= { kind: source.kind, values: [] };
          columnLabels.values.push(source.values[i]);
        }
      }
    });
  }
  const cols = keys.length;
  const totalRows = frames.reduce((n, f) => n + as2d(f).rows, 0);
  const data = new Float64Array(totalRows * cols).fill(NaN);
  const index: (string | number)[] = [];
  let indexKind: Labels["kind"] = "int";
  let r0 = 0;
  for (const f of frames) {
    const { rows, cols: fc } = as2d(f);
    const map = columnKeys(f).map((k) => keyPos.get(k)!);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < fc; c++) data[(r0 + r) * cols + map[c]] = f.data[r * fc + c];
    }
    const labels = f.index ?? rangeLabels(rows);
    if (labels.kind !== "int") indexKind = labels.kind;
    for (const label of labels.values) index.push(label); // not push(...): a spread of millions overflows the stack
    r0 += rows;
  }
  return { shape: [totalRows, cols], data, columns: columnLabels, index: { kind: indexKind, values: index } };
}

function as2dMatrix(m: Matrix): Matrix {
  if (m.shape.length > 2) return m;
  const { rows, cols } = as2d(m);
  return { ...m, shape: [rows, cols] };
}

export function requireTable(m: Matrix): void {
  if (m.shape.length > 2) throw new FormatError(`a ${m.shape.length}-dimensional matrix has no table form`);
}

/** The same labels (the same object for records whose label text is the same: LabelTexts), else compared value by value. */
function sameLabels(a: Labels | null, b: Labels | null): boolean {
  if (a === b) return true;
  if (!a || !b || a.kind !== b.kind || a.values.length !== b.values.length) return false;
  for (let i = 0; i < a.values.length; i++) if (a.values[i] !== b.values[i]) return false;
  return true;
}

/** Every frame has the same columns (the usual case: one response, many realizations) and at most two dimensions. */
export function sameColumns(frames: Pick<Matrix, "shape" | "columns">[]): boolean {
  if (frames.some((f) => f.shape.length > 2)) return false;
  const first = frames[0];
  const cols = as2d(first).cols;
  return frames.every((f) => as2d(f).cols === cols && sameLabels(f.columns, first.columns));
}

/**
 * Frames with the same columns (sameColumns) as rows one after another, their values left
 * where they are; null when their columns differ.
 */
export function rowStack(frames: Matrix[]): RowBlocks | null {
  if (frames.length === 0 || !sameColumns(frames)) return null;
  let rows = 0;
  const index: (string | number)[] = [];
  let indexKind: Labels["kind"] = "int";
  for (const f of frames) {
    const fr = as2d(f).rows;
    rows += fr;
    const labels = f.index ?? rangeLabels(fr);
    if (labels.kind !== "int") indexKind = labels.kind;
    for (const v of labels.values) index.push(v);
  }
  return { rows, cols: as2d(frames[0]).cols, blocks: frames.map((f) => f.data), columns: frames[0].columns, index: { kind: indexKind, values: index } };
}

