"""The PKI services answer for real over HTTP, and their dangerous defaults are off."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta

import aiohttp
import certomancer.crypto_utils as certomancer_crypto
import pytest
from aiohttp import web
from asn1crypto import crl, ocsp, tsp, x509

from edocx.config import Settings
from edocx.pki.devpki import PKILayout, load_architecture, tsa_url
from edocx.pki.server import PKIServerThread
from edocx.pki.services import KeyCachingBackend, build_pki_app
from edocx.pki.trust import load_certs


def _cert(layout: PKILayout, label: str) -> x509.Certificate:
    return load_certs([layout.cert_path(label)])[0]


def _ocsp_request(cert: x509.Certificate, issuer: x509.Certificate) -> bytes:
    cert_id = ocsp.CertId(
        {
            "hash_algorithm": {"algorithm": "sha1"},
            "issuer_name_hash": hashlib.sha1(issuer.subject.dump()).digest(),
            "issuer_key_hash": issuer.public_key.sha1,
            "serial_number": cert.serial_number,
        }
    )
    request = ocsp.OCSPRequest(
        {
            "tbs_request": {"request_list": [{"req_cert": cert_id}]},
        }
    )
    return request.dump()


def _tsa_request(nonce: int) -> bytes:
    return tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": hashlib.sha256(b"edocx").digest(),
            },
            "nonce": nonce,
            "cert_req": True,
        }
    ).dump()


def _ocsp_url(settings: Settings) -> str:
    return f"{settings.pki_url}/{settings.pki.arch}/ocsp/issuing"


async def _post(url: str, body: bytes, **headers: str) -> bytes:
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=body, headers=headers) as resp,
    ):
        assert resp.status == 200
        return await resp.read()


@pytest.mark.parametrize(
    ("label", "expected"),
    [("person-a-signer", "good"), ("seal-b", "good"), ("person-a-revoked", "revoked")],
)
async def test_ocsp_reports_status(
    dev_pki: PKILayout,
    pki_server: PKIServerThread,
    test_settings: Settings,
    label: str,
    expected: str,
) -> None:
    issuer = _cert(dev_pki, "issuing")
    body = _ocsp_request(_cert(dev_pki, label), issuer)

    raw = await _post(_ocsp_url(test_settings), body)

    response = ocsp.OCSPResponse.load(raw)
    assert response["response_status"].native == "successful"
    single = response.basic_ocsp_response["tbs_response_data"]["responses"][0]
    assert single["cert_status"].name == expected


async def test_tsa_ignores_fake_time_header(
    pki_server: PKIServerThread, test_settings: Settings
) -> None:
    nonce = int.from_bytes(os.urandom(7), "big")
    fake = "2001-01-01T00:00:00+00:00"

    raw = await _post(
        tsa_url(test_settings), _tsa_request(nonce), **{"X-Certomancer-Fake-Time": fake}
    )

    token = tsp.TimeStampResp.load(raw)["time_stamp_token"]
    info = token["content"]["encap_content_info"]["content"].parsed
    gen_time = info["gen_time"].native
    assert abs(gen_time - datetime.now(UTC)) < timedelta(minutes=5)
    assert info["nonce"].native == nonce


async def test_crl_lists_revoked_person(
    dev_pki: PKILayout, pki_server: PKIServerThread, test_settings: Settings
) -> None:
    url = f"{test_settings.pki_url}/{test_settings.pki.arch}/crls/issuing/latest.crl"
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 200
        crl_list = crl.CertificateList.load(await resp.read())

    revoked = {
        entry["user_certificate"].native
        for entry in crl_list["tbs_cert_list"]["revoked_certificates"]
    }
    assert revoked == {_cert(dev_pki, "person-a-revoked").serial_number}


async def test_web_ui_routes_are_absent(
    aiohttp_client, dev_pki: PKILayout, test_settings: Settings, passphrase: bytes
) -> None:
    # certomancer's web UI would hand out private keys as PKCS#12.
    app = web.Application()
    app.add_subapp("/pki", build_pki_app(load_architecture(test_settings, passphrase)))
    client = await aiohttp_client(app)
    arch = test_settings.pki.arch

    pfx = await client.post(
        f"/pki/_certomancer/pfx-download/{arch}", data={"cert": "seal-a"}
    )
    bundle = await client.get(f"/pki/_certomancer/cert-bundle/{arch}")
    index = await client.get("/pki/")

    assert pfx.status == 404
    assert bundle.status == 404
    assert index.status == 404


async def test_ocsp_ignores_fake_time_header(
    dev_pki: PKILayout, pki_server: PKIServerThread, test_settings: Settings
) -> None:
    body = _ocsp_request(_cert(dev_pki, "person-a-signer"), _cert(dev_pki, "issuing"))

    raw = await _post(
        _ocsp_url(test_settings),
        body,
        **{"X-Certomancer-Fake-Time": "2001-01-01T00:00:00+00:00"},
    )

    data = ocsp.OCSPResponse.load(raw).basic_ocsp_response["tbs_response_data"]
    produced = data["produced_at"].native
    assert abs(produced - datetime.now(UTC)) < timedelta(minutes=5)


async def test_responder_keys_stay_loaded(
    dev_pki: PKILayout, pki_server: PKIServerThread, test_settings: Settings
) -> None:
    # certomancer would otherwise parse and check the RSA key on every call.
    body = _ocsp_request(_cert(dev_pki, "seal-a"), _cert(dev_pki, "issuing"))
    await _post(_ocsp_url(test_settings), body)
    backend = certomancer_crypto.CRYPTO_BACKEND
    assert isinstance(backend, KeyCachingBackend)
    loaded = dict(backend._keys)

    await _post(_ocsp_url(test_settings), body)

    assert loaded
    assert all(backend._keys[k] is v for k, v in loaded.items())


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/ocsp/issuing", b"not DER at all"),
        ("POST", "/ocsp/issuing", b""),
        ("POST", "/tsa/tsa", b"\x30\x03\x02\x01"),
        ("GET", "/crls/issuing/archive-99999999999999999999.crl", b""),
    ],
)
async def test_malformed_requests_are_refused(
    aiohttp_client,
    dev_pki: PKILayout,
    test_settings: Settings,
    passphrase: bytes,
    method: str,
    path: str,
    body: bytes,
) -> None:
    app = web.Application()
    app.add_subapp("/pki", build_pki_app(load_architecture(test_settings, passphrase)))
    client = await aiohttp_client(app)

    response = await client.request(
        method, f"/pki/{test_settings.pki.arch}{path}", data=body
    )

    assert response.status == 400
