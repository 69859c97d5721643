-- JSON documents become TEXT written by the server, so every number in them
-- comes back bit for bit (jsonb drops -0.0 and refuses NaN). Existing values
-- keep their JSON text.
ALTER TABLE "experiment" ALTER COLUMN "userdata" DROP DEFAULT,
ALTER COLUMN "userdata" SET DATA TYPE TEXT USING "userdata"::text,
ALTER COLUMN "userdata" SET DEFAULT '{}';

ALTER TABLE "ensemble" ALTER COLUMN "userdata" DROP DEFAULT,
ALTER COLUMN "userdata" SET DATA TYPE TEXT USING "userdata"::text,
ALTER COLUMN "userdata" SET DEFAULT '{}';

ALTER TABLE "record" ALTER COLUMN "userdata" DROP DEFAULT,
ALTER COLUMN "userdata" SET DATA TYPE TEXT USING "userdata"::text,
ALTER COLUMN "userdata" SET DEFAULT '{}';

ALTER TABLE "observation" ALTER COLUMN "userdata" DROP DEFAULT,
ALTER COLUMN "userdata" SET DATA TYPE TEXT USING "userdata"::text,
ALTER COLUMN "userdata" SET DEFAULT '{}',
ALTER COLUMN "x_axis" SET DATA TYPE TEXT USING "x_axis"::text;

ALTER TABLE "prior" ALTER COLUMN "spec" SET DATA TYPE TEXT USING "spec"::text;

ALTER TABLE "matrix" ALTER COLUMN "column_labels" SET DATA TYPE TEXT USING "column_labels"::text,
ALTER COLUMN "row_labels" SET DATA TYPE TEXT USING "row_labels"::text;

-- A block upload is staging, then committing (block list frozen), then committed.
CREATE TYPE "file_state" AS ENUM ('staging', 'committing', 'committed');

ALTER TABLE "file" ADD COLUMN "state" "file_state" NOT NULL DEFAULT 'staging';
UPDATE "file" SET "state" = 'committed' WHERE "committed";
ALTER TABLE "file" DROP COLUMN "committed";

-- Blob content to remove once not_before has passed.
CREATE TABLE "blob_sweep" (
    "blob_key" TEXT NOT NULL,
    "not_before" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "blob_sweep_pkey" PRIMARY KEY ("blob_key")
);
