import type { Deps } from "./context";
import { EnsembleService } from "./ensembles";
import { ExperimentService } from "./experiments";
import { MisfitService } from "./misfits";
import { ObservationService } from "./observations";
import { RecordService } from "./records";
import { UpdateService } from "./updates";

export type Services = ReturnType<typeof createServices>;

export function createServices(deps: Deps) {
  const records = new RecordService(deps);
  return {
    deps,
    experiments: new ExperimentService(deps),
    ensembles: new EnsembleService(deps),
    records,
    observations: new ObservationService(deps, records),
    updates: new UpdateService(deps),
    misfits: new MisfitService(deps),
  };
}
