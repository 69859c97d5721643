import { builder, uuidArg } from "../builder";
import { createEnsemble, Ensemble } from "./ensemble";

export const Experiment = builder.prismaObject("Experiment", {
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    timeCreated: t.string({ resolve: (e) => e.timeCreated.toISOString() }),
    timeUpdated: t.string({ resolve: (e) => e.timeUpdated.toISOString() }),
    /** JSON text: clients json.loads it */
    userdata: t.exposeString("userdata"),
    /** JSON text {name: prior}, each prior exactly as posted */
    priors: t.string({
      select: { priors: { select: { name: true, spec: true }, orderBy: [{ timeCreated: "asc" }, { name: "asc" }] } },
      resolve: (e) => `{${e.priors.map((p) => `${JSON.stringify(p.name)}: ${p.spec}`).join(", ")}}`,
    }),
    ensembles: t.relation("ensembles", { query: { orderBy: { timeCreated: "asc" } } }),
    observations: t.relation("observations", { query: { orderBy: { timeCreated: "asc" } } }),
  }),
});

/** The result of createExperiment: the experiment, and a way to create its first ensembles in the same request. */
const CreatedExperiment = builder.prismaObject("Experiment", {
  variant: "CreateExperiment",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    timeCreated: t.string({ resolve: (e) => e.timeCreated.toISOString() }),
    userdata: t.exposeString("userdata"),
    createEnsemble: t.prismaField({
      type: Ensemble,
      args: {
        size: t.arg.int({ required: true }),
        parameterNames: t.arg.stringList({ required: false }),
        activeRealizations: t.arg.intList({ required: false }),
      },
      resolve: (query, experiment, args, ctx) => createEnsemble(ctx, query, experiment.id, args),
    }),
  }),
});

builder.queryFields((t) => ({
  experiments: t.prismaField({
    type: [Experiment],
    resolve: (query, _root, _args, ctx) => ctx.prisma.experiment.findMany({ ...query, orderBy: { timeCreated: "asc" } }),
  }),
  experiment: t.prismaField({
    type: Experiment,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => ctx.prisma.experiment.findUnique({ ...query, where: { id: uuidArg("id", args.id) } }),
  }),
}));

builder.mutationFields((t) => ({
  createExperiment: t.prismaField({
    type: CreatedExperiment,
    args: { name: t.arg.string({ required: false }) },
    resolve: async (query, _root, args, ctx) => {
      const created = await ctx.services.experiments.create(args.name ?? "default");
      return ctx.prisma.experiment.findUniqueOrThrow({ ...query, where: { id: created.id } });
    },
  }),
}));
