-- rebuilds tables
-- Idempotency keys get two states besides 'pending' and 'done':
--   running  claimed by a request whose answer is kept in the transaction
--            that completes its change; one left at a start was cut before
--            that transaction, its change undone by the recovery, and is
--            dropped so that a retry runs again;
--   lost     a 'pending' key left by a stop: its change is stored, its
--            answer was never kept; a retry is told so.
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt.
CREATE TABLE idempotency_keys_new (
    user_id       INTEGER NOT NULL REFERENCES users (id),
    key           TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    state         TEXT NOT NULL
                  CHECK (state IN ('pending', 'running', 'lost', 'done')),
    status        INTEGER,
    content_type  TEXT,
    body          BLOB,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);
INSERT INTO idempotency_keys_new SELECT * FROM idempotency_keys;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_new RENAME TO idempotency_keys;
