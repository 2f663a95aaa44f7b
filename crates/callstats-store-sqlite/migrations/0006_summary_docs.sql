-- Aggregates read tens of thousands of summary rows, and the full summary document (kilobytes
-- of JSON) made each of those rows span overflow pages. It moves to a table of its own.
CREATE TABLE conference_summary_docs (
    conference INTEGER PRIMARY KEY REFERENCES conferences(id),
    summary    TEXT    NOT NULL
);
INSERT INTO conference_summary_docs (conference, summary) SELECT conference, summary FROM conference_summaries;
ALTER TABLE conference_summaries DROP COLUMN summary;
