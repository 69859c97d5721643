import type { Deps } from "./context";
import { ItemNotFound } from "./errors";
import { normalizePrior, type PriorSpec } from "./priors";
import { mergeUserdataInDb } from "../store/db/userdata";
import { asUserdata, type Userdata } from "./userdata";

export interface ExperimentOut {
  id: string;
  name: string;
  ensemble_ids: string[];
  priors: Record<string, PriorSpec>;
  userdata: Userdata;
}

const include = {
  ensembles: { select: { id: true }, orderBy: { timeCreated: "asc" as const } },
  priors: { orderBy: { timeCreated: "asc" as const } },
};

type Row = {
  id: string;
  name: string;
  userdata: unknown;
  ensembles: { id: string }[];
  priors: { name: string; spec: unknown }[];
};

function toOut(row: Row): ExperimentOut {
  return {
    id: row.id,
    name: row.name,
    ensemble_ids: row.ensembles.map((e) => e.id),
    priors: Object.fromEntries(row.priors.map((p) => [p.name, p.spec as PriorSpec])),
    userdata: row.userdata as Userdata,
  };
}

export class ExperimentService {
  constructor(private readonly deps: Deps) {}

  async create(name: string, priors: Record<string, unknown> = {}): Promise<ExperimentOut> {
    const checked = Object.entries(priors).map(([n, p]) => ({ name: n, spec: normalizePrior(n, p) }));
    const row = await this.deps.prisma.experiment.create({
      data: {
        name,
        priors: { create: checked.map((p) => ({ name: p.name, function: p.spec.function, spec: p.spec })) },
      },
      include,
    });
    return toOut(row);
  }

  async list(): Promise<ExperimentOut[]> {
    const rows = await this.deps.prisma.experiment.findMany({ include, orderBy: { timeCreated: "asc" } });
    return rows.map(toOut);
  }

  async get(id: string): Promise<ExperimentOut> {
    const row = await this.deps.prisma.experiment.findUnique({ where: { id }, include });
    if (!row) throw new ItemNotFound("experiment");
    return toOut(row);
  }

  /** Deletes the experiment with everything below it, file content included. */
  async delete(id: string): Promise<void> {
    const { prisma, blobs } = this.deps;
    await this.get(id);
    const files = await prisma.file.findMany({
      where: { record: { recordInfo: { ensemble: { experimentId: id } } } },
      select: { blobKey: true, blocks: { select: { blobKey: true } } },
    });
    await prisma.experiment.delete({ where: { id } });
    await blobs.delete(files.flatMap((f) => [f.blobKey, ...f.blocks.map((b) => b.blobKey)]));
  }

  async getUserdata(id: string): Promise<Userdata> {
    return (await this.get(id)).userdata;
  }

  async putUserdata(id: string, body: unknown): Promise<void> {
    await this.get(id);
    await this.deps.prisma.experiment.update({ where: { id }, data: { userdata: asUserdata(body) as object } });
  }

  async patchUserdata(id: string, body: unknown): Promise<void> {
    await this.get(id);
    await mergeUserdataInDb(this.deps.prisma, "experiment", id, asUserdata(body));
  }
}
