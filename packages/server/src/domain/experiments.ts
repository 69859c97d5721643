// Experiments and their priors.
import { Errors } from "../errors";
import type { ExperimentRow } from "../store/db/experiments";
import type { Deps } from "./context";
import { normalizePrior, type PriorSpec } from "./priors";
import type { BlobSweeper } from "./sweeper";
import type { Userdata } from "./userdata";

export interface ExperimentOut {
  id: string;
  name: string;
  ensemble_ids: string[];
  priors: Record<string, PriorSpec>;
  userdata: Userdata;
}

function toOut(row: ExperimentRow): ExperimentOut {
  return {
    id: row.id,
    name: row.name,
    ensemble_ids: row.ensembleIds,
    priors: Object.fromEntries(row.priors.map((p) => [p.name, p.spec as PriorSpec])),
    userdata: row.userdata,
  };
}

export class ExperimentService {
  constructor(
    private readonly deps: Deps,
    private readonly sweeper: BlobSweeper,
  ) {}

  async create(name: string, priors: Record<string, unknown> = {}): Promise<ExperimentOut> {
    const checked = Object.entries(priors).map(([n, p]) => ({ name: n, spec: normalizePrior(n, p) }));
    return toOut(await this.deps.repos.experiments.create(name, checked));
  }

  async list(): Promise<ExperimentOut[]> {
    return (await this.deps.repos.experiments.list()).map(toOut);
  }

  async get(id: string): Promise<ExperimentOut> {
    const row = await this.deps.repos.experiments.get(id);
    if (!row) throw Errors.itemNotFound();
    return toOut(row);
  }

  /**
   * Deletes the experiment with everything below it; its file content is swept right
   * after, and the embedded database gives back the space (see store/db/upkeep.ts).
   */
  async delete(id: string): Promise<void> {
    if (!(await this.deps.repos.experiments.delete(id))) throw Errors.itemNotFound();
    await this.sweeper.sweep();
    await this.deps.repos.upkeep.reclaim();
  }
}
