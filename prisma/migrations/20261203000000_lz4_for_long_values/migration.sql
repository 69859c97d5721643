-- The Parquet bodies kept as posted (a 1 x 2000 frame as pandas writes it is ~0.5 MB, mostly
-- its metadata) and long label texts compress well; PostgreSQL's default, pglz, took ~2 ms
-- of the database's time per such record, LZ4 a third of that. LZ4 needs PostgreSQL 14 or
-- newer built with it; where it is not there (the embedded database, older servers) the
-- columns keep pglz. Values already stored keep the compression they were written with.
DO $$
BEGIN
  ALTER TABLE "matrix" ALTER COLUMN "parquet" SET COMPRESSION lz4;
  ALTER TABLE "matrix" ALTER COLUMN "column_labels" SET COMPRESSION lz4;
  ALTER TABLE "matrix" ALTER COLUMN "row_labels" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
  NULL;
END
$$;
