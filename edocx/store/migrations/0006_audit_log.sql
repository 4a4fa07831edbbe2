-- The audit log as a Merkle tree (RFC 9162): one leaf per audit event, in
-- the order the events were appended, and the hash of every complete
-- subtree as soon as it is complete, so that a root or a proof needs
-- O(log n) lookups and never the whole tree. Signed tree heads
-- (checkpoints) are kept beside them. All three tables are append-only.

CREATE TABLE audit_leaves (
    idx   INTEGER PRIMARY KEY,          -- 0-based leaf index
    seq   INTEGER NOT NULL UNIQUE,      -- the audit_events row it hashes
    hash  BLOB NOT NULL                 -- SHA-256(0x00 || canonical JSON)
);

-- A complete subtree of 2^level leaves (level >= 1) starting at leaf
-- idx * 2^level; its hash is SHA-256(0x01 || left || right).
CREATE TABLE audit_nodes (
    level  INTEGER NOT NULL,
    idx    INTEGER NOT NULL,
    hash   BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

CREATE TABLE audit_checkpoints (
    id         INTEGER PRIMARY KEY,
    tree_size  INTEGER NOT NULL,
    made_at    TEXT NOT NULL,               -- UTC, ISO 8601
    head_json  TEXT NOT NULL                -- the signed tree head as JSON
);

CREATE INDEX audit_checkpoints_size ON audit_checkpoints (tree_size);

-- Leaves are appended in order: a writer whose idea of the tree's size is
-- stale (a rolled-back transaction, another connection) is stopped here
-- instead of leaving a gap.
CREATE TRIGGER audit_leaves_in_order BEFORE INSERT ON audit_leaves
WHEN NEW.idx IS NOT (SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_leaves)
BEGIN
    SELECT RAISE(ABORT, 'audit leaves are appended in order');
END;

CREATE TRIGGER audit_leaves_no_update BEFORE UPDATE ON audit_leaves
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;

CREATE TRIGGER audit_leaves_no_delete BEFORE DELETE ON audit_leaves
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;

CREATE TRIGGER audit_nodes_no_update BEFORE UPDATE ON audit_nodes
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;

CREATE TRIGGER audit_nodes_no_delete BEFORE DELETE ON audit_nodes
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit checkpoints are append-only');
END;

CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit checkpoints are append-only');
END;
