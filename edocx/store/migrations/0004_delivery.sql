-- Delivery: the directory's codes, parent, delivery mode and seal
-- certificates; the transport acknowledgement of each delivery (pull or
-- push); push endpoints with their shared secret; push messages with their
-- attempts; and the cursors of the pusher's scans.

-- A second code where one is given (the "QĐ 20" code beside the QCVN 102
-- code), the parent agency, and how the agency's system receives.
ALTER TABLE agencies ADD COLUMN second_code TEXT;
ALTER TABLE agencies ADD COLUMN parent_id INTEGER REFERENCES agencies (id);
ALTER TABLE agencies ADD COLUMN delivery_mode TEXT NOT NULL DEFAULT 'pull'
    CHECK (delivery_mode IN ('pull', 'push'));

-- The agency's seal certificates, as the directory shows them.
CREATE TABLE agency_certificates (
    id           INTEGER PRIMARY KEY,
    agency_id    INTEGER NOT NULL REFERENCES agencies (id),
    sha256       TEXT NOT NULL,           -- of the DER encoding
    der          BLOB NOT NULL,
    added_at     TEXT NOT NULL,
    UNIQUE (agency_id, sha256)
);

-- The transport layer of a delivery (never a business status): when the
-- recipient's system was last offered it by a pull, how often, and when it
-- acknowledged it (pull ack or a 2xx to a push).
CREATE TABLE delivery_transport (
    delivery_id   INTEGER PRIMARY KEY REFERENCES deliveries (id),
    offered_at    TEXT,
    offers        INTEGER NOT NULL DEFAULT 0,
    acked_at      TEXT,
    acked_by      TEXT CHECK (acked_by IN ('pull', 'push'))
);

-- One HTTPS endpoint per agency. The secret signs every message (HMAC); the
-- hub needs it in clear to sign, so it is kept as given.
CREATE TABLE push_endpoints (
    agency_id    INTEGER PRIMARY KEY REFERENCES agencies (id),
    url          TEXT NOT NULL,
    secret       TEXT NOT NULL,
    created_by   INTEGER NOT NULL REFERENCES users (id),
    created_at   TEXT NOT NULL
);

CREATE TABLE push_messages (
    id               INTEGER PRIMARY KEY,
    message_id       TEXT NOT NULL UNIQUE,   -- the same on every attempt
    agency_id        INTEGER NOT NULL REFERENCES agencies (id),
    kind             TEXT NOT NULL CHECK (kind IN ('document', 'status')),
    delivery_id      INTEGER NOT NULL REFERENCES deliveries (id),
    status_id        INTEGER REFERENCES delivery_statuses (id),
    state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    delivered_at     TEXT,
    CHECK (kind != 'status' OR status_id IS NOT NULL)
);
CREATE INDEX push_messages_due ON push_messages (state, next_attempt_at);
CREATE INDEX push_messages_by_agency ON push_messages (agency_id, state);

CREATE TABLE push_attempts (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES push_messages (id),
    at           TEXT NOT NULL,
    outcome      TEXT NOT NULL              -- "200", "503", "refused: ...", ...
);
CREATE INDEX push_attempts_by_message ON push_attempts (message_id);

-- How far the pusher has scanned deliveries and statuses.
CREATE TABLE push_cursors (
    name     TEXT PRIMARY KEY CHECK (name IN ('deliveries', 'statuses')),
    last_id  INTEGER NOT NULL
);

-- The scans start after what exists now: what the hub held before push
-- existed is there to be pulled.
INSERT INTO push_cursors (name, last_id)
    SELECT 'deliveries', COALESCE(MAX(id), 0) FROM deliveries;
INSERT INTO push_cursors (name, last_id)
    SELECT 'statuses', COALESCE(MAX(id), 0) FROM delivery_statuses;
