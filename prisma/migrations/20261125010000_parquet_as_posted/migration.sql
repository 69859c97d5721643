-- A parquet body as posted, answered byte for byte when the whole matrix is read as parquet.
ALTER TABLE "matrix" ADD COLUMN "parquet" BYTEA;
