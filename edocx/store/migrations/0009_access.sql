-- Access: bearer tokens that expire and can be revoked, and the TLS client
-- certificates by which an agency's system may log in instead of a token.
-- Times are ISO 8601 in UTC.

-- NULL: the token does not expire / is in force. A new token replaces the
-- digest in users.token_sha256 and clears the revocation.
ALTER TABLE users ADD COLUMN token_expires_at TEXT;
ALTER TABLE users ADD COLUMN token_revoked_at TEXT;

-- A certificate is known by the SHA-256 of its DER encoding and stands for
-- one user (an agency's system). The TLS handshake has already checked its
-- chain and the CA's revocation list; revoked_at withdraws it here as well.
CREATE TABLE client_certificates (
    sha256         TEXT PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    subject        TEXT NOT NULL,
    not_after      TEXT NOT NULL,
    registered_at  TEXT NOT NULL,
    revoked_at     TEXT
);
CREATE INDEX client_certificates_by_user ON client_certificates (user_id);
