// Every repository, over one database. Domain services get these and nothing else of the store.
import type { Database } from "./connect";
import { BlobSweepRepository } from "./blobSweep";
import { EnsembleRepository } from "./ensembles";
import { ExperimentRepository } from "./experiments";
import { Faults } from "./faults";
import { FileRepository } from "./files";
import { ObservationRepository } from "./observations";
import { RecordRepository } from "./records";
import { UpdateRepository } from "./updates";
import { Upkeep } from "./upkeep";
import { UserdataRepository } from "./userdata";

export type Repositories = ReturnType<typeof createRepositories>;

export function createRepositories(db: Database, faults = new Faults()) {
  const { sql } = db;
  return {
    experiments: new ExperimentRepository(sql),
    ensembles: new EnsembleRepository(sql),
    records: new RecordRepository(sql, faults),
    files: new FileRepository(sql, faults),
    observations: new ObservationRepository(sql),
    updates: new UpdateRepository(sql),
    userdata: new UserdataRepository(sql),
    sweep: new BlobSweepRepository(sql),
    upkeep: new Upkeep(sql, db.embedded),
    faults,
  };
}
