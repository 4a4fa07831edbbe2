"""The directory: codes, names, parent, delivery mode and seal certificates."""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from edocx.demo.agencies import DEMO_AGENCIES
from edocx.store.agencies import find_agency, set_directory_fields
from edocx.store.db import Database
from tests.web.hubkit import A, B, C, Hub

from .conftest import ok

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_directory_shows_codes_names_mode_and_seals(hub: Hub) -> None:
    body = await ok(await hub.get(("b", "clerk"), "/agencies"))
    by_code = {item["organ_id"]: item for item in body["items"]}
    assert set(by_code) == {A, B, C}

    for demo in DEMO_AGENCIES:
        entry = by_code[demo.code]
        assert (entry["name"], entry["abbreviation"], entry["place"]) == (
            demo.name, demo.abbreviation, demo.place,
        )  # fmt: skip
        assert (entry["second_code"], entry["parent"]) == (None, None)
        assert entry["delivery_mode"] == "pull"

        # The seal certificate of the agency, as the PKI issued it.
        (cert,) = entry["certificates"]
        parsed = x509.load_pem_x509_certificate(cert["pem"].encode("ascii"))
        der = parsed.public_bytes(Encoding.DER)
        assert cert["sha256"] == hashlib.sha256(der).hexdigest()
        assert cert["serial"] == format(parsed.serial_number, "x")
        assert demo.name in cert["subject"]
        assert cert["not_before"] < cert["not_after"]
        assert cert["not_after"].endswith("+07:00")


async def test_directory_shows_second_code_and_parent(hub: Hub) -> None:
    db = Database(hub.settings.storage.db_path)
    await db.open()
    try:
        async with db.write() as tx:
            parent = await find_agency(tx, B)
            child = await find_agency(tx, C)
            assert parent is not None and child is not None
            await set_directory_fields(
                tx, child.id, second_code="H14.01", parent_id=parent.id
            )
    finally:
        await db.close()

    body = await ok(await hub.get(("hub", "auditor"), "/agencies"))
    (entry,) = [item for item in body["items"] if item["organ_id"] == C]
    assert (entry["second_code"], entry["parent"]) == ("H14.01", B)
