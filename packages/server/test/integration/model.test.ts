// Model-based test: random sequences of operations (experiments, ensembles, matrix and
// file records ensemble-wide or per realization in JSON, NPY and CSV, block uploads,
// duplicates and clashing classes and types, observation links, userdata, reads,
// listings, deletions) run against the real server and against a small model of what
// it should store. The server never answers 5xx, and every read matches the model.
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { writeNpy } from "../../src/formats/npy";
import type { Client, Reply } from "../helpers/client";
import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

// ---- the model ----------------------------------------------------------------

type Klass = "parameter" | "response" | "other";
type Matrix = { kind: "matrix"; shape: number[]; values: number[] };
type File = { kind: "file"; bytes: Buffer };

interface RecordModel {
  /** null for files: their POST answers null, the id is seen in listings only */
  id: string | null;
  content: Matrix | File;
  userdata: Record<string, unknown>;
  observations: Set<string>;
}

interface NameModel {
  klass: Klass;
  type: "matrix" | "file";
  wide: RecordModel | null;
  perRealization: Map<number, RecordModel>;
}

interface EnsembleModel {
  id: string;
  size: number;
  active: number[];
  parameterNames: string[];
  responseNames: string[];
  userdata: Record<string, unknown>;
  names: Map<string, NameModel>;
}

interface ExperimentModel {
  id: string;
  name: string;
  userdata: Record<string, unknown>;
  ensembles: EnsembleModel[];
  observations: Map<string, string>; // name -> id
}

interface Model {
  experiments: ExperimentModel[];
  /** every experiment a run made, to delete afterwards */
  made: string[];
}

interface Real {
  api: Client;
}

const NAMES = ["P", "R", "X", "F"];

function classOf(e: EnsembleModel, name: string): Klass {
  return e.parameterNames.includes(name) ? "parameter" : e.responseNames.includes(name) ? "response" : "other";
}

/** The record a name means for a realization: its own, else (for a realization) the ensemble-wide matrix. */
function findByName(e: EnsembleModel, name: string, realization: number | undefined): RecordModel | undefined {
  const n = e.names.get(name);
  if (!n) return undefined;
  if (realization === undefined) return n.wide ?? undefined;
  return n.perRealization.get(realization) ?? (n.wide && n.type === "matrix" ? n.wide : undefined);
}

function allowed(e: EnsembleModel, realization: number | undefined): boolean {
  return realization === undefined || e.size === -1 || e.active.includes(realization);
}

/** What POSTing a record should answer, and what it adds. */
function expectPost(e: EnsembleModel, name: string, realization: number | undefined, type: "matrix" | "file", shape?: number[]): number {
  if (!allowed(e, realization)) return 417;
  const klass = type === "file" ? "other" : classOf(e, name);
  if (type === "matrix" && realization === undefined && klass === "parameter" && shape!.length < 2) return 422;
  const n = e.names.get(name);
  if (n) {
    if (n.klass !== klass || n.type !== type) return 409;
    if (n.wide) return 409;
    if (realization === undefined ? n.perRealization.size > 0 : n.perRealization.has(realization)) return 409;
  }
  return 200;
}

function store(e: EnsembleModel, name: string, realization: number | undefined, record: RecordModel) {
  const type = record.content.kind;
  let n = e.names.get(name);
  if (!n) {
    n = { klass: type === "file" ? "other" : classOf(e, name), type, wide: null, perRealization: new Map() };
    e.names.set(name, n);
  }
  if (realization === undefined) n.wide = record;
  else n.perRealization.set(realization, record);
}

/** The JSON a matrix read answers: one row comes back flat. */
function asJson(shape: number[], values: number[]): unknown {
  if (shape.length === 1) return values;
  const [rows, cols] = shape;
  if (rows === 1) return values.slice(0, cols);
  return Array.from({ length: rows }, (_, r) => values.slice(r * cols, (r + 1) * cols));
}

/** GET /ensembles/{id}/records/{name}[?realization_index]: status and body. */
function expectRead(e: EnsembleModel, name: string, realization: number | undefined): { status: number; json?: unknown; bytes?: Buffer } {
  const n = e.names.get(name);
  if (!n) return { status: 404 };
  if (n.type === "file") {
    const own = realization === undefined ? n.wide : n.perRealization.get(realization) ?? n.wide;
    return own ? { status: 200, bytes: (own.content as File).bytes } : { status: 404 };
  }
  const matrix = (r: RecordModel) => r.content as Matrix;
  if (realization === undefined) {
    if (n.wide) return { status: 200, json: asJson(matrix(n.wide).shape, matrix(n.wide).values) };
    const rows = [...n.perRealization.entries()].sort(([a], [b]) => a - b).map(([, r]) => matrix(r).values);
    if (rows.length === 0) return { status: 404 };
    if (rows.length === 1) return { status: 200, json: rows[0] };
    const width = Math.max(...rows.map((r) => r.length));
    return { status: 200, json: rows.map((r) => Array.from({ length: width }, (_, i) => (i < r.length ? r[i] : NaN))) };
  }
  const own = n.perRealization.get(realization);
  if (own) return { status: 200, json: matrix(own).values };
  if (!n.wide) return { status: 404 };
  const { shape, values } = matrix(n.wide);
  if (shape.length === 1) return realization === 0 ? { status: 200, json: values } : { status: 404 };
  if (realization >= shape[0]) return { status: 404 };
  return { status: 200, json: values.slice(realization * shape[1], (realization + 1) * shape[1]) };
}

/** The record a listing shows for a name: the ensemble-wide one, else the lowest realization's. */
function listed(n: NameModel): RecordModel | undefined {
  if (n.wide) return n.wide;
  const first = [...n.perRealization.keys()].sort((a, b) => a - b)[0];
  return first === undefined ? undefined : n.perRealization.get(first);
}

// ---- talking to the server ---------------------------------------------------------

function noServerError(res: Reply, what: string): Reply {
  if (res.status >= 500) throw new Error(`${what} answered ${res.status}: ${res.text}`);
  return res;
}

function expectStatus(res: Reply, status: number, what: string) {
  noServerError(res, what);
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`);
}

const rec = (e: EnsembleModel, name: string) => `/ensembles/${e.id}/records/${name}`;

/** A matrix body in one of the formats, and the shape the server will store. */
function encode(format: "json" | "npy" | "csv", shape: number[], values: number[]): { body: string | Buffer; type: string } {
  switch (format) {
    case "json":
      return { body: JSON.stringify(asJsonNested(shape, values)), type: "application/json" };
    case "npy":
      return { body: writeNpy(new Float64Array(values), shape), type: "application/x-numpy" };
    case "csv": {
      const [rows, cols] = shape.length === 1 ? [1, shape[0]] : shape;
      const lines = [["", ...Array.from({ length: cols }, (_, c) => String(c))].join(",")];
      for (let r = 0; r < rows; r++) lines.push([String(r), ...values.slice(r * cols, (r + 1) * cols).map(String)].join(","));
      return { body: lines.join("\n") + "\n", type: "text/csv" };
    }
  }
}

function asJsonNested(shape: number[], values: number[]): unknown {
  if (shape.length === 1) return values;
  return Array.from({ length: shape[0] }, (_, r) => values.slice(r * shape[1], (r + 1) * shape[1]));
}

// ---- commands -------------------------------------------------------------------

type Cmd = fc.AsyncCommand<Model, Real>;

const pick = <T>(items: T[], i: number): T => items[i % items.length];

class CreateExperiment implements Cmd {
  check = () => true;
  async run(m: Model, r: Real) {
    const name = `model-${process.pid}-${randomBytes(4).toString("hex")}`;
    const res = await r.api.post("/experiments", { json: { name } });
    expectStatus(res, 200, "create experiment");
    m.made.push(res.json.id);
    expect(res.json).toEqual({ id: expect.any(String), name, ensemble_ids: [], priors: {}, userdata: {} });
    m.experiments.push({ id: res.json.id, name, userdata: {}, ensembles: [], observations: new Map() });
  }
  toString = () => "CreateExperiment";
}

class DeleteExperiment implements Cmd {
  constructor(readonly which: number) {}
  check = (m: Readonly<Model>) => m.experiments.length > 0;
  async run(m: Model, r: Real) {
    const x = pick(m.experiments, this.which);
    expectStatus(await r.api.delete(`/experiments/${x.id}`), 200, "delete experiment");
    m.experiments.splice(m.experiments.indexOf(x), 1);
    expectStatus(await r.api.get(`/experiments/${x.id}`), 404, "read a deleted experiment");
    for (const e of x.ensembles) expectStatus(await r.api.get(`/ensembles/${e.id}`), 404, "read an ensemble of a deleted experiment");
  }
  toString = () => `DeleteExperiment(${this.which})`;
}

class CreateEnsemble implements Cmd {
  constructor(
    readonly which: number,
    readonly size: number,
    readonly active: number[],
  ) {}
  check = (m: Readonly<Model>) => m.experiments.length > 0;
  async run(m: Model, r: Real) {
    const x = pick(m.experiments, this.which);
    const body = { size: this.size, parameter_names: ["P"], response_names: ["R"], active_realizations: this.active };
    const res = await r.api.post(`/experiments/${x.id}/ensembles`, { json: body });
    expectStatus(res, 200, "create ensemble");
    const active = this.size === -1 || this.active.length > 0 ? this.active : [0, 1, 2];
    expect(res.json).toEqual({
      id: expect.any(String),
      size: this.size,
      parameter_names: ["P"],
      response_names: ["R"],
      active_realizations: active,
      experiment_id: x.id,
      userdata: {},
      parent_ensemble_id: null,
      child_ensemble_ids: [],
    });
    x.ensembles.push({ id: res.json.id, size: this.size, active, parameterNames: ["P"], responseNames: ["R"], userdata: {}, names: new Map() });
  }
  toString = () => `CreateEnsemble(${this.which}, size ${this.size}, active [${this.active}])`;
}

const ensembles = (m: Readonly<Model>) => m.experiments.flatMap((x) => x.ensembles);

class PostMatrix implements Cmd {
  constructor(
    readonly which: number,
    readonly name: string,
    readonly realization: number | undefined,
    readonly format: "json" | "npy" | "csv",
    readonly shape: number[],
    readonly values: number[],
  ) {}
  check = (m: Readonly<Model>) => ensembles(m).length > 0;
  async run(m: Model, r: Real) {
    const e = pick(ensembles(m), this.which);
    // per realization: a vector (ERT's 1xT); CSV always makes a 2-D frame
    const shape = this.format === "csv" && this.shape.length === 1 && this.realization === undefined ? [1, this.shape[0]] : this.shape;
    const { body, type } = encode(this.format, shape, this.values);
    const res = await r.api.post(`${rec(e, this.name)}/matrix`, { body, headers: { "content-type": type }, query: { realization_index: this.realization } });
    const status = expectPost(e, this.name, this.realization, "matrix", shape);
    expectStatus(res, status, `post matrix ${this.name}`);
    if (status !== 200) {
      expect(res.json.detail).toMatchObject({ ensemble_id: e.id, name: this.name, error: expect.any(String) });
      return;
    }
    expect(res.json).toEqual({
      id: expect.any(String),
      name: this.name,
      userdata: {},
      has_observations: false,
      record_class: classOf(e, this.name),
      record_type: "matrix",
    });
    const stored = this.realization === undefined ? shape : [this.values.length];
    store(e, this.name, this.realization, { id: res.json.id, content: { kind: "matrix", shape: stored, values: this.values }, userdata: {}, observations: new Set() });
  }
  toString = () => `PostMatrix(${this.which}, ${this.name}, ${this.realization}, ${this.format}, [${this.shape}])`;
}

class PostFile implements Cmd {
  constructor(
    readonly which: number,
    readonly name: string,
    readonly realization: number | undefined,
    readonly bytes: Uint8Array,
    readonly blocks: boolean,
  ) {}
  check = (m: Readonly<Model>) => ensembles(m).length > 0;
  async run(m: Model, r: Real) {
    const e = pick(ensembles(m), this.which);
    const bytes = Buffer.from(this.bytes);
    const query = { realization_index: this.realization };
    const status = expectPost(e, this.name, this.realization, "file");
    if (this.blocks) {
      const created = await r.api.post(`${rec(e, this.name)}/blob`, { query });
      expectStatus(created, status, `create blob ${this.name}`);
      if (status !== 200) return;
      const half = Math.floor(bytes.length / 2);
      // blocks out of order: the commit puts them in index order
      expectStatus(await r.api.put(`${rec(e, this.name)}/blob`, { body: bytes.subarray(half), query: { ...query, block_index: 1 } }), 200, "stage block 1");
      expectStatus(await r.api.put(`${rec(e, this.name)}/blob`, { body: bytes.subarray(0, half), query: { ...query, block_index: 0 } }), 200, "stage block 0");
      expectStatus(await r.api.patch(`${rec(e, this.name)}/blob`, { query }), 200, "commit blocks");
    } else {
      const form = new FormData();
      form.append("file", new Blob([bytes]), "content.bin");
      expectStatus(await r.api.post(`${rec(e, this.name)}/file`, { body: form, query }), status, `post file ${this.name}`);
      if (status !== 200) return;
    }
    store(e, this.name, this.realization, { id: null, content: { kind: "file", bytes }, userdata: {}, observations: new Set() });
  }
  toString = () => `PostFile(${this.which}, ${this.name}, ${this.realization}, ${this.bytes.length} bytes, ${this.blocks ? "blocks" : "multipart"})`;
}

class ReadRecord implements Cmd {
  constructor(
    readonly which: number,
    readonly name: string,
    readonly realization: number | undefined,
  ) {}
  check = (m: Readonly<Model>) => ensembles(m).length > 0;
  async run(m: Model, r: Real) {
    const e = pick(ensembles(m), this.which);
    const res = await r.api.get(rec(e, this.name), { query: { realization_index: this.realization } });
    const want = expectRead(e, this.name, this.realization);
    expectStatus(res, want.status, `read ${this.name} realization ${this.realization}`);
    if (want.bytes) expect(res.bytes.equals(want.bytes)).toBe(true);
    if (want.json !== undefined) expect(res.json).toEqual(want.json);
  }
  toString = () => `ReadRecord(${this.which}, ${this.name}, ${this.realization})`;
}

class ListRecords implements Cmd {
  constructor(readonly which: number) {}
  check = (m: Readonly<Model>) => ensembles(m).length > 0;
  async run(m: Model, r: Real) {
    const e = pick(ensembles(m), this.which);
    const res = await r.api.get(`/ensembles/${e.id}/records`);
    expectStatus(res, 200, "list records");
    const want: Record<string, unknown> = {};
    for (const [name, n] of e.names) {
      const shown = listed(n);
      if (!shown) continue;
      want[name] = {
        id: shown.id ?? expect.any(String),
        name,
        userdata: shown.userdata,
        has_observations: shown.observations.size > 0,
        record_class: n.klass,
        record_type: n.type,
      };
    }
    expect(res.json).toEqual(want);
    const responses = await r.api.get(`/ensembles/${e.id}/responses`);
    expectStatus(responses, 200, "list responses");
    expect(Object.keys(responses.json).sort()).toEqual(Object.keys(want).filter((name) => e.names.get(name)!.klass === "response").sort());
  }
  toString = () => `ListRecords(${this.which})`;
}

class CreateObservation implements Cmd {
  constructor(
    readonly which: number,
    readonly name: string,
  ) {}
  check = (m: Readonly<Model>) => m.experiments.length > 0;
  async run(m: Model, r: Real) {
    const x = pick(m.experiments, this.which);
    const res = await r.api.post(`/experiments/${x.id}/observations`, { json: { name: this.name, values: [1, 2], errors: [0.5, 0.5], x_axis: [0, 1] } });
    expectStatus(res, x.observations.has(this.name) ? 409 : 200, `create observation ${this.name}`);
    if (res.status === 200) x.observations.set(this.name, res.json.id);
  }
  toString = () => `CreateObservation(${this.which}, ${this.name})`;
}

class LinkObservations implements Cmd {
  constructor(
    readonly which: number,
    readonly name: string,
    readonly realization: number | undefined,
    readonly count: number,
  ) {}
  check = (m: Readonly<Model>) => ensembles(m).length > 0;
  async run(m: Model, r: Real) {
    const e = pick(ensembles(m), this.which);
    const x = m.experiments.find((y) => y.ensembles.includes(e))!;
    const ids = [...x.observations.values()].slice(0, this.count);
    const target = findByName(e, this.name, this.realization);
    const query = { realization_index: this.realization };
    const res = await r.api.post(`${rec(e, this.name)}/observations`, { json: ids, query });
    expectStatus(res, !target ? 404 : ids.length === 0 ? 422 : 200, `link observations to ${this.name}`);
    if (res.status === 200) target!.observations = new Set(ids);
    const list = await r.api.get(`${rec(e, this.name)}/observations`, { query });
    expectStatus(list, target ? 200 : 404, `list observations of ${this.name}`);
    if (target) expect(list.json.map((o: { id: string }) => o.id).sort()).toEqual([...target.observations].sort());
  }
  toString = () => `LinkObservations(${this.which}, ${this.name}, ${this.realization}, ${this.count})`;
}

class RecordUserdata implements Cmd {
  constructor(
    readonly which: number,
    readonly name: string,
    readonly realization: number | undefined,
    readonly method: "PUT" | "PATCH",
    readonly value: Record<string, number>,
  ) {}
  check = (m: Readonly<Model>) => ensembles(m).length > 0;
  async run(m: Model, r: Real) {
    const e = pick(ensembles(m), this.which);
    const target = findByName(e, this.name, this.realization);
    const query = { realization_index: this.realization };
    const res = await r.api.request(this.method, `${rec(e, this.name)}/userdata`, { json: this.value, query });
    expectStatus(res, target ? 200 : 404, `${this.method} userdata of ${this.name}`);
    if (target) target.userdata = this.method === "PUT" ? { ...this.value } : { ...target.userdata, ...this.value };
    const read = await r.api.get(`${rec(e, this.name)}/userdata`, { query });
    expectStatus(read, target ? 200 : 404, `read userdata of ${this.name}`);
    if (target) expect(read.json).toEqual(target.userdata);
  }
  toString = () => `RecordUserdata(${this.which}, ${this.name}, ${this.realization}, ${this.method}, ${JSON.stringify(this.value)})`;
}

class OwnerUserdata implements Cmd {
  constructor(
    readonly which: number,
    readonly ensemble: boolean,
    readonly method: "PUT" | "PATCH",
    readonly value: Record<string, number>,
  ) {}
  check = (m: Readonly<Model>) => (this.ensemble ? ensembles(m).length > 0 : m.experiments.length > 0);
  async run(m: Model, r: Real) {
    const owner: { id: string; userdata: Record<string, unknown> } = this.ensemble ? pick(ensembles(m), this.which) : pick(m.experiments, this.which);
    const path = `/${this.ensemble ? "ensembles" : "experiments"}/${owner.id}/userdata`;
    expectStatus(await r.api.request(this.method, path, { json: this.value }), 200, `${this.method} ${path}`);
    owner.userdata = this.method === "PUT" ? { ...this.value } : { ...owner.userdata, ...this.value };
    const read = await r.api.get(path);
    expectStatus(read, 200, `read ${path}`);
    expect(read.json).toEqual(owner.userdata);
  }
  toString = () => `OwnerUserdata(${this.which}, ${this.ensemble ? "ensemble" : "experiment"}, ${this.method}, ${JSON.stringify(this.value)})`;
}

class ReadExperiments implements Cmd {
  check = () => true;
  async run(m: Model, r: Real) {
    const res = await r.api.get("/experiments");
    expectStatus(res, 200, "list experiments");
    const byId = new Map(res.json.map((x: { id: string }) => [x.id, x]));
    for (const id of m.made) {
      const x = m.experiments.find((y) => y.id === id);
      if (!x) {
        expect(byId.has(id)).toBe(false);
        continue;
      }
      const got = byId.get(id) as { name: string; ensemble_ids: string[]; userdata: unknown };
      expect({ ...got, ensemble_ids: [...got.ensemble_ids].sort() }).toEqual({
        id,
        name: x.name,
        ensemble_ids: x.ensembles.map((e) => e.id).sort(),
        priors: {},
        userdata: x.userdata,
      });
      const ens = await r.api.get(`/experiments/${id}/ensembles`);
      expectStatus(ens, 200, "list ensembles");
      expect(ens.json.map((e: { id: string; active_realizations: number[]; userdata: unknown }) => [e.id, e.active_realizations, e.userdata]).sort()).toEqual(
        x.ensembles.map((e) => [e.id, e.active, e.userdata]).sort(),
      );
    }
  }
  toString = () => "ReadExperiments";
}

// ---- the arbitraries --------------------------------------------------------------

/** which experiment or ensemble (modulo how many there are): few, so operations meet */
const index = fc.nat(2);
const name = fc.constantFrom(...NAMES);
const realization = fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined, freq: 3 });
const value = fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => (Object.is(x, -0) ? 0 : x));
const userdata = fc.dictionary(fc.constantFrom("a", "b", "c"), fc.integer(), { maxKeys: 2, noNullPrototype: true });
const matrix = fc
  .oneof(
    fc.integer({ min: 1, max: 4 }).map((n) => [n]),
    fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).map(([a, b]) => [a, b]),
  )
  .chain((shape) => fc.array(value, { minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) }).map((values) => ({ shape, values })));

const postMatrix = fc
  .tuple(index, name, realization, fc.constantFrom<"json" | "npy" | "csv">("json", "npy", "csv"), matrix)
  // a realization's record is a vector (ERT's 1xT): 1-D in JSON and NPY, one row in CSV
  .map(([i, n, real, format, { shape, values }]) => new PostMatrix(i, n, real, format, real === undefined ? shape : [values.length], values));
const postFile = fc
  .tuple(index, name, realization, fc.uint8Array({ minLength: 0, maxLength: 64 }), fc.boolean())
  .map(([i, n, real, bytes, blocks]) => new PostFile(i, n, real, bytes, blocks && bytes.length > 1));
const readRecord = fc.tuple(index, name, realization).map(([i, n, real]) => new ReadRecord(i, n, real));

const link = fc.tuple(index, name, realization, fc.integer({ min: 0, max: 2 })).map(([i, n, real, count]) => new LinkObservations(i, n, real, count));
const recordUserdata = fc
  .tuple(index, name, realization, fc.constantFrom<"PUT" | "PATCH">("PUT", "PATCH"), userdata)
  .map(([i, n, real, method, v]) => new RecordUserdata(i, n, real, method, v));

/** Record operations weigh most: they hold the rules. */
const commands = fc.commands(
  [
    fc.constant(new CreateExperiment()),
    index.map((i) => new DeleteExperiment(i)),
    fc
      .tuple(index, fc.constantFrom(-1, 3), fc.constantFrom<number[]>([], [0, 2], [1]))
      .map(([i, size, active]) => new CreateEnsemble(i, size, size === -1 ? [] : active)),
    ...[postMatrix, postMatrix, postMatrix, postMatrix, postFile, postFile],
    ...[readRecord, readRecord, readRecord, readRecord],
    index.map((i) => new ListRecords(i)),
    fc.tuple(index, fc.constantFrom("O1", "O2")).map(([i, n]) => new CreateObservation(i, n)),
    link,
    link,
    recordUserdata,
    recordUserdata,
    fc.tuple(index, fc.boolean(), fc.constantFrom<"PUT" | "PATCH">("PUT", "PATCH"), userdata).map(([i, ens, method, v]) => new OwnerUserdata(i, ens, method, v)),
    fc.constant(new ReadExperiments()),
  ],
  { maxCommands: 60, size: "max" },
);

const TIME_BUDGET_MS = 20_000;
const SHRINK_BUDGET_MS = 60_000;

/** Every run starts with an experiment holding an ensemble of each kind. */
const START = [new CreateExperiment(), new CreateEnsemble(0, 3, []), new CreateEnsemble(0, -1, [])];

describe.each(BACKENDS)("the server against a model on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  test("random operation sequences: never a 5xx, every read matches the model", async () => {
    // Bounded by time: new sequences start for TIME_BUDGET_MS, then every further run passes
    // at once. (fast-check's interruptAfterTimeLimit would abandon a run mid-way, still
    // talking to the server after the test ends.) Once a run fails, shrinking gets its own
    // budget; the seed is printed for a replay.
    const started = Date.now();
    let failedAt: number | null = null;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const now = Date.now();
        if (failedAt === null ? now - started > TIME_BUDGET_MS : now - failedAt > SHRINK_BUDGET_MS) return;
        runs++;
        const model: Model = { experiments: [], made: [] };
        try {
          await fc.asyncModelRun(() => ({ model, real: { api: t.api } }), [...START, ...cmds]);
        } catch (error) {
          failedAt ??= Date.now();
          throw error;
        } finally {
          for (const id of model.made) await t.api.delete(`/experiments/${id}`);
        }
      }),
      { numRuns: 150 },
    );
    expect(runs).toBeGreaterThan(3);
  }, 240_000);
});
