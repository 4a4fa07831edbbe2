"""Jobs, inputs and a validator for the signing tests.

Signatures are made with the test PKI of the run (certificates from
certomancer, OCSP, CRL and the TSA served over HTTP on loopback).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pyhanko_certvalidator import CertificateValidator

from edocx.pki.credentials import CredentialRef
from edocx.pki.devpki import PKILayout
from edocx.signing import PersonalSignJob, PlainSignJob, SealJob

AGENCY_CODE = "000.00.00.H41"
AGENCY_NAME = "Ủy ban nhân dân tỉnh Nghệ An"
SIGNER_NAME = "Nguyễn Văn Thành"
POSITION = "Chủ tịch"
NOTATION = "QĐ-UBND"
PLACE = "Nghệ An"
ISSUED_ON = date(2025, 3, 5)


@dataclass(frozen=True)
class JobFactory:
    """Build signing jobs for the test PKI."""

    pki: PKILayout
    passphrase: bytes
    tsa_url: str

    def credential(self, label: str) -> CredentialRef:
        return CredentialRef(self.pki.p12_path(label), self.passphrase)

    def common(
        self, label: str, document_id: str, tsa: str | None
    ) -> dict[str, object]:
        return {
            "document_id": document_id,
            "agency_code": AGENCY_CODE,
            "credential": self.credential(label),
            "tsa_urls": (tsa or self.tsa_url,),
            "trust_root_paths": (self.pki.root_cert_path,),
            "extra_cert_paths": self.pki.chain_cert_paths,
            "at": datetime.now(UTC),
        }

    def personal(
        self,
        document_id: str,
        *,
        label: str = "person-a-signer",
        tsa: str | None = None,
    ) -> PersonalSignJob:
        return PersonalSignJob(
            signer_name=SIGNER_NAME,
            position=POSITION,
            agency_name=AGENCY_NAME,
            **self.common(label, document_id, tsa),  # type: ignore[arg-type]
        )

    def seal(self, document_id: str, number: int, *, tsa: str | None = None) -> SealJob:
        return SealJob(
            agency_name=AGENCY_NAME,
            number=number,
            notation=NOTATION,
            place=PLACE,
            issued_on=ISSUED_ON,
            **self.common("seal-a", document_id, tsa),  # type: ignore[arg-type]
        )

    def plain(self, document_id: str) -> PlainSignJob:
        return PlainSignJob(**self.common("seal-b", document_id, None))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def unsigned_dir(test_data_dir: Path) -> Path:
    path = test_data_dir / "pdf-unsigned"
    if not path.is_dir():
        pytest.skip(f"unsigned PDFs not found at {path}")
    return path


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> Counter[bytes]:
    """Count the path validations of each certificate (by its DER bytes)."""
    counts: Counter[bytes] = Counter()
    validate = CertificateValidator.async_validate_usage

    async def counting(self: CertificateValidator, *args: Any, **kw: Any) -> Any:
        counts[self._certificate.dump()] += 1
        return await validate(self, *args, **kw)

    monkeypatch.setattr(CertificateValidator, "async_validate_usage", counting)
    return counts
