-- Certified e-copies of paper originals (Decree 23/2015, Decree 45/2020;
-- domain §6): the electronic certification books and every intake.
--
-- One book per certifying body and year. An intake is certified with the
-- next number of its book, or refused with a reason of Decree 23/2015
-- Art. 22 and no number at all. A number is taken under the write lock in
-- state 'certifying', then settles as 'certified', or as 'failed' with the
-- reason when signing failed after it was taken: a number is never handed
-- out twice nor left out. A certified copy may later be revoked.

CREATE TABLE copy_books (
    id           INTEGER PRIMARY KEY,
    agency_id    INTEGER NOT NULL REFERENCES agencies (id),
    year         INTEGER NOT NULL,
    name         TEXT NOT NULL,              -- Quyển số 01/2026-SCT/BS
    created_at   TEXT NOT NULL,
    UNIQUE (agency_id, year)
);

CREATE TABLE copy_intakes (
    id                 INTEGER PRIMARY KEY,
    code               TEXT NOT NULL UNIQUE,  -- public: in the QR's address
    agency_id          INTEGER NOT NULL REFERENCES agencies (id),
    certifier_id       INTEGER NOT NULL REFERENCES users (id),
    state              TEXT NOT NULL CHECK (state IN
                       ('certifying', 'certified', 'failed', 'refused', 'revoked')),
    requester          TEXT NOT NULL,
    document_name      TEXT NOT NULL,
    page_count         INTEGER NOT NULL CHECK (page_count >= 1),
    copies             INTEGER NOT NULL DEFAULT 1 CHECK (copies >= 1),
    fee                INTEGER NOT NULL DEFAULT 0 CHECK (fee >= 0),
    fee_currency       TEXT NOT NULL,
    scan_sha256        TEXT,                  -- the scan as certified (revision 1)
    book_id            INTEGER REFERENCES copy_books (id),
    number             INTEGER CHECK (number >= 1),
    number_text        TEXT,                  -- as printed: 12/ĐT
    check_url          TEXT,                  -- the QR's address
    certified_blob     TEXT,
    certified_at       TEXT,
    refusal_reason     TEXT,
    refusal_note       TEXT,
    failure_reason     TEXT,
    revoked_at         TEXT,
    revoked_by         INTEGER REFERENCES users (id),
    revocation_reason  TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (book_id, number),
    CHECK ((state = 'refused') = (number IS NULL)),
    CHECK (state != 'refused' OR refusal_reason IS NOT NULL),
    CHECK (state NOT IN ('certified', 'revoked') OR certified_blob IS NOT NULL),
    CHECK (state != 'revoked' OR revocation_reason IS NOT NULL)
);
CREATE INDEX copy_intakes_by_agency ON copy_intakes (agency_id, created_at);

-- A number, once taken, stays taken: its row is never deleted and never
-- gets another number.
CREATE TRIGGER copy_intakes_keep_rows BEFORE DELETE ON copy_intakes
BEGIN
    SELECT RAISE(ABORT, 'copy intakes are never deleted');
END;

CREATE TRIGGER copy_intakes_keep_numbers BEFORE UPDATE OF book_id, number, code
ON copy_intakes
WHEN OLD.book_id IS NOT NEW.book_id OR OLD.number IS NOT NEW.number
     OR OLD.code IS NOT NEW.code
BEGIN
    SELECT RAISE(ABORT, 'a certification number never changes');
END;
