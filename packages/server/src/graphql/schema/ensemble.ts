import { ENSEMBLE_WIDE } from "../../domain/records";
import { Errors } from "../../errors";
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
    parameter_names: present("parameterNames", args.parameterNames),
    active_realizations: present("activeRealizations", args.activeRealizations),
  });
  return ctx.prisma.ensemble.findUniqueOrThrow({ ...query, where: { id: created.id } });
}

/**
 * A list argument whose items the schema lets be null (as the original's): refused (422)
 * when one is, naming it. Dropping nulls made [null, "x"] the names ["x"], with no word.
 */
function present<T>(name: string, list: (T | null | undefined)[] | null | undefined): T[] {
  const at = (list ?? []).findIndex((item) => item === null || item === undefined);
  if (at >= 0) throw Errors.unprocessable(`${name}[${at}] is null: the list may hold no nulls`);
  return (list ?? []) as T[];
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
    // Relations load in the parent's query (one statement per level, whatever the
    // number of ensembles): t.relation, or select + nestedSelection; no per-row resolver.
    parameters: t.relation("recordInfos", { query: { where: { recordClass: "parameter" }, orderBy: { name: "asc" } } }),
    responses: t.field({
      type: [Response],
      args: { names: t.arg.stringList({ required: false }) },
      select: (args, _ctx, nested) => ({
        recordInfos: {
          where: { recordClass: "response", ...(args.names ? { name: { in: args.names } } : {}) },
          orderBy: { name: "asc" },
          select: { records: nested({ orderBy: { realization: "asc" } }) },
        },
      }),
      resolve: (e) => e.recordInfos.flatMap((info) => info.records),
    }),
    uniqueResponses: t.field({
      type: [UniqueResponse],
      select: { recordInfos: { where: { recordClass: "response" }, select: { name: true }, orderBy: { name: "asc" } } },
      resolve: (e) => e.recordInfos,
    }),
  }),
});

/** The ensembles before and after this one, through the updates between them. */
builder.prismaObjectFields(Ensemble, (t) => ({
    parentEnsemble: t.field({
      type: Ensemble,
      nullable: true,
      select: (_args, _ctx, nested) => ({ parentUpdate: { select: { ensembleReference: nested(true) } } }),
      resolve: (e) => e.parentUpdate?.ensembleReference ?? null,
    }),
    childEnsembles: t.field({
      type: [Ensemble],
      select: (_args, _ctx, nested) => ({
        childUpdates: {
          where: { ensembleResultId: { not: null } },
          orderBy: [{ timeCreated: "asc" }, { id: "asc" }],
          select: { ensembleResult: nested(true) },
        },
      }),
      resolve: (e) => e.childUpdates.flatMap((u) => (u.ensembleResult ? [u.ensembleResult] : [])),
    }),
}));

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
