-- Periodic jobs that one node at a time runs (retention, day rollups): who may run `name` is
-- whoever moved `lease_until` (epoch ms) past now; see Store::claim_job.
CREATE TABLE job_leases (
    name        TEXT   PRIMARY KEY,
    lease_until BIGINT NOT NULL
);
