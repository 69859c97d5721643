// The Pothos builder: configuration only, no object types (they live in schema/<model>.ts).
import SchemaBuilder from "@pothos/core";
import PrismaPlugin from "@pothos/plugin-prisma";
import { GraphQLError } from "graphql";
import type { Services } from "../domain";
import { Errors } from "../errors";
import type { Prisma } from "../store/db/connect";
import { isUuid } from "../store/db/values";
import type PrismaTypes from "../generated/pothos-types";
import { getDatamodel } from "../generated/pothos-types";

export interface Context {
  /** reads the models; it never writes (its number path rounds) */
  prisma: Prisma;
  services: Services;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  Scalars: { Float64: { Input: number; Output: number } };
}>({
  plugins: [PrismaPlugin],
  defaultFieldNullability: false,
  prisma: { client: (ctx) => ctx.prisma, dmmf: getDatamodel(), filterConnectionTotalCount: true },
});

builder.queryType({});
builder.mutationType({});

/** GraphQL's Float cannot hold NaN or ±Infinity; stored observations can. */
builder.scalarType("Float64", {
  description: "A float64, exact to the bit; NaN, Infinity and -Infinity are bare JSON tokens, as in the REST API.",
  serialize: (value) => value as number,
  parseValue: (value) => {
    if (typeof value !== "number") throw new GraphQLError("Float64 must be a number");
    return value;
  },
});

/** An ID argument that must be a UUID: a clear error, not a driver's. */
export function uuidArg(field: string, value: string | number): string {
  const id = String(value);
  if (!isUuid(id)) throw Errors.unprocessable(`${field} '${id}' is not a valid UUID`);
  return id;
}
