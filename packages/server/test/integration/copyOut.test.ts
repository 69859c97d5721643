// Rows read through COPY (FORMAT binary) against the same rows read the driver's usual
// way, on both databases: every column type copyRows knows, NULLs, parameters written
// in as literals (quotes, backslashes, text that looks like SQL), and the errors.
import fc from "fast-check";
import { openDatabase, type Database } from "../../src/store/db/connect";
import { copyStatement, type Columns } from "../../src/store/db/copyOut";
import { float8Array } from "../../src/store/db/values";
import { testDatabaseUrl } from "../helpers/env";

const COLUMNS: Columns = [
  ["t", "text"],
  ["b", "bytea"],
  ["i", "int4"],
  ["n", "int8"],
  ["f", "bool"],
  ["u", "uuid"],
  ["a", "int4[]"],
  ["x", "float8[]"],
  ["s", "text[]"],
  ["g", "bool[]"],
];

/** One row of every type from parameters, each NULL when its parameter is. */
const SELECT = `SELECT $1::text AS t, $2::bytea AS b, $3::int4 AS i, $4::int8 AS n, $5::boolean AS f, $6::uuid AS u, $7::int4[] AS a, $8::float8[] AS x, $9::text[] AS s, $10::boolean[] AS g`;

describe.each([
  ["PGlite", () => openDatabase({ kind: "pglite", dataDir: null })],
  ["PostgreSQL", () => openDatabase({ kind: "postgres", url: testDatabaseUrl() })],
])("COPY reads on %s", (_name, open) => {
  let db: Database;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(() => db.close());

  // The driver's way needs bytea as a Buffer parameter; COPY gets it as a hex literal.
  const hexOf = (bytes: Uint8Array) => `\\x${Buffer.from(bytes).toString("hex")}`;

  it("gives every column as the driver's own reading does", async () => {
    const row = fc.record({
      t: fc.option(fc.string({ unit: "grapheme", maxLength: 40 }).map((s) => s.replace(/\0/g, "")), { nil: null }),
      b: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }),
      i: fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { nil: null }),
      n: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null }),
      f: fc.option(fc.boolean(), { nil: null }),
      u: fc.option(fc.uuid(), { nil: null }),
      a: fc.option(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 5 }), { nil: null }),
      x: fc.option(fc.array(fc.double(), { maxLength: 30 }), { nil: null }),
      s: fc.option(fc.array(fc.string({ unit: "grapheme", maxLength: 10 }).map((s) => s.replace(/\0/g, "")), { maxLength: 5 }), { nil: null }),
      g: fc.option(fc.array(fc.boolean(), { maxLength: 5 }), { nil: null }),
    });
    const bits = (xs: unknown) => (xs === null ? null : Buffer.from(new Float64Array(xs as number[]).buffer).toString("hex"));
    await fc.assert(
      fc.asyncProperty(row, async (r) => {
        const x = r.x && float8Array(r.x);
        const values = [r.t, r.b && hexOf(r.b), r.i, r.n?.toString() ?? null, r.f, r.u, r.a, x, r.s, r.g];
        const [viaCopy] = await db.sql.copyRows<Record<string, unknown>>({ text: SELECT, values }, COLUMNS);
        const [viaDriver] = await db.sql.rows<Record<string, unknown>>(SELECT, [r.t, r.b && Buffer.from(r.b), r.i, r.n?.toString() ?? null, r.f, r.u, r.a, x, r.s, r.g]);
        expect(viaCopy).toEqual(viaDriver);
        expect(bits(viaCopy.x)).toBe(bits(r.x)); // every float64 to the bit, -0 and NaN included
      }),
      { numRuns: 60 },
    );
  });

  it("reads many rows and big values", async () => {
    const text = "SELECT g AS i, decode(repeat(lpad(to_hex(g % 256), 2, $3), $1), $4) AS b FROM generate_series(1, $2) g ORDER BY g";
    const rows = await db.sql.copyRows<{ i: number; b: Buffer }>({ text, values: [300_000, 12, "0", "hex"] }, [["i", "int4"], ["b", "bytea"]]);
    expect(rows.map((r) => r.i)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (const r of rows) {
      expect(r.b.length).toBe(300_000);
      expect(r.b.every((x) => x === r.i % 256)).toBe(true);
      expect(r.b.byteOffset % 8).toBe(0); // Float64Array views need it
    }
    expect(await db.sql.copyRows({ text: "SELECT 1 AS i WHERE false" }, [["i", "int4"]])).toEqual([]);
  });

  it("writes text parameters in as literals that cannot end the statement", async () => {
    for (const t of ["it's", "back\\slash\\", "'); DROP TABLE experiment; --", "\\'; SELECT 1; --", "E'\\x00'", "$2", "\u00e6\u00f8\u00e5 \u{1F600}"]) {
      const [row] = await db.sql.copyRows<{ t: string }>({ text: "SELECT $1::text AS t", values: [t] }, [["t", "text"]]);
      expect(row.t).toBe(t);
    }
    const [row] = await db.sql.copyRows<{ n: number }>({ text: "SELECT cardinality($1::text[]) AS n", values: [["a'", "b\\"]] }, [["n", "int4"]]);
    expect(row.n).toBe(2);
    const [empty] = await db.sql.copyRows<{ n: number }>({ text: "SELECT cardinality($1::text[]) AS n", values: [[]] }, [["n", "int4"]]);
    expect(empty.n).toBe(0);
  });

  it("refuses text with NUL as the database refuses it in a bound parameter (422), the connection kept", async () => {
    await expect(db.sql.copyRows({ text: "SELECT $1::text AS t", values: ["a\0b"] }, [["t", "text"]])).rejects.toMatchObject({ status: 422 });
    await expect(db.sql.rows("SELECT $1::text AS t", ["a\0b"])).rejects.toMatchObject({ status: 422 });
    expect(await db.sql.rows("SELECT 1 AS x")).toEqual([{ x: 1 }]);
  });

  it("fails a bad statement and leaves the connection usable", async () => {
    await expect(db.sql.copyRows({ text: "SELECT nonsense FROM experiment" }, [["nonsense", "text"]])).rejects.toThrow(/nonsense/);
    // a uuid parameter that is not one: the database's own error, translated as every statement's is
    await expect(db.sql.copyRows({ text: "SELECT $1::uuid AS u", values: ["not-a-uuid"] }, [["u", "uuid"]])).rejects.toMatchObject({ status: 422 });
    expect(await db.sql.rows("SELECT 1 AS x")).toEqual([{ x: 1 }]);
  });

  it("writes integers of any size with every digit: those the column holds read back exactly, larger ones are refused (422) as bound parameters are", async () => {
    const integral = fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(Number),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(Math.trunc),
    );
    await fc.assert(
      fc.asyncProperty(integral, async (x) => {
        const int8 = { text: "SELECT $1::int8 AS n", values: [x] };
        const exact = BigInt(x);
        if (exact >= -(2n ** 63n) && exact < 2n ** 63n) {
          const [row] = await db.sql.copyRows<{ n: string }>(int8, [["n", "int8"]]);
          expect(BigInt(row.n)).toBe(exact);
        } else {
          await expect(db.sql.copyRows(int8, [["n", "int8"]])).rejects.toMatchObject({ status: 422 });
          await expect(db.sql.rows(int8.text, int8.values)).rejects.toMatchObject({ status: 422 });
        }
      }),
      { numRuns: 200 },
    );
    for (const x of [2 ** 31, 2 ** 53 + 2, 1e20]) {
      await expect(db.sql.copyRows({ text: "SELECT $1::int4 AS i", values: [x] }, [["i", "int4"]])).rejects.toMatchObject({ status: 422 });
    }
    expect(await db.sql.rows("SELECT 1 AS x")).toEqual([{ x: 1 }]);
  });

  it("refuses an array of another element type than the column's", async () => {
    for (const [select, type] of [
      ["SELECT ARRAY[1.5]::numeric[] AS x", "float8[]"],
      ["SELECT ARRAY[1, 2]::int4[] AS x", "float8[]"],
      ["SELECT ARRAY[1.5]::float4[] AS x", "float8[]"],
      ["SELECT ARRAY[1]::int8[] AS x", "int4[]"],
      ["SELECT ARRAY[true] AS x", "text[]"],
      ["SELECT ARRAY[ARRAY[1.5]]::float8[] AS x", "float8[]"],
      ["SELECT ARRAY[1.5, NULL]::float8[] AS x", "float8[]"],
    ] as const) {
      await expect(db.sql.copyRows({ text: select }, [["x", type]])).rejects.toThrow(/Unexpected COPY data/);
    }
    expect(await db.sql.copyRows({ text: "SELECT ARRAY[]::float8[] AS x, ARRAY[1.5::float8, -(0::float8)] AS y" }, [["x", "float8[]"], ["y", "float8[]"]])).toEqual([{ x: [], y: [1.5, -0] }]);
  });

  it("refuses rows of another width than the columns named", async () => {
    await expect(db.sql.copyRows({ text: "SELECT 1 AS a, 2 AS b" }, [["a", "int4"]])).rejects.toThrow(/2 columns where 1 were expected/);
    expect(await db.sql.rows("SELECT 1 AS x")).toEqual([{ x: 1 }]);
  });
});

describe("copyStatement", () => {
  it("writes each parameter kind as a literal", () => {
    expect(copyStatement({ text: "SELECT $1, $2, $3, $4, $5, $10", values: [null, true, 7, "a'b", ["x"], 0, 0, 0, 0, -3] })).toBe(
      "COPY (SELECT NULL, TRUE, 7, 'a''b', ARRAY['x'], (-3)) TO STDOUT (FORMAT binary)",
    );
  });

  it("refuses what it cannot write exactly", () => {
    expect(() => copyStatement({ text: "SELECT $1", values: [0.1] })).toThrow(/Only integers/);
    expect(() => copyStatement({ text: "SELECT $1", values: [{}] })).toThrow(/object/);
    expect(() => copyStatement({ text: "SELECT $2", values: [1] })).toThrow(/no parameter \$2/);
    expect(() => copyStatement({ text: "SELECT $0", values: [1] })).toThrow(/no parameter \$0/);
  });

  it("refuses statements where a $n might not be a parameter", () => {
    for (const text of ["SELECT '$1'", "SELECT $$ $1 $$", "SELECT 1 -- $1", "SELECT /* $1 */ 1"]) {
      expect(() => copyStatement({ text, values: [1] })).toThrow(/quoted text or comments/);
    }
  });
});
