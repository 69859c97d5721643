// Userdata of experiments, ensembles, observations and records: one JSON object
// per row, stored as text so every number in it comes back bit for bit.
import { Errors } from "../../errors";
import type { Sql } from "./sql";
import { fromJsonText, toJsonText, uuid } from "./values";

export type Userdata = { [key: string]: unknown };
export type UserdataOwner = "experiment" | "ensemble" | "observation" | "record";

const TABLE: Record<UserdataOwner, string> = {
  experiment: "experiment",
  ensemble: "ensemble",
  observation: "observation",
  record: "record",
};

export class UserdataRepository {
  constructor(private readonly sql: Sql) {}

  /** The owner's userdata; undefined when there is no such row. */
  async get(owner: UserdataOwner, id: string): Promise<Userdata | undefined> {
    const row = await this.sql.one<{ userdata: string }>({
      name: `userdata.get.${owner}`,
      text: `SELECT userdata FROM "${TABLE[owner]}" WHERE id = $1`,
      values: [uuid(`${owner}_id`, id)],
    });
    return row ? fromJsonText<Userdata>(row.userdata) : undefined;
  }

  /** Replaces the userdata; false when there is no such row. */
  async replace(owner: UserdataOwner, id: string, userdata: Userdata): Promise<boolean> {
    const touched = await this.sql.run({
      name: `userdata.replace.${owner}`,
      text: `UPDATE "${TABLE[owner]}" SET userdata = $2, time_updated = now() WHERE id = $1`,
      values: [uuid(`${owner}_id`, id), toJsonText(userdata)],
    });
    return touched > 0;
  }

  /**
   * Merges top-level keys; false when there is no such row. Compare-and-set on the
   * stored text, so concurrent patches of other keys are never lost.
   */
  async merge(owner: UserdataOwner, id: string, patch: Userdata): Promise<boolean> {
    uuid(`${owner}_id`, id);
    for (let attempt = 0; attempt < 20; attempt++) {
      const row = await this.sql.one<{ userdata: string }>(`SELECT userdata FROM "${TABLE[owner]}" WHERE id = $1`, [id]);
      if (!row) return false;
      const merged = { ...fromJsonText<Userdata>(row.userdata), ...patch };
      const touched = await this.sql.run(
        `UPDATE "${TABLE[owner]}" SET userdata = $3, time_updated = now() WHERE id = $1 AND userdata = $2`,
        [id, row.userdata, toJsonText(merged)],
      );
      if (touched > 0) return true;
    }
    throw Errors.unavailable("The userdata kept changing under concurrent updates; try again");
  }
}
