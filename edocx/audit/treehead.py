"""Signed tree heads of the audit log: what is signed, and how it is read.

A tree head states the log's size and root hash (RFC 9162) at a moment. The
hub signs the canonical JSON (RFC 8785) of those facts and the log's name
(:func:`signed_bytes`) with its audit key, and a timestamp authority signs
an RFC 3161 token over the same bytes: the token dates the head with a time
the hub cannot choose. Binary values are base64 (standard alphabet, with
padding); times are UTC ISO 8601.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

import rfc8785
from pydantic import BaseModel, ConfigDict, Field

from edocx.vntime import vietnam_time

# Names the log in what is signed, so that no other signature of the same
# key can pass for a tree head.
LOG_NAME = "edocx audit log v1"


class SignedTreeHead(BaseModel):
    """A tree head, its signature by the hub and its timestamp token."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    log: str = Field(default=LOG_NAME, description="the log these heads belong to")
    tree_size: int = Field(ge=0, description="number of entries in the tree")
    root_hash: str = Field(description="Merkle tree hash (RFC 9162), base64")
    made_at: str = Field(description="when the hub made the head, UTC ISO 8601")
    signature: str = Field(description="the hub's audit key over signed_bytes, base64")
    key_id: str = Field(description="SHA-256 of the key's SubjectPublicKeyInfo, hex")
    certificates: list[str] = Field(
        description="DER certificates, base64: the audit key's first, then its CAs"
    )
    timestamp_token: str = Field(
        description="RFC 3161 token over SHA-256(signed_bytes), DER, base64"
    )

    @property
    def made_at_vietnam(self) -> str:
        """The moment in Vietnam time, as legal dates are shown.

        Fractions of a second are kept when the head has them: two heads
        made within one second must not read as made at the same moment.
        """
        return vietnam_time(datetime.fromisoformat(self.made_at)).isoformat()


def signed_bytes(log: str, tree_size: int, root_hash: str, made_at: str) -> bytes:
    """Return the bytes the audit key signs and the TSA timestamps."""
    return rfc8785.dumps(
        {"log": log, "tree_size": tree_size, "root_hash": root_hash, "made_at": made_at}
    )


def head_bytes(sth: SignedTreeHead) -> bytes:
    """Return the signed bytes of ``sth``."""
    return signed_bytes(sth.log, sth.tree_size, sth.root_hash, sth.made_at)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    """Decode strict base64; raise ValueError otherwise."""
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as e:
        raise ValueError("not base64") from e
