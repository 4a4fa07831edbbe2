-- rebuilds tables
-- Documents that an agency's own system numbered and signed and sends
-- through the hub as an edXML packet ("relayed"), beside those the hub
-- issues itself. A relayed document keeps the packet's CodeNumber as
-- written (the official samples hold one that is not a number), its
-- promulgation date and business type (0 new, 1 revoke, 2 update,
-- 3 replace), the digest of the packet as received and the warnings the
-- reader found. A DocumentId is unique among new documents only: update,
-- replacement and revocation packets repeat the DocumentId they refer to.

CREATE TABLE documents_rebuilt (
    id                  INTEGER PRIMARY KEY,
    uuid                TEXT NOT NULL UNIQUE,
    agency_id           INTEGER NOT NULL REFERENCES agencies (id),
    state               TEXT NOT NULL CHECK (state IN
                        ('draft', 'signed', 'issued', 'relayed')),
    type_name           TEXT NOT NULL,
    type_abbreviation   TEXT,
    drafting_unit       TEXT,
    subject             TEXT NOT NULL,
    signer_name         TEXT NOT NULL,
    signer_position     TEXT NOT NULL,
    signer_competence   TEXT,
    priority            INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 4),
    current_blob        TEXT NOT NULL,
    number              INTEGER,
    code_notation       TEXT,
    notation            TEXT,
    year                INTEGER,
    issued_at           TEXT,
    edxml_document_id   TEXT,
    created_by          INTEGER NOT NULL REFERENCES users (id),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    code_number         TEXT,                   -- relayed: CodeNumber as written
    promulgation_date   TEXT,                   -- relayed: yyyy-mm-dd
    business_type       INTEGER NOT NULL DEFAULT 0 CHECK (business_type BETWEEN 0 AND 3),
    packet_blob         TEXT,                   -- relayed: the packet as received
    warnings_json       TEXT,                   -- relayed: the reader's warnings
    CHECK (state != 'issued' OR number IS NOT NULL),
    CHECK (state != 'relayed' OR (packet_blob IS NOT NULL AND edxml_document_id IS NOT NULL))
);

INSERT INTO documents_rebuilt (
    id, uuid, agency_id, state, type_name, type_abbreviation, drafting_unit,
    subject, signer_name, signer_position, signer_competence, priority,
    current_blob, number, code_notation, notation, year, issued_at,
    edxml_document_id, created_by, created_at, updated_at
)
SELECT
    id, uuid, agency_id, state, type_name, type_abbreviation, drafting_unit,
    subject, signer_name, signer_position, signer_competence, priority,
    current_blob, number, code_notation, notation, year, issued_at,
    edxml_document_id, created_by, created_at, updated_at
FROM documents;

DROP TABLE documents;

ALTER TABLE documents_rebuilt RENAME TO documents;

-- The hub's own numbers stay unique per agency and year (the register
-- guards them too); a relayed number belongs to the sender's own books.
CREATE UNIQUE INDEX documents_issued_number
    ON documents (agency_id, year, number) WHERE state = 'issued';

CREATE UNIQUE INDEX documents_new_document_id
    ON documents (edxml_document_id) WHERE business_type = 0;

CREATE INDEX documents_by_document_id ON documents (edxml_document_id);

CREATE INDEX documents_by_agency ON documents (agency_id, state);
