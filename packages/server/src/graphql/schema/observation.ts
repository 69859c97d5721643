import { builder } from "../builder";

export const Observation = builder.prismaObject("Observation", {
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    values: t.field({ type: ["Float64"], resolve: (o) => o.values }),
    errors: t.field({ type: ["Float64"], resolve: (o) => o.errors }),
    /** the x axis as a JSON string (its values may be numbers or strings) */
    xAxis: t.exposeString("xAxis"),
    timeCreated: t.string({ resolve: (o) => o.timeCreated.toISOString() }),
    userdata: t.exposeString("userdata"),
  }),
});
