// Writes schema.graphql (committed; CI fails when the build changes it). Run by `pnpm build`.
import fs from "node:fs";
import path from "node:path";
import { lexicographicSortSchema, printSchema } from "graphql";
import { schema } from "./index";

const target = path.resolve(__dirname, "..", "..", "..", "schema.graphql");
fs.writeFileSync(target, printSchema(lexicographicSortSchema(schema)) + "\n");
