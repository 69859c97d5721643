// The GraphQL schema: importing each model file registers its types.
import { builder } from "./builder";
import "./schema/experiment";
import "./schema/ensemble";
import "./schema/update";
import "./schema/observation";

export const schema = builder.toSchema();
export type { Context } from "./builder";
