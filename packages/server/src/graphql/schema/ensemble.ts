import { ENSEMBLE_WIDE } from "../../domain/records";
import { builder, uuidArg, type Context } from "../builder";

interface EnsembleArgs {
  size: number;
  parameterNames?: (string | null | undefined)[] | null;
  activeRealizations?: (number | null | undefined)[] | null;
}

/** Both createEnsemble mutations: through the service's rules, then loaded as the query asks. */
export async function createEnsemble(ctx: Context, query: object, experimentId: string, args: EnsembleArgs) {
  const created = await ctx.services.ensembles.create(experimentId, {
    size: args.size,
    parameter_names: present(args.parameterNames),
    active_realizations: present(args.activeRealizations),
  });
  return ctx.prisma.ensemble.findUniqueOrThrow({ ...query, where: { id: created.id } });
}

/** A list argument whose items may be null, without the nulls. */
function present<T>(list: (T | null | undefined)[] | null | undefined): T[] {
  return (list ?? []).filter((item): item is T => item !== null && item !== undefined);
}

export const Ensemble = builder.prismaObject("Ensemble", {
  fields: (t) => ({
    id: t.exposeID("id"),
    size: t.exposeInt("size"),
    activeRealizations: t.exposeIntList("activeRealizations"),
    parameterNames: t.exposeStringList("parameterNames"),
    responseNames: t.exposeStringList("responseNames"),
    timeCreated: t.string({ resolve: (e) => e.timeCreated.toISOString() }),
    timeUpdated: t.string({ resolve: (e) => e.timeUpdated.toISOString() }),
    /** JSON text: clients json.loads it */
    userdata: t.exposeString("userdata"),
    experiment: t.relation("experiment"),
    /** the update that produced this ensemble */
    parent: t.relation("parentUpdate", { nullable: true }),
    /** updates that start from this ensemble */
    children: t.relation("childUpdates", { query: { orderBy: { timeCreated: "asc" } } }),
    parentEnsemble: t.prismaField({
      type: "Ensemble",
      nullable: true,
      select: { parentUpdate: { select: { ensembleReferenceId: true } } },
      resolve: (query, e, _args, ctx) =>
        e.parentUpdate ? ctx.prisma.ensemble.findUnique({ ...query, where: { id: e.parentUpdate.ensembleReferenceId } }) : null,
    }),
    childEnsembles: t.prismaField({
      type: ["Ensemble"],
      resolve: (query, e, _args, ctx) =>
        ctx.prisma.ensemble.findMany({ ...query, where: { parentUpdate: { ensembleReferenceId: e.id } }, orderBy: { timeCreated: "asc" } }),
    }),
    parameters: t.prismaField({
      type: ["RecordInfo"],
      resolve: (query, e, _args, ctx) =>
        ctx.prisma.recordInfo.findMany({ ...query, where: { ensembleId: e.id, recordClass: "parameter" }, orderBy: { name: "asc" } }),
    }),
    responses: t.prismaField({
      type: ["Record"],
      args: { names: t.arg.stringList({ required: false }) },
      resolve: (query, e, args, ctx) =>
        ctx.prisma.record.findMany({
          ...query,
          where: { recordInfo: { ensembleId: e.id, recordClass: "response", ...(args.names ? { name: { in: args.names } } : {}) } },
          orderBy: [{ recordInfo: { name: "asc" } }, { realization: "asc" }],
        }),
    }),
    uniqueResponses: t.field({
      type: [UniqueResponse],
      resolve: async (e, _args, ctx) =>
        ctx.prisma.recordInfo.findMany({ where: { ensembleId: e.id, recordClass: "response" }, select: { name: true }, orderBy: { name: "asc" } }),
    }),
  }),
});

const UniqueResponse = builder.objectRef<{ name: string }>("UniqueResponse").implement({
  fields: (t) => ({ name: t.exposeString("name") }),
});

export const Parameter = builder.prismaObject("RecordInfo", {
  name: "Parameter",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    /** the prior as a JSON string, null when the parameter has none */
    prior: t.string({
      nullable: true,
      select: { prior: { select: { spec: true } } },
      resolve: (info) => info.prior?.spec ?? null,
    }),
  }),
});

export const Response = builder.prismaObject("Record", {
  name: "Response",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.string({ select: { recordInfo: { select: { name: true } } }, resolve: (r) => r.recordInfo.name }),
    realizationIndex: t.int({ nullable: true, resolve: (r) => (r.realization === ENSEMBLE_WIDE ? null : r.realization) }),
    timeCreated: t.string({ resolve: (r) => r.timeCreated.toISOString() }),
    timeUpdated: t.string({ resolve: (r) => r.timeUpdated.toISOString() }),
    userdata: t.exposeString("userdata"),
  }),
});

builder.queryFields((t) => ({
  ensemble: t.prismaField({
    type: Ensemble,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => ctx.prisma.ensemble.findUnique({ ...query, where: { id: uuidArg("id", args.id) } }),
  }),
}));

builder.mutationFields((t) => ({
  createEnsemble: t.prismaField({
    type: Ensemble,
    args: {
      experimentId: t.arg.id({ required: true }),
      size: t.arg.int({ required: true }),
      parameterNames: t.arg.stringList({ required: { list: false, items: false } }),
      activeRealizations: t.arg.intList({ required: { list: false, items: false } }),
    },
    resolve: (query, _root, args, ctx) => createEnsemble(ctx, query, uuidArg("experimentId", args.experimentId), args),
  }),
}));
