import { builder, jsonString } from "../builder";

export const Observation = builder.prismaObject("Observation", {
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    values: t.exposeFloatList("values"),
    errors: t.exposeFloatList("errors"),
    /** the x axis as a JSON string (its values may be numbers or strings) */
    xAxis: t.string({ resolve: (o) => JSON.stringify(o.xAxis) }),
    timeCreated: t.string({ resolve: (o) => o.timeCreated.toISOString() }),
    userdata: t.string({ resolve: (o) => jsonString(o.userdata) }),
  }),
});
