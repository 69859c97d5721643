-- The records of a name mostly share their column labels: ERT's responses carry the
-- same 20000 dates in each of 200 realizations, 88 MB of text for one frame. A digest
-- of the text, kept by PostgreSQL, lets a read send a run of equal labels once: rows
-- compare digests (32 characters, stored inline) instead of the labels, which would be
-- fetched from TOAST and decompressed to be compared.
ALTER TABLE "matrix" ADD COLUMN "column_labels_md5" TEXT GENERATED ALWAYS AS (md5("column_labels")) STORED;
