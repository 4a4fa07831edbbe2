"""Serve the development PKI's OCSP, CRL and RFC 3161 services over HTTP.

certomancer's aiohttp application does the protocol work. Two of its
defaults are turned off because they are dangerous in a hub: the web UI,
whose routes hand out every entity's private key as PKCS#12, and the
``X-Certomancer-Fake-Time`` header, which would let any caller set the
clock of the TSA, the OCSP responder and the CRLs.

certomancer also reloads (and so re-validates) the signing key on every
request, which costs about 45 ms for an RSA key; the caching backend keeps
each responder key loaded.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

import certomancer.crypto_utils as certomancer_crypto
from aiohttp import web
from aiohttp.typedefs import Handler
from asn1crypto import algos, keys
from certomancer.integrations.aiohttp_animator import build_animator_app
from certomancer.registry import PKIArchitecture
from cryptography.hazmat.primitives import serialization

logger = logging.getLogger(__name__)


class KeyCachingBackend(certomancer_crypto.PycaCryptographyBackend):
    """certomancer's crypto backend with parsed private keys kept in memory."""

    def __init__(self) -> None:
        self._keys: dict[bytes, Any] = {}
        self._lock = threading.Lock()

    def generic_sign(
        self,
        private_key: keys.PrivateKeyInfo,
        tbs_bytes: bytes,
        sd_algo: algos.SignedDigestAlgorithm,
    ) -> bytes:
        loaded = self._load(private_key)
        signature = _sign_with(loaded, tbs_bytes, sd_algo)
        if signature is None:
            # PSS and the rarer algorithms: certomancer's own code path.
            return super().generic_sign(private_key, tbs_bytes, sd_algo)
        return signature

    def _load(self, private_key: keys.PrivateKeyInfo) -> Any:
        der = private_key.dump()
        fingerprint = hashlib.sha256(der).digest()
        with self._lock:
            loaded = self._keys.get(fingerprint)
            if loaded is None:
                loaded = serialization.load_der_private_key(der, password=None)
                self._keys[fingerprint] = loaded
        return loaded


def _sign_with(
    key: Any, tbs: bytes, sd_algo: algos.SignedDigestAlgorithm
) -> bytes | None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    hash_algo = getattr(hashes, sd_algo.hash_algo.upper())()
    sig_algo = sd_algo.signature_algo
    if sig_algo == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(tbs, padding.PKCS1v15(), hash_algo)
    if sig_algo == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(tbs, ec.ECDSA(hash_algo))
    return None


def install_key_cache() -> None:
    """Make certomancer sign with keys it loaded once (idempotent)."""
    if not isinstance(certomancer_crypto.CRYPTO_BACKEND, KeyCachingBackend):
        certomancer_crypto.CRYPTO_BACKEND = KeyCachingBackend()


def build_pki_app(arch: PKIArchitecture) -> web.Application:
    """Return the OCSP / CRL / TSA application for ``arch``.

    Mount it at ``/pki``: certomancer's routes start with the architecture
    label, so the OCSP responder answers at ``/pki/{arch}/ocsp/{label}``.
    """
    install_key_cache()
    app = build_animator_app(
        {arch.arch_label: arch},
        with_web_ui=False,
        allow_time_override=False,
    )
    app.middlewares.insert(0, _refuse_malformed)
    return app


@web.middleware
async def _refuse_malformed(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    # These routes need no login: a malformed request must cost a 400 and a
    # short log line, not a 500 with a traceback anyone can make us write.
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as e:
        logger.info("refused a malformed %s %s: %s", request.method, request.path,
                    type(e).__name__)  # fmt: skip
        raise web.HTTPBadRequest(text="malformed request") from None
