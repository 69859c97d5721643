// What every workload gets: the running server, its client and the sizes of this run.
import type { Client } from "./http";
import type { Options, Sizes } from "./options";
import type { Server } from "./server";

export interface Context {
  server: Server;
  client: Client;
  sizes: Sizes;
  options: Options;
  /** "postgres" or "embedded", for progress lines */
  label: string;
  /** a check that failed inside a workload that goes on (the bench exits non-zero) */
  fail(message: string): void;
  /** set when the server gave no answer in time: the bench restarts it after the workload */
  stuck: boolean;
}

export async function newEnsemble(
  ctx: Context,
  name: string,
  body: { size: number; parameter_names?: string[]; response_names?: string[] },
): Promise<{ experiment: string; ensemble: string }> {
  const exp = await ctx.client.json("POST", "/experiments", { name });
  const ens = await ctx.client.json("POST", `/experiments/${exp.id}/ensembles`, {
    parameter_names: [],
    response_names: [],
    ...body,
  });
  return { experiment: exp.id, ensemble: ens.id };
}

export async function deleteExperiment(ctx: Context, id: string): Promise<void> {
  await ctx.client.json("DELETE", `/experiments/${id}`);
}
