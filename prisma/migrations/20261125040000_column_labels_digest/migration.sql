-- The records of a name mostly share their column labels: ERT's responses carry the
-- same 20000 dates in each of 200 realizations, 88 MB of text for one frame. A digest
-- of the text, kept by PostgreSQL, lets a read send a run of equal labels once: rows
-- compare digests (32 bytes, stored inline) instead of the labels, which would be
-- fetched from TOAST and decompressed to be compared.
--
-- SHA-256 of the UTF-8 bytes. convert_to is STABLE (it depends on the database's
-- encoding, fixed for a database), so a generated column needs this IMMUTABLE wrapper.
-- (text::bytea would read backslashes in the JSON as bytea escapes.)
CREATE FUNCTION ert_text_sha256(t text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT sha256(convert_to(t, 'UTF8')) $$;

-- Adding it rewrites the matrix table (under an exclusive lock): the digests of the
-- rows already stored are computed once, here.
ALTER TABLE "matrix" ADD COLUMN "column_labels_sha256" BYTEA GENERATED ALWAYS AS (ert_text_sha256("column_labels")) STORED;
