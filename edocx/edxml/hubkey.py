"""The hub's key for the packets it emits.

Looked up by :mod:`edocx.pki.hubkeys` as the agencies' seal keys are: the
PKCS#12 file ``p12/edxml-hub.p12`` when an installation put one there
(opened with the key passphrase); otherwise the development PKI's
``edxml-hub`` certificate (``certs/edocx-dev-pki.yml``) with its key.
A PKI made before that certificate was in the template has neither: the
hub then refuses to emit packets, saying how to get the key.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from edocx.edxml.errors import PacketKeyUnavailableError
from edocx.edxml.xmldsig import SigningKey
from edocx.pki.devpki import PKILayout
from edocx.pki.hubkeys import KeyWanted, load_hub_key

logger = logging.getLogger(__name__)

LABEL = "edxml-hub"


@dataclass(frozen=True)
class PacketKey:
    key: SigningKey
    certificate: x509.Certificate


_WANTED = KeyWanted(LABEL, "edXML packets", PacketKeyUnavailableError)

_cache: dict[Path, PacketKey] = {}
_lock = threading.Lock()


def packet_key(pki_dir: Path, passphrase: bytes) -> PacketKey:
    """Return the hub's packet key, loaded once per process."""
    with _lock:
        found = _cache.get(pki_dir)
        if found is None:
            found = _load(PKILayout(pki_dir), passphrase)
            _cache[pki_dir] = found
            logger.info(
                "edXML packet key loaded: %s",
                found.certificate.subject.rfc4514_string(),
            )
        return found


def _load(layout: PKILayout, passphrase: bytes) -> PacketKey:
    found = load_hub_key(layout, _WANTED, passphrase)
    return PacketKey(found.key, found.chain[0])
