-- What ingest derives from a stats body is stored packed (zstd, callstats_store::codec::pack_text)
-- rather than as JSON text; rows written before keep their JSON as bytes, which the reader
-- tells apart by the zstd frame's magic number.
ALTER TABLE submissions ALTER COLUMN derived TYPE BYTEA USING convert_to(derived, 'UTF8');
