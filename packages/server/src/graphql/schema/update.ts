import { builder } from "../builder";

export const Update = builder.prismaObject("Update", {
  fields: (t) => ({
    id: t.exposeID("id"),
    algorithm: t.exposeString("algorithm"),
    ensembleReference: t.relation("ensembleReference"),
    ensembleResult: t.relation("ensembleResult", { nullable: true }),
  }),
});
