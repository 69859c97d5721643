-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "record_class" AS ENUM ('parameter', 'response', 'other');

-- CreateEnum
CREATE TYPE "record_type" AS ENUM ('matrix', 'file');

-- CreateTable
CREATE TABLE "experiment" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "userdata" JSONB NOT NULL DEFAULT '{}',
    "time_created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "time_updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "experiment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "prior" (
    "id" UUID NOT NULL,
    "experiment_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "function" TEXT NOT NULL,
    "spec" JSON NOT NULL,
    "time_created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "prior_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ensemble" (
    "id" UUID NOT NULL,
    "experiment_id" UUID NOT NULL,
    "size" INTEGER NOT NULL,
    "active_realizations" INTEGER[],
    "parameter_names" TEXT[],
    "response_names" TEXT[],
    "userdata" JSONB NOT NULL DEFAULT '{}',
    "time_created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "time_updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ensemble_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "record_info" (
    "id" UUID NOT NULL,
    "ensemble_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "record_class" "record_class" NOT NULL,
    "record_type" "record_type" NOT NULL,
    "prior_id" UUID,

    CONSTRAINT "record_info_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "record" (
    "id" UUID NOT NULL,
    "record_info_id" UUID NOT NULL,
    "realization" INTEGER NOT NULL,
    "userdata" JSONB NOT NULL DEFAULT '{}',
    "time_created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "time_updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "record_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "matrix" (
    "id" UUID NOT NULL,
    "record_id" UUID NOT NULL,
    "shape" INTEGER[],
    "data" BYTEA NOT NULL,
    "column_labels" JSONB,
    "row_labels" JSONB,

    CONSTRAINT "matrix_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "file" (
    "id" UUID NOT NULL,
    "record_id" UUID NOT NULL,
    "filename" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "blob_key" TEXT NOT NULL,
    "size" BIGINT,
    "committed" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "file_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "file_block" (
    "id" UUID NOT NULL,
    "file_id" UUID NOT NULL,
    "block_index" INTEGER NOT NULL,
    "blob_key" TEXT NOT NULL,
    "size" BIGINT NOT NULL,

    CONSTRAINT "file_block_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "blob_chunk" (
    "blob_key" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "blob_chunk_pkey" PRIMARY KEY ("blob_key","seq")
);

-- CreateTable
CREATE TABLE "observation" (
    "id" UUID NOT NULL,
    "experiment_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "x_axis" JSONB NOT NULL,
    "values" DOUBLE PRECISION[],
    "errors" DOUBLE PRECISION[],
    "userdata" JSONB NOT NULL DEFAULT '{}',
    "time_created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "time_updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "observation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "observation_record" (
    "observation_id" UUID NOT NULL,
    "record_id" UUID NOT NULL,

    CONSTRAINT "observation_record_pkey" PRIMARY KEY ("observation_id","record_id")
);

-- CreateTable
CREATE TABLE "update" (
    "id" UUID NOT NULL,
    "algorithm" TEXT NOT NULL,
    "ensemble_reference_id" UUID NOT NULL,
    "ensemble_result_id" UUID,
    "time_created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "update_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "observation_transformation" (
    "id" UUID NOT NULL,
    "update_id" UUID NOT NULL,
    "observation_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "active" BOOLEAN[],
    "scale" DOUBLE PRECISION[],

    CONSTRAINT "observation_transformation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "prior_experiment_id_name_key" ON "prior"("experiment_id", "name");

-- CreateIndex
CREATE INDEX "ensemble_experiment_id_idx" ON "ensemble"("experiment_id");

-- CreateIndex
CREATE UNIQUE INDEX "record_info_ensemble_id_name_key" ON "record_info"("ensemble_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "record_record_info_id_realization_key" ON "record"("record_info_id", "realization");

-- CreateIndex
CREATE UNIQUE INDEX "matrix_record_id_key" ON "matrix"("record_id");

-- CreateIndex
CREATE UNIQUE INDEX "file_record_id_key" ON "file"("record_id");

-- CreateIndex
CREATE UNIQUE INDEX "file_blob_key_key" ON "file"("blob_key");

-- CreateIndex
CREATE UNIQUE INDEX "file_block_blob_key_key" ON "file_block"("blob_key");

-- CreateIndex
CREATE UNIQUE INDEX "file_block_file_id_block_index_key" ON "file_block"("file_id", "block_index");

-- CreateIndex
CREATE UNIQUE INDEX "observation_experiment_id_name_key" ON "observation"("experiment_id", "name");

-- CreateIndex
CREATE INDEX "observation_record_record_id_idx" ON "observation_record"("record_id");

-- CreateIndex
CREATE UNIQUE INDEX "update_ensemble_result_id_key" ON "update"("ensemble_result_id");

-- CreateIndex
CREATE INDEX "update_ensemble_reference_id_idx" ON "update"("ensemble_reference_id");

-- CreateIndex
CREATE UNIQUE INDEX "observation_transformation_update_id_observation_id_key" ON "observation_transformation"("update_id", "observation_id");

-- AddForeignKey
ALTER TABLE "prior" ADD CONSTRAINT "prior_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ensemble" ADD CONSTRAINT "ensemble_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "record_info" ADD CONSTRAINT "record_info_ensemble_id_fkey" FOREIGN KEY ("ensemble_id") REFERENCES "ensemble"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "record_info" ADD CONSTRAINT "record_info_prior_id_fkey" FOREIGN KEY ("prior_id") REFERENCES "prior"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "record" ADD CONSTRAINT "record_record_info_id_fkey" FOREIGN KEY ("record_info_id") REFERENCES "record_info"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "matrix" ADD CONSTRAINT "matrix_record_id_fkey" FOREIGN KEY ("record_id") REFERENCES "record"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "file" ADD CONSTRAINT "file_record_id_fkey" FOREIGN KEY ("record_id") REFERENCES "record"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "file_block" ADD CONSTRAINT "file_block_file_id_fkey" FOREIGN KEY ("file_id") REFERENCES "file"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "observation" ADD CONSTRAINT "observation_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "observation_record" ADD CONSTRAINT "observation_record_observation_id_fkey" FOREIGN KEY ("observation_id") REFERENCES "observation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "observation_record" ADD CONSTRAINT "observation_record_record_id_fkey" FOREIGN KEY ("record_id") REFERENCES "record"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "update" ADD CONSTRAINT "update_ensemble_reference_id_fkey" FOREIGN KEY ("ensemble_reference_id") REFERENCES "ensemble"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "update" ADD CONSTRAINT "update_ensemble_result_id_fkey" FOREIGN KEY ("ensemble_result_id") REFERENCES "ensemble"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "observation_transformation" ADD CONSTRAINT "observation_transformation_update_id_fkey" FOREIGN KEY ("update_id") REFERENCES "update"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "observation_transformation" ADD CONSTRAINT "observation_transformation_observation_id_fkey" FOREIGN KEY ("observation_id") REFERENCES "observation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

