// The Pothos builder: configuration only, no types (they live in schema/<model>.ts).
import SchemaBuilder from "@pothos/core";
import PrismaPlugin from "@pothos/plugin-prisma";
import type { Services } from "../domain";
import type { Prisma } from "../store/db/connect";
import type PrismaTypes from "../generated/pothos-types";
import { getDatamodel } from "../generated/pothos-types";

export interface Context {
  prisma: Prisma;
  services: Services;
}

export const builder = new SchemaBuilder<{ Context: Context; PrismaTypes: PrismaTypes; DefaultFieldNullability: false }>({
  plugins: [PrismaPlugin],
  defaultFieldNullability: false,
  prisma: { client: (ctx) => ctx.prisma, dmmf: getDatamodel(), filterConnectionTotalCount: true },
});

builder.queryType({});
builder.mutationType({});

/** userdata and priors go out as JSON strings: clients json.loads them. */
export const jsonString = (value: unknown): string => JSON.stringify(value ?? {});
