"""The exchange's door to the worker pool: preparing, signing, verifying.

Everything that parses a PDF or computes a signature runs in a worker
process, never on the event loop, and never while this task holds the
database's write transaction (a worker call can take seconds and the
signing workers talk to the TSA and the OCSP responder).

Verification at the door never fetches: an uploaded PDF names the OCSP, CRL
and CA-issuer addresses it likes, and the hub must not be made to call them
(server-side request forgery). Documents should arrive as PAdES B-LT or
B-LTA, with the revocation data inside, which is what the validation uses.
The hub's own signatures are made at the configured level (``levels``);
below B-LT the check before keeping them follows only the hub's own
certificates (``Compute.check_own``).

A worker that crashes on an uploaded file (``WorkerError``) says that the
file could not be processed: the uploader gets a 422 problem, never a 500.
A crash while the hub signs or verifies its own documents stays a 5xx.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from edocx.config import Settings, SigningSettings
from edocx.errors import (
    ConfigurationError,
    PDFUnusableError,
    ServiceStoppingError,
    TokenPINRefusedError,
    WorkerError,
    WorkerMemoryError,
    WorkerTimeoutError,
)
from edocx.exchange.errors import CredentialUnavailableError
from edocx.pki.credentials import (
    CredentialRef,
    KeyRef,
    PKCS11Ref,
    open_token_keys,
    token_credentials,
)
from edocx.pki.devpki import PKILayout, tsa_url
from edocx.pki.tokens import check_not_refused, remember_refusal
from edocx.pki.trust import trust_root_paths
from edocx.signing import (
    Level,
    SignOutcome,
    number_and_seal_outcome,
    prepare_draft,
    sign_personal_outcome,
)
from edocx.signing.augment import AugmentSetup, add_own_validation_data
from edocx.signing.images import seal_image_path, signature_image_path
from edocx.signing.jobs import PersonalSignJob, PreparedDraft, SealJob
from edocx.signing.levels import LevelRules, level_for
from edocx.store.db import assert_no_write_transaction
from edocx.store.models import Agency, Document, User
from edocx.verification import ValidationReport, VerifyOptions, verify_pdf
from edocx.vntime import vietnam_time

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Runner(Protocol):
    """What the exchange needs of the worker pool."""

    async def run(
        self, fn: Callable[..., T], *args: Any, timeout_s: float | None = None
    ) -> T: ...


@dataclass(frozen=True)
class SigningSetup:
    """Where the keys, the TSAs and the trust anchors are."""

    pki_dir: Path
    passphrase: bytes = field(repr=False)
    tsa_urls: tuple[str, ...]
    trust_roots: tuple[Path, ...]
    extra_certs: tuple[Path, ...]
    allow_downgrade_to_bb: bool = False
    # Credential labels whose keys live in PKCS#11 tokens ([keys.tokens]).
    tokens: dict[str, PKCS11Ref] = field(default_factory=dict, repr=False)
    levels: LevelRules = field(default_factory=LevelRules)
    # Seal and signature images of visible signatures ([stamps]).
    images_dir: Path | None = None

    @property
    def may_sign_b_b(self) -> bool:
        """Whether the configuration lets a signature of the hub be B-B."""
        return self.allow_downgrade_to_bb or Level.B_B in self.levels.named()

    @classmethod
    def from_settings(cls, settings: Settings, passphrase: bytes) -> SigningSetup:
        layout = PKILayout(settings.pki.dir)
        extra = layout.chain_cert_paths if settings.demo else ()
        return cls(
            pki_dir=settings.pki.dir,
            passphrase=passphrase,
            tsa_urls=_tsa_urls(settings),
            trust_roots=trust_root_paths(settings),
            extra_certs=extra,
            allow_downgrade_to_bb=settings.signing.allow_downgrade_to_bb,
            tokens=token_credentials(settings),
            levels=level_rules(settings.signing),
            images_dir=settings.stamps.images_dir,
        )

    def seal_image(self, organ_id: str) -> Path | None:
        """Return the agency's configured seal image, if any."""
        if self.images_dir is None:
            return None
        return seal_image_path(self.images_dir, organ_id)

    def signature_image(self, credential_label: str | None) -> Path | None:
        """Return a person's configured signature image, if any."""
        if self.images_dir is None:
            return None
        return signature_image_path(self.images_dir, credential_label)

    def credential(self, label: str | None, *, whose: str) -> KeyRef:
        """Return the credential ``label``, or refuse when it is absent.

        A label configured under ``[keys.tokens]`` is a key in a token;
        any other is the PKCS#12 file of that name.
        """
        if label is not None and label in self.tokens:
            return self.tokens[label]
        path = None if label is None else PKILayout(self.pki_dir).p12_path(label)
        if path is None or not path.is_file():
            raise CredentialUnavailableError(f"no signing credential for {whose}")
        return CredentialRef(path, self.passphrase)


def level_rules(signing: SigningSettings) -> LevelRules:
    """Return the configured PAdES levels (``signing.level`` and overrides)."""
    agencies = signing.agencies
    return LevelRules(
        default=Level(signing.level),
        by_type={k: Level(v) for k, v in signing.document_types.items()},
        by_agency={k: Level(a.level) for k, a in agencies.items() if a.level},
        by_agency_type={
            k: {t: Level(v) for t, v in a.document_types.items()}
            for k, a in agencies.items()
        },
    )


def _tsa_urls(settings: Settings) -> tuple[str, ...]:
    """The configured TSAs; unset, the hub's own development TSA (demo only)."""
    if settings.signing.tsa_urls:
        return tuple(settings.signing.tsa_urls)
    if settings.demo:
        return (tsa_url(settings),)
    raise ConfigurationError(
        "no timestamp authority configured",
        hint="list the TSAs' RFC 3161 addresses in signing.tsa_urls",
    )


@dataclass(frozen=True)
class SignedDocument:
    """A document after one of the hub's signatures, and the level made.

    ``level`` is below ``requested`` only after a downgrade to B-B (no TSA
    answered and ``signing.allow_downgrade_to_bb``); ``warnings`` say why.
    """

    document: Document
    level: Level
    requested: Level
    warnings: tuple[str, ...] = ()

    @classmethod
    def of(cls, document: Document, outcome: SignOutcome) -> SignedDocument:
        return cls(document, outcome.level, outcome.requested, outcome.warnings)

    @property
    def downgraded(self) -> bool:
        return self.level is not self.requested


def verify_with_own_data(
    pdf: bytes, options: VerifyOptions, last: int, setup: AugmentSetup
) -> ValidationReport:
    """Verify ``pdf`` given the validation data of its ``last`` signatures."""
    return verify_pdf(add_own_validation_data(pdf, last, setup), options)


class Compute:
    """Run the CPU-bound steps of the exchange in the worker pool."""

    def __init__(self, runner: Runner, setup: SigningSetup) -> None:
        self._runner = runner
        self.setup = setup

    async def _run(
        self, fn: Callable[..., T], *args: Any, timeout_s: float | None = None
    ) -> T:
        assert_no_write_transaction(f"worker call {fn.__name__}")
        return await self._runner.run(fn, *args, timeout_s=timeout_s)

    async def _run_on_upload(
        self, fn: Callable[..., T], *args: Any, timeout_s: float | None = None
    ) -> T:
        try:
            return await self._run(fn, *args, timeout_s=timeout_s)
        except (WorkerTimeoutError, WorkerMemoryError, ServiceStoppingError):
            raise
        except WorkerError as e:
            # The worker died or raised something unexpected on a file from
            # outside: the file is what could not be processed.
            logger.error("worker call %s failed on an upload: %s", fn.__name__, e)
            raise PDFUnusableError(
                "the PDF could not be processed",
                hint="export the document to PDF again and upload the new file",
            ) from e

    async def open_tokens(self) -> int:
        """Log in to every configured token in one worker, before serving.

        A refused PIN stops the start, offered to the token once; the other
        workers log in when they first sign. Return how many keys opened.
        """
        refs = tuple(self.setup.tokens.values())
        if not refs:
            return 0
        return await self._run(open_token_keys, refs)

    async def _run_signing(
        self, credential: KeyRef, fn: Callable[..., T], *args: Any
    ) -> T:
        """Run a signing call; never send a PIN its token refused again."""
        if not isinstance(credential, PKCS11Ref):
            return await self._run(fn, *args)
        token = (credential.module, credential.token, credential.pin)
        check_not_refused(*token)
        try:
            return await self._run(fn, *args)
        except TokenPINRefusedError:
            # Kept here as well: the next document may go to another worker.
            remember_refusal(*token)
            raise

    async def prepare(self, pdf: bytes, password: str | None) -> PreparedDraft:
        return await self._run_on_upload(prepare_draft, pdf, password)

    async def verify(
        self, pdf: bytes, *, password: str | None = None, own_document: bool = False,
        timeout_s: float | None = None,
    ) -> ValidationReport:  # fmt: skip
        """Verify ``pdf``: an upload unless ``own_document`` (the hub's output).

        ``timeout_s`` bounds this verification instead of the pool's bound.
        """
        options = VerifyOptions(
            trust_root_paths=self.setup.trust_roots,
            allow_fetching=False,
            password=password,
        )
        if own_document:
            return await self._run(verify_pdf, pdf, options, timeout_s=timeout_s)
        return await self._run_on_upload(verify_pdf, pdf, options, timeout_s=timeout_s)

    async def check_own(
        self, outcome: SignOutcome, *, own_signatures: int
    ) -> ValidationReport:
        """Verify the hub's freshly signed file for the check before keeping it.

        Below B-LT the file carries no revocation data; the check then runs
        on a copy given the validation data of the hub's own last
        ``own_signatures`` signatures, fetched from their certificates'
        addresses (the hub's keys and TSAs, as the key check does), never
        from a signature the draft carried before.
        """
        options = VerifyOptions(
            trust_root_paths=self.setup.trust_roots, allow_fetching=False
        )
        if outcome.level.long_term:
            return await self._run(verify_pdf, outcome.pdf, options)
        setup = AugmentSetup(self.setup.trust_roots, self.setup.extra_certs)
        return await self._run(
            verify_with_own_data, outcome.pdf, options, own_signatures, setup
        )

    async def sign_personal(
        self, pdf: bytes, *, document: Document, signer: User, agency: Agency,
        at: datetime,
    ) -> SignOutcome:  # fmt: skip
        credential = self.setup.credential(
            signer.credential_label, whose=f"signer {signer.id}"
        )
        job = PersonalSignJob(
            **self._job_basics(document, agency, credential, at),
            signer_name=signer.display_name,
            position=signer.position or document.signer_position,
            agency_name=agency.name,
            signature_image=self.setup.signature_image(signer.credential_label),
            competence=document.signer_competence,
        )  # fmt: skip
        return await self._run_signing(credential, sign_personal_outcome, pdf, job)

    async def number_and_seal(
        self, pdf: bytes, *, document: Document, agency: Agency, number: int,
        code: str, at: datetime,
    ) -> SignOutcome:  # fmt: skip
        credential = self.setup.credential(
            agency.seal_credential, whose=f"agency {agency.organ_id}"
        )
        job = SealJob(
            **self._job_basics(document, agency, credential, at),
            agency_name=agency.name, number=number, notation=code,
            place=agency.place, issued_on=vietnam_time(at).date(),
            seal_image=self.setup.seal_image(agency.organ_id),
        )  # fmt: skip
        return await self._run_signing(credential, number_and_seal_outcome, pdf, job)

    def _job_basics(
        self, document: Document, agency: Agency, credential: KeyRef,
        at: datetime,
    ) -> dict[str, Any]:  # fmt: skip
        """The fields every signing job shares (see SignJob)."""
        return {
            "document_id": document.uuid,
            "agency_code": agency.organ_id,
            "credential": credential,
            "tsa_urls": self.setup.tsa_urls,
            "allow_downgrade_to_bb": self.setup.allow_downgrade_to_bb,
            "level": level_for(
                self.setup.levels,
                agency_code=agency.organ_id,
                document_type=document.type_name,
            ),
            "trust_root_paths": self.setup.trust_roots,
            "extra_cert_paths": self.setup.extra_certs,
            "at": at,
        }
