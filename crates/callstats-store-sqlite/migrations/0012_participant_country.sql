-- The participant's country (ISO 3166-1 alpha-2) when `serve --country-header` names a header
-- that a trusted proxy sets; NULL when unknown.
ALTER TABLE participants ADD COLUMN country TEXT;
