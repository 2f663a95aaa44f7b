-- Until when (epoch ms, service clock) a node holds the work of closing a conference; see
-- Store::claim_due_conferences. 0 = nobody.
ALTER TABLE conferences ADD COLUMN close_lease_until BIGINT NOT NULL DEFAULT 0;
