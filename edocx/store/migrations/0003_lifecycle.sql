-- rebuilds tables
-- The life-cycle of a delivery (QCVN 102:2016 statuses, Decree 30/2020
-- Art. 18 and 21):
--
-- * every status received is kept, including those that changed nothing:
--   a repeat of the current status, or a late one (behind the current
--   state, or older than it by its own timestamp). Statuses the hub records
--   itself (01 on a fetch or a push acknowledgement) have no acting user;
-- * a request to change (13) says what it asks for: revoke or update;
-- * an accepted recall cancels the recipient's copy (kept, never deleted),
--   an accepted update is recorded as applied, a replacement links the old
--   delivery to the document that replaces it;
-- * the incoming book numbers, per recipient agency and year (Vietnam time),
--   each document its recipient accepts (03), from 1 up, never reused.

CREATE TABLE delivery_statuses_rebuilt (
    id           INTEGER PRIMARY KEY,
    delivery_id  INTEGER NOT NULL REFERENCES deliveries (id),
    code         TEXT NOT NULL CHECK (code IN
                 ('01', '02', '03', '04', '05', '06', '13', '15', '16')),
    at           TEXT NOT NULL,
    actor_id     INTEGER REFERENCES users (id),   -- NULL: recorded by the hub
    agency_id    INTEGER NOT NULL REFERENCES agencies (id),
    description  TEXT,
    outcome      TEXT NOT NULL DEFAULT 'applied'
                 CHECK (outcome IN ('applied', 'repeat', 'late')),
    reported_at  TEXT,                            -- the packet's own time
    change_kind  TEXT CHECK (change_kind IN ('revoke', 'update')),
    CHECK (code = '13' OR change_kind IS NULL)
);

INSERT INTO delivery_statuses_rebuilt (
    id, delivery_id, code, at, actor_id, agency_id, description, reported_at
)
SELECT id, delivery_id, code, at, actor_id, agency_id, description, at
FROM delivery_statuses;

DROP TABLE delivery_statuses;

ALTER TABLE delivery_statuses_rebuilt RENAME TO delivery_statuses;

CREATE INDEX delivery_statuses_by_delivery ON delivery_statuses (delivery_id);

CREATE TRIGGER delivery_statuses_no_update BEFORE UPDATE ON delivery_statuses
BEGIN
    SELECT RAISE(ABORT, 'status history is append-only');
END;

CREATE TRIGGER delivery_statuses_no_delete BEFORE DELETE ON delivery_statuses
BEGIN
    SELECT RAISE(ABORT, 'status history is append-only');
END;

-- The time of the status that set the delivery's progress (01-06), as its
-- sender reported it: an older progress status is late.
ALTER TABLE deliveries ADD COLUMN state_reported_at TEXT;

ALTER TABLE deliveries ADD COLUMN change_kind TEXT
    CHECK (change_kind IN ('revoke', 'update'));

ALTER TABLE deliveries ADD COLUMN cancelled_at TEXT;

ALTER TABLE deliveries ADD COLUMN update_applied_at TEXT;

ALTER TABLE deliveries ADD COLUMN replaced_by_document_id INTEGER
    REFERENCES documents (id);

ALTER TABLE deliveries ADD COLUMN replaced_at TEXT;

UPDATE deliveries SET state_reported_at = last_status_at;

-- Replacements a draft asks for, applied when it is issued.
CREATE TABLE planned_replacements (
    document_id           INTEGER NOT NULL REFERENCES documents (id),
    replaced_document_id  INTEGER NOT NULL REFERENCES documents (id),
    agency_id             INTEGER NOT NULL REFERENCES agencies (id),
    PRIMARY KEY (document_id, replaced_document_id, agency_id)
);

-- The incoming book ("sổ văn bản đến"): one number per accepted delivery.
-- Numbers are given in the transaction that records the 03, so none is
-- ever left reserved; the triggers keep every number.
CREATE TABLE incoming_register (
    agency_id      INTEGER NOT NULL REFERENCES agencies (id),
    year           INTEGER NOT NULL,
    number         INTEGER NOT NULL CHECK (number >= 1),
    delivery_id    INTEGER NOT NULL UNIQUE REFERENCES deliveries (id),
    registered_at  TEXT NOT NULL,
    PRIMARY KEY (agency_id, year, number)
);

CREATE TRIGGER incoming_register_no_delete BEFORE DELETE ON incoming_register
BEGIN
    SELECT RAISE(ABORT, 'the incoming book keeps every number');
END;

CREATE TRIGGER incoming_register_no_update BEFORE UPDATE ON incoming_register
BEGIN
    SELECT RAISE(ABORT, 'an incoming number cannot change');
END;
