-- edXML packets an agency's system sent through the hub, and the
-- attachments of the documents relayed from them.
--
-- A relayed document's attachments are kept one blob each, in the order of
-- the packet's manifest, with the names and media types the packet gave.
-- Every packet the hub accepted is kept as received, with the reader's
-- warnings; a refused packet leaves no row and no blob.

CREATE TABLE document_attachments (
    id            INTEGER PRIMARY KEY,
    document_id   INTEGER NOT NULL REFERENCES documents (id),
    position      INTEGER NOT NULL,
    content_id    TEXT NOT NULL,            -- cid:... as in the manifest
    name          TEXT,
    content_type  TEXT,
    description   TEXT,
    blob_sha256   TEXT NOT NULL,
    size          INTEGER NOT NULL,
    UNIQUE (document_id, position)
);

CREATE TABLE edxml_packets (
    id               INTEGER PRIMARY KEY,
    sender_agency_id INTEGER NOT NULL REFERENCES agencies (id),
    actor_id         INTEGER NOT NULL REFERENCES users (id),
    kind             TEXT NOT NULL CHECK (kind IN ('document', 'status')),
    business_type    INTEGER CHECK (business_type BETWEEN 0 AND 3),
    status_code      TEXT,
    edxml_document_id TEXT NOT NULL,        -- the DocumentId named
    document_id      INTEGER REFERENCES documents (id),
    packet_blob      TEXT NOT NULL,
    warnings_json    TEXT NOT NULL,
    received_at      TEXT NOT NULL
);

CREATE INDEX edxml_packets_by_document ON edxml_packets (document_id);
