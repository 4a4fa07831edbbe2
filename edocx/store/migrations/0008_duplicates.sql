-- E-duplicates from master registers (Decree 23/2015 Art. 2; Decree 45/2020
-- Art. 10(2)): the issuing body's duplicate book, one number per duplicate,
-- per body and year (Vietnam time), from 1 up, never reused.
--
-- A number is reserved before the duplicate is laid out and sealed (the
-- number is printed on it), then marked issued with the sealed file, or
-- voided with the reason when sealing failed: every number stays accounted
-- for. The code is the duplicate's address on the checking page (/c/{code}).

CREATE TABLE duplicates (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    agency_id     INTEGER NOT NULL REFERENCES agencies (id),
    year          INTEGER NOT NULL,
    number        INTEGER NOT NULL CHECK (number >= 1),
    book          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    document_name TEXT NOT NULL,
    record        TEXT NOT NULL,          -- canonical JSON of the record
    record_sha256 TEXT NOT NULL,
    requester     TEXT NOT NULL,
    actor_id      INTEGER NOT NULL REFERENCES users (id),
    state         TEXT NOT NULL DEFAULT 'reserved'
                  CHECK (state IN ('reserved', 'issued', 'voided')),
    reason        TEXT,                   -- why a number was voided
    reserved_at   TEXT NOT NULL,
    issued_at     TEXT,
    blob          TEXT,                   -- SHA-256 of the sealed PDF
    level         TEXT,                   -- the PAdES level made
    UNIQUE (agency_id, year, number)
);

CREATE TRIGGER duplicates_no_delete BEFORE DELETE ON duplicates
BEGIN
    SELECT RAISE(ABORT, 'the duplicate book keeps every number');
END;

-- A revoked duplicate stays in the book; its revocation is a row of its own.
CREATE TABLE duplicate_revocations (
    duplicate_id INTEGER PRIMARY KEY REFERENCES duplicates (id),
    revoked_at   TEXT NOT NULL,
    actor_id     INTEGER NOT NULL REFERENCES users (id),
    reason       TEXT NOT NULL
);

CREATE TRIGGER duplicate_revocations_no_update
BEFORE UPDATE ON duplicate_revocations
BEGIN
    SELECT RAISE(ABORT, 'a revocation is final');
END;

CREATE TRIGGER duplicate_revocations_no_delete
BEFORE DELETE ON duplicate_revocations
BEGIN
    SELECT RAISE(ABORT, 'a revocation is final');
END;
