// SQL on the pg pool: the one place where queries run and driver errors are
// translated. Repositories use Sql; nothing above store/ sees pg.
import type { Pool, PoolClient } from "pg";
import { AppError, Errors } from "../../errors";
import { copyEach, copyRows, type Columns } from "./copyOut";

/** A statement and its parameters; a name makes pg prepare it once per connection. */
export interface Statement {
  text: string;
  values?: unknown[];
  name?: string;
}

export class Sql {
  /**
   * prepared: named statements are prepared once per connection. Off for the embedded
   * database: its one session outlives the driver's connection (and its statement cache).
   */
  constructor(
    private readonly runner: Pool | PoolClient,
    private readonly prepared = true,
  ) {}

  private query(statement: Statement | string, values?: unknown[]) {
    if (typeof statement === "string") return { text: statement, values };
    return this.prepared ? statement : { text: statement.text, values: statement.values };
  }

  async rows<T>(statement: Statement | string, values?: unknown[]): Promise<T[]> {
    return (await this.execute(statement, values)).rows as T[];
  }

  async one<T>(statement: Statement | string, values?: unknown[]): Promise<T | undefined> {
    return (await this.rows<T>(statement, values))[0];
  }

  /** Runs a statement, resolving to the number of rows it touched. */
  async run(statement: Statement | string, values?: unknown[]): Promise<number> {
    return (await this.execute(statement, values)).rowCount ?? 0;
  }

  /** One statement on a connection of its own (or the transaction's). */
  private async execute(statement: Statement | string, values?: unknown[]) {
    const query = this.query(statement, values);
    return this.onConnection((client) => client.query(query));
  }

  /**
   * The statement's rows read through COPY (FORMAT binary): bytea values as their bytes
   * instead of hex text, several times faster for big values (see copyOut.ts). columns
   * names and types the SELECT list, in its order.
   */
  async copyRows<T>(statement: Statement, columns: Columns): Promise<T[]> {
    return this.onConnection((client) => copyRows<T>(client, statement, columns));
  }

  /** copyRows' rows one at a time, bytea values as views valid during onRow only (see copyEach). */
  async copyEach<T>(statement: Statement, columns: Columns, onRow: (row: T) => void): Promise<void> {
    return this.onConnection((client) => copyEach<T>(client, statement, columns, onRow));
  }

  /**
   * work on a connection of its own (or the transaction's). Not pool.query: it destroys
   * the connection after any failed statement, so every 409 would cost a reconnect, and
   * on the embedded database (one session behind one socket) the requests queued behind
   * it would fail.
   */
  private async onConnection<R>(work: (client: PoolClient) => Promise<R>): Promise<R> {
    if (!isPool(this.runner)) {
      try {
        return await work(this.runner);
      } catch (error) {
        throw translateDbError(error);
      }
    }
    let client: PoolClient;
    try {
      client = await this.runner.connect();
    } catch (error) {
      throw translateDbError(error);
    }
    let broken = false;
    // As in transaction(): the database may end the connection in the same packet as the
    // statement's answer (a restart), an 'error' event with the query already done.
    const lost = () => {
      broken = true;
    };
    client.on("error", lost);
    try {
      return await work(client);
    } catch (error) {
      const e = error as { code?: string; message?: string };
      broken = isConnectionError(typeof e?.code === "string" ? e.code : "", e?.message);
      throw translateDbError(error);
    } finally {
      client.removeListener("error", lost);
      client.release(broken);
    }
  }

  /**
   * Runs fn's statements on one connection, each committing on its own (no transaction:
   * VACUUM cannot run in one), with no other statement of the pool's between them.
   */
  async session<T>(fn: (session: Sql) => Promise<T>): Promise<T> {
    return this.onConnection((client) => fn(new Sql(client, this.prepared)));
  }

  /**
   * Runs fn in one transaction on one connection (READ COMMITTED); rolls back on any
   * error. Inside fn use only tx: on the embedded database the pool has one connection.
   */
  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    if (!isPool(this.runner)) return fn(this); // already in one
    let client: PoolClient;
    try {
      client = await this.runner.connect();
    } catch (error) {
      throw translateDbError(error);
    }
    const tx = new Sql(client, this.prepared);
    let broken = false;
    // A checked-out client has no 'error' listener of the pool's: a connection cut between
    // two statements (a database restart) would be an unhandled 'error' event, which ends
    // the process. Note it instead; the next statement fails and the client is dropped.
    const lost = () => {
      broken = true;
    };
    client.on("error", lost);
    try {
      await tx.run("BEGIN");
      const result = await fn(tx);
      await tx.run("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch {
        broken = true; // the connection is gone: do not give it back to the pool
      }
      throw error;
    } finally {
      client.removeListener("error", lost);
      client.release(broken);
    }
  }
}

function isPool(runner: Pool | PoolClient): runner is Pool {
  return "totalCount" in runner;
}

/** Unique and foreign-key violations the repositories do not handle themselves, in words. */
const CONSTRAINTS: Record<string, string> = {
  observation_experiment_id_name_key: "An observation of this name already exists in the experiment",
  update_ensemble_result_id_key: "The result ensemble already has a parent update",
  observation_transformation_update_id_observation_id_key: "An observation is transformed twice in one update",
};

/**
 * Driver errors in the contract's terms. No pg text reaches a client: the messages
 * are ours, named after the constraint or the kind of value that was refused.
 */
export function translateDbError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const prisma = fromPrisma(error);
  if (prisma !== undefined) return prisma;
  const e = error as { code?: string; constraint?: string; errno?: number; message?: string };
  const code = typeof e?.code === "string" ? e.code : "";
  if (code === "23505") {
    return Errors.conflict(CONSTRAINTS[e.constraint ?? ""] ?? `${describeConstraint(e.constraint)} already exists`);
  }
  if (code === "23503") {
    return Errors.notFound(CONSTRAINTS[e.constraint ?? ""] ?? `${describeReference(e.constraint)} not found`);
  }
  if (code === "22P02") return Errors.unprocessable("A value does not have the expected type (an id that is not a UUID?)");
  if (code === "22003") return Errors.unprocessable("A number is out of the range the database can store");
  if (code === "22021" || code === "22P05") return Errors.unprocessable("Text may not contain NUL (\\u0000) characters");
  if (code === "54000" || code === "22001") return Errors.unprocessable("A value is too large to store");
  if (code === "40P01" || code === "40001" || code === "55P03") {
    return Errors.unavailable("The database gave up on a concurrent update; try again");
  }
  if (isConnectionError(code, e?.message)) return Errors.unavailable("The database cannot be reached; try again shortly");
  return error;
}

/** Driver adapter error kinds that mean the database is away, not that the query was wrong. */
const UNREACHABLE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections", "TlsConnectionError"]);

/**
 * Prisma (the GraphQL reads) wraps what the driver said: a DriverAdapterError whose
 * cause is the pg error or a kind, or a Prisma error with a P-code (P1001 "can't reach
 * database server") carrying the adapter's error in meta. undefined when it is neither.
 */
function fromPrisma(error: unknown): unknown {
  const e = error as {
    name?: string;
    code?: unknown;
    cause?: { kind?: string; originalCode?: string; originalMessage?: string };
    meta?: { driverAdapterError?: unknown };
  } | null;
  if (typeof e !== "object" || e === null) return undefined;
  if (e.name === "DriverAdapterError" && e.cause) {
    const { kind, originalCode, originalMessage } = e.cause;
    if (kind && UNREACHABLE_KINDS.has(kind)) return Errors.unavailable("The database cannot be reached; try again shortly");
    if (originalCode) {
      const translated = translateDbError({ code: originalCode, message: originalMessage });
      return translated instanceof AppError ? translated : error;
    }
    return undefined;
  }
  if (typeof e.code === "string" && /^P\d{4}$/.test(e.code)) {
    if (e.meta?.driverAdapterError) {
      const inner = fromPrisma(e.meta.driverAdapterError);
      if (inner instanceof AppError) return inner;
    }
    // P1001 unreachable, P1002 timed out, P1008 operation timed out, P1017 connection closed, P2024 pool timeout
    if (["P1001", "P1002", "P1008", "P1017", "P2024"].includes(e.code)) {
      return Errors.unavailable("The database cannot be reached; try again shortly");
    }
  }
  return undefined;
}

function isConnectionError(code: string, message: string | undefined): boolean {
  if (code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || code === "53300") return true;
  if (["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN"].includes(code)) return true;
  // pg-pool's "timeout exceeded when trying to connect": every connection busy for the whole wait
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message ?? "");
}

const TABLES = [
  "observation_transformation", "observation_record", "record_info", "file_block", "blob_chunk", "blob_sweep",
  "experiment", "observation", "ensemble", "update", "record", "matrix", "prior", "file",
];

/** Column names of a constraint named as Prisma names them: {table}_{columns}_{fkey|key}. */
function constraintColumns(constraint: string | undefined, suffix: string): string | null {
  if (!constraint?.endsWith(suffix)) return null;
  const table = TABLES.find((t) => constraint.startsWith(`${t}_`));
  return table ? constraint.slice(table.length + 1, -suffix.length) : null;
}

/** "record_info_ensemble_id_fkey" -> "Referenced ensemble" */
function describeReference(constraint: string | undefined): string {
  const column = constraintColumns(constraint, "_fkey");
  return column ? `Referenced ${column.replace(/_id$/, "").replace(/_/g, " ")}` : "A referenced item";
}

/** "observation_experiment_id_name_key" -> "An entry with the same experiment id name" */
function describeConstraint(constraint: string | undefined): string {
  const columns = constraintColumns(constraint, "_key");
  return columns ? `An entry with the same ${columns.replace(/_/g, " ")}` : "An entry with the same values";
}
