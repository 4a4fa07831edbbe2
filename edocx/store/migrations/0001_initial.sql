-- The hub's first schema: agencies and their users, documents with their
-- revisions, the number register, deliveries with their status history,
-- validation reports, the audit log and idempotency keys.
-- Times are ISO 8601 in UTC. Digests are lowercase hex SHA-256.

CREATE TABLE agencies (
    id               INTEGER PRIMARY KEY,
    organ_id         TEXT NOT NULL UNIQUE,      -- e.g. 000.00.00.H41
    name             TEXT NOT NULL,
    abbreviation     TEXT NOT NULL,             -- e.g. UBND
    place            TEXT NOT NULL,
    seal_credential  TEXT,                      -- label of the seal PKCS#12
    created_at       TEXT NOT NULL
);

CREATE TABLE users (
    id                INTEGER PRIMARY KEY,
    agency_id         INTEGER REFERENCES agencies (id),
    display_name      TEXT NOT NULL,
    role              TEXT NOT NULL CHECK (role IN
                      ('signer', 'clerk', 'certifier', 'system', 'auditor', 'admin')),
    position          TEXT,
    token_sha256      TEXT NOT NULL UNIQUE,
    credential_label  TEXT,
    created_at        TEXT NOT NULL,
    -- Only the hub's own auditors and administrators belong to no agency.
    CHECK (agency_id IS NOT NULL OR role IN ('auditor', 'admin'))
);

CREATE TABLE documents (
    id                  INTEGER PRIMARY KEY,
    uuid                TEXT NOT NULL UNIQUE,
    agency_id           INTEGER NOT NULL REFERENCES agencies (id),
    state               TEXT NOT NULL CHECK (state IN ('draft', 'signed', 'issued')),
    type_name           TEXT NOT NULL,
    type_abbreviation   TEXT,                   -- NULL for a Công văn
    drafting_unit       TEXT,                   -- Công văn notation suffix
    subject             TEXT NOT NULL,
    signer_name         TEXT NOT NULL,
    signer_position     TEXT NOT NULL,
    signer_competence   TEXT,
    priority            INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 4),
    current_blob        TEXT NOT NULL,
    number              INTEGER,
    code_notation       TEXT,                   -- after the slash: QĐ-UBND
    notation            TEXT,                   -- 12/QĐ-UBND
    year                INTEGER,
    issued_at           TEXT,
    edxml_document_id   TEXT UNIQUE,
    created_by          INTEGER NOT NULL REFERENCES users (id),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (agency_id, year, number),
    CHECK (state != 'issued' OR number IS NOT NULL)
);

CREATE TABLE document_recipients (
    document_id  INTEGER NOT NULL REFERENCES documents (id),
    agency_id    INTEGER NOT NULL REFERENCES agencies (id),
    position     INTEGER NOT NULL,
    PRIMARY KEY (document_id, agency_id)
);

CREATE TABLE document_revisions (
    id            INTEGER PRIMARY KEY,
    document_id   INTEGER NOT NULL REFERENCES documents (id),
    kind          TEXT NOT NULL CHECK (kind IN ('upload', 'draft', 'signed', 'issued')),
    blob_sha256   TEXT NOT NULL,
    size          INTEGER NOT NULL,
    actor_id      INTEGER NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL
);
CREATE INDEX document_revisions_by_document ON document_revisions (document_id);

-- Every number handed out, from 1 up per agency and year: reserved while the
-- issue runs, then issued, or voided with the reason.
CREATE TABLE number_register (
    agency_id    INTEGER NOT NULL REFERENCES agencies (id),
    year         INTEGER NOT NULL,
    number       INTEGER NOT NULL CHECK (number >= 1),
    document_id  INTEGER NOT NULL REFERENCES documents (id),
    state        TEXT NOT NULL CHECK (state IN ('reserved', 'issued', 'voided')),
    reason       TEXT,
    reserved_at  TEXT NOT NULL,
    settled_at   TEXT,
    PRIMARY KEY (agency_id, year, number),
    CHECK (state != 'voided' OR reason IS NOT NULL)
);
CREATE INDEX number_register_by_document ON number_register (document_id);

CREATE TABLE deliveries (
    id                   INTEGER PRIMARY KEY,
    document_id          INTEGER NOT NULL REFERENCES documents (id),
    recipient_agency_id  INTEGER NOT NULL REFERENCES agencies (id),
    progress_status      TEXT,   -- last of 01..06 (02 ends the delivery)
    change_status        TEXT,   -- last of 13, 15, 16
    last_status          TEXT,
    last_status_at       TEXT,
    created_at           TEXT NOT NULL,
    UNIQUE (document_id, recipient_agency_id)
);
CREATE INDEX deliveries_by_recipient ON deliveries (recipient_agency_id);

CREATE TABLE delivery_statuses (
    id           INTEGER PRIMARY KEY,
    delivery_id  INTEGER NOT NULL REFERENCES deliveries (id),
    code         TEXT NOT NULL CHECK (code IN
                 ('01', '02', '03', '04', '05', '06', '13', '15', '16')),
    at           TEXT NOT NULL,
    actor_id     INTEGER NOT NULL REFERENCES users (id),
    agency_id    INTEGER NOT NULL REFERENCES agencies (id),
    description  TEXT
);
CREATE INDEX delivery_statuses_by_delivery ON delivery_statuses (delivery_id);

CREATE TABLE validation_reports (
    id            INTEGER PRIMARY KEY,
    document_id   INTEGER NOT NULL REFERENCES documents (id),
    blob_sha256   TEXT NOT NULL,
    context       TEXT NOT NULL,   -- draft, issue
    verdict       TEXT NOT NULL,
    report_json   TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX validation_reports_by_document ON validation_reports (document_id);

CREATE TABLE audit_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    at              TEXT NOT NULL,
    actor_id        INTEGER REFERENCES users (id),
    agency_id       INTEGER REFERENCES agencies (id),
    action          TEXT NOT NULL,
    object_type     TEXT NOT NULL,
    object_id       TEXT NOT NULL,
    content_sha256  TEXT,
    details_json    TEXT
);

CREATE TABLE idempotency_keys (
    user_id       INTEGER NOT NULL REFERENCES users (id),
    key           TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    status        INTEGER,
    content_type  TEXT,
    body          BLOB,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- The audit log and the status histories are append-only.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TRIGGER delivery_statuses_no_update BEFORE UPDATE ON delivery_statuses
BEGIN
    SELECT RAISE(ABORT, 'status history is append-only');
END;

CREATE TRIGGER delivery_statuses_no_delete BEFORE DELETE ON delivery_statuses
BEGIN
    SELECT RAISE(ABORT, 'status history is append-only');
END;

-- A number, once in the register, is never removed or handed back.
CREATE TRIGGER number_register_no_delete BEFORE DELETE ON number_register
BEGIN
    SELECT RAISE(ABORT, 'the number register keeps every number');
END;

CREATE TRIGGER number_register_settled BEFORE UPDATE ON number_register
WHEN OLD.state != 'reserved'
BEGIN
    SELECT RAISE(ABORT, 'a settled number cannot change');
END;
