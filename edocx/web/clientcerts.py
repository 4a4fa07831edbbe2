"""TLS for the hub: HTTPS, and client certificates of agencies' systems.

An agency's document system may log in with a TLS client certificate
instead of a bearer token. The handshake checks the certificate: issued by
one of ``http.tls_client_cas`` and not listed on ``http.tls_client_crls``
(an unknown or revoked certificate ends the handshake, before any HTTP).
The hub then maps the certificate, by the SHA-256 of its DER encoding, to
the user it was registered for (:mod:`edocx.store.users`); a certificate
that is valid but not registered, or withdrawn, gets the same 401 as a
wrong token. A client without a certificate still logs in with a token.

Since the handshake binds a certificate to a user by its digest alone, the
certificate's name is checked once, when it is registered: it must name the
user's agency by the agency's code in one of the subject's organisation
identifiers (organizationIdentifier, UID or serialNumber, a scheme prefix
such as ``MNS:`` or ``NTRVN-`` removed), as the development PKI writes the
code into each agency's seal certificate and as the offline checks of
copies read it (:mod:`edocx.copies.binding`). The agency's name alone
(``O=``) does not count: names are not unique and are written many ways.
"""

from __future__ import annotations

import hashlib
import logging
import re
import ssl
import tempfile
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding

from edocx.config import HTTPSettings
from edocx.copies import binding
from edocx.errors import ConfigurationError

logger = logging.getLogger(__name__)

# TODO(#8): which attribute a real public-duty CA writes an agency's code
# in is assumed, not confirmed on real certificates (as in TODO(#7) of
# edocx.copies.binding); one named otherwise cannot be registered.
_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL
)


def server_ssl_context(http: HTTPSettings) -> ssl.SSLContext | None:
    """Return the TLS context the hub serves with; None for plain HTTP."""
    if http.tls_cert is None or http.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(http.tls_cert, http.tls_key)
    except (OSError, ssl.SSLError) as e:
        raise ConfigurationError(
            f"cannot load the TLS certificate {http.tls_cert}: {e}",
            hint="http.tls_cert is a PEM chain, http.tls_key its unencrypted key",
        ) from e

    if http.tls_client_cas:
        _accept_client_certificates(context, http)
    return context


def _accept_client_certificates(context: ssl.SSLContext, http: HTTPSettings) -> None:
    # Optional: a system with a certificate needs no token, a person's
    # browser or a token client sends none.
    context.verify_mode = ssl.CERT_OPTIONAL
    for ca in http.tls_client_cas:
        _load(context, ca, "http.tls_client_cas")
    for crl in http.tls_client_crls:
        _load_crl(context, crl)
    if http.tls_client_crls:
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    # TODO(#8): the CRLs are read at start; a CRL published later needs a
    # restart, and an OCSP check of each new client certificate would not.


def _load(context: ssl.SSLContext, path: Path, setting: str) -> None:
    try:
        context.load_verify_locations(cafile=path)
    except (OSError, ssl.SSLError) as e:
        raise ConfigurationError(f"cannot load {setting} file {path}: {e}") from e


def _load_crl(context: ssl.SSLContext, path: Path) -> None:
    # The ssl module reads CRLs from PEM files only: a DER CRL (as CAs
    # publish them) is armoured into a private temporary file first.
    try:
        data = path.read_bytes()
        crl = (
            None if data.lstrip().startswith(b"-----") else x509.load_der_x509_crl(data)
        )
    except (OSError, ValueError) as e:
        raise ConfigurationError(f"cannot read http.tls_client_crls {path}: {e}") from e
    if crl is None:
        _load(context, path, "http.tls_client_crls")
        return
    with tempfile.TemporaryDirectory() as folder:
        pem = Path(folder) / "crl.pem"
        pem.write_bytes(crl.public_bytes(Encoding.PEM))
        _load(context, pem, "http.tls_client_crls")


def peer_certificate_digest(request: web.Request) -> str | None:
    """Return the SHA-256 (hex) of the client's certificate, if it sent one.

    Only a certificate the handshake verified gets here: without
    ``tls_client_cas`` the hub asks for none.
    """
    transport = request.transport
    if transport is None:
        return None
    tls = transport.get_extra_info("ssl_object")
    if not isinstance(tls, ssl.SSLObject | ssl.SSLSocket):
        return None
    der = tls.getpeercert(binary_form=True)
    return None if not der else hashlib.sha256(der).hexdigest()


def certificate_digest(cert: x509.Certificate) -> str:
    """Return the digest under which a client certificate is registered."""
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def read_client_certificate(data: bytes) -> x509.Certificate:
    """Return the one end-entity certificate of a PEM or DER file's bytes.

    A PEM file may carry text around its blocks (the ``Bag Attributes``
    lines ``openssl pkcs12 -nokeys`` writes) and its issuing CAs after the
    certificate. Raise ValueError saying what the file lacks.
    """
    if b"-----BEGIN" in data:
        blocks = _PEM_CERTIFICATE.findall(data)
        if not blocks:
            raise ValueError("it holds no PEM block 'BEGIN CERTIFICATE'")
        found = [x509.load_pem_x509_certificate(block) for block in blocks]
    elif not data.strip():
        raise ValueError("the file is empty")
    else:
        try:
            found = [x509.load_der_x509_certificate(data)]
        except ValueError:
            raise ValueError("it is neither a PEM nor a DER certificate") from None

    leaves = [cert for cert in found if not _is_ca(cert)]
    if len(leaves) != 1:
        raise ValueError(
            f"it holds {len(leaves)} certificates that are not a CA's, not one"
        )
    return leaves[0]


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return constraints.value.ca


def load_client_cas(paths: Sequence[Path]) -> list[x509.Certificate]:
    """Return the CA certificates of the PEM files ``http.tls_client_cas``
    names; raise ConfigurationError for one that cannot be read."""
    found: list[x509.Certificate] = []
    for path in paths:
        try:
            found.extend(x509.load_pem_x509_certificates(path.read_bytes()))
        except (OSError, ValueError) as e:
            raise ConfigurationError(
                f"cannot read http.tls_client_cas file {path}: {e}"
            ) from e
    return found


def issued_by_any(cert: x509.Certificate, cas: Sequence[x509.Certificate]) -> bool:
    """Whether one of ``cas`` issued ``cert``: its name, and its signature."""
    for ca in cas:
        try:
            cert.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False


def organisation_identifiers(cert: x509.Certificate) -> frozenset[str]:
    """Return the codes the certificate's subject names, scheme prefixes removed.

    Read as the offline checks of copies read a seal's subject.
    """
    der = cert.public_bytes(Encoding.DER)
    subject = asn1_x509.Certificate.load(der).subject
    return binding.organisation_identifiers(subject.native)


def agency_mismatch(cert: x509.Certificate, organ_id: str) -> str | None:
    """Say why ``cert`` does not name the agency ``organ_id``, or None."""
    named = organisation_identifiers(cert)
    if organ_id in named:
        return None
    if not named:
        return f"the certificate names no agency's code (the agency is {organ_id})"
    codes = ", ".join(sorted(named))
    return f"the certificate names {codes}, not the agency {organ_id}"
