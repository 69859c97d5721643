import { BlockUploadService } from "./blockUploads";
import type { Deps } from "./context";
import { EnsembleService } from "./ensembles";
import { ExperimentService } from "./experiments";
import { MisfitService } from "./misfits";
import { ObservationService } from "./observations";
import { RecordDataService } from "./recordData";
import { RecordService } from "./records";
import { BlobSweeper } from "./sweeper";
import { UpdateService } from "./updates";
import { UserdataService } from "./userdata";
import { MatrixValues } from "./matrixValues";

export type Services = ReturnType<typeof createServices>;

export function createServices(deps: Deps) {
  const userdata = new UserdataService(deps.repos.userdata);
  const matrices = new MatrixValues(deps);
  const records = new RecordService(deps, userdata, matrices);
  const sweeper = new BlobSweeper(deps.repos.sweep, deps.blobs);
  return {
    deps,
    sweeper,
    userdata,
    experiments: new ExperimentService(deps, sweeper),
    ensembles: new EnsembleService(deps),
    records,
    recordData: new RecordDataService(deps, matrices),
    blocks: new BlockUploadService(deps, records),
    observations: new ObservationService(deps, records),
    updates: new UpdateService(deps),
    misfits: new MisfitService(deps, matrices),
  };
}
