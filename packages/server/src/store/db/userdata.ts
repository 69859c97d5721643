import type { Prisma } from "./connect";

const TABLES = { experiment: "experiment", ensemble: "ensemble", observation: "observation", record: "record" };

/** Merges top-level keys in one statement, so concurrent patches do not lose each other. */
export async function mergeUserdataInDb(
  prisma: Prisma,
  table: keyof typeof TABLES,
  id: string,
  patch: Record<string, unknown>,
): Promise<void> {
  await prisma.$executeRawUnsafe(
    `UPDATE "${TABLES[table]}" SET userdata = userdata || $1::jsonb, time_updated = now() WHERE id = $2::uuid`,
    JSON.stringify(patch),
    id,
  );
}
