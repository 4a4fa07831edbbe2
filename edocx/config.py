"""Load the service configuration.

Values come, lowest precedence first, from the field defaults below, the TOML
file named by ``EDOCX_CONFIG`` (default ``config/edocx.toml``), and
``EDOCX_*`` environment variables (nested keys joined by ``__``, e.g.
``EDOCX_HTTP__PORT=9090``). Secrets never live in the file: key passphrases
come from the environment or from a file the config names.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from edocx.errors import ConfigurationError, EdocxError

# The checkout edocx runs from: relative paths in the configuration are
# taken from here, so that commands work from any current directory.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = PROJECT_ROOT / "config" / "edocx.toml"


class _Section(BaseModel):
    # A misspelt key must be an error, not a silently ignored line.
    model_config = ConfigDict(extra="forbid")


class HTTPSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # Base address written into certificates (OCSP, CRL, TSA) and QR codes;
    # empty means http://{host}:{port}/ (127.0.0.1 for a wildcard host).
    public_url: str = ""
    max_upload_mb: int = Field(default=50, ge=1)
    # A request body from which no byte arrives for this long is refused
    # (408): a stalled or broken upload must not hold the hub's reader.
    body_idle_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    # HTTPS: the server's certificate chain and key (PEM, the key
    # unencrypted in a private file); both empty serve plain HTTP. Relative
    # to the project root.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # Agencies' systems may log in with a TLS client certificate issued by
    # one of these CAs (PEM) and registered for a system user; the CRLs
    # (PEM or DER files) refuse revoked ones during the handshake.
    tls_client_cas: list[Path] = Field(default_factory=list)
    tls_client_crls: list[Path] = Field(default_factory=list)

    @field_validator("tls_cert", "tls_key")
    @classmethod
    def _tls_from_root(cls, value: Path | None) -> Path | None:
        return None if value is None else _under(PROJECT_ROOT, value)

    @field_validator("tls_client_cas", "tls_client_crls")
    @classmethod
    def _tls_lists_from_root(cls, value: list[Path]) -> list[Path]:
        return [_under(PROJECT_ROOT, path) for path in value]

    @property
    def tls(self) -> bool:
        """Whether the hub serves HTTPS."""
        return self.tls_cert is not None

    @field_validator("public_url")
    @classmethod
    def _ends_with_slash(cls, value: str) -> str:
        return value if not value or value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _default_public_url(self) -> HTTPSettings:
        if not self.public_url:
            host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
            if ":" in host:
                host = f"[{host}]"
            scheme = "https" if self.tls_cert is not None else "http"
            self.public_url = f"{scheme}://{host}:{self.port}/"
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        if self.tls_client_cas and self.tls_cert is None:
            raise ValueError("tls_client_cas needs tls_cert and tls_key")
        return self


class StorageSettings(_Section):
    var_dir: Path = Path("var")

    @property
    def db_path(self) -> Path:
        return self.var_dir / "edocx.sqlite3"

    @property
    def blob_dir(self) -> Path:
        return self.var_dir / "blobs"


class PKISettings(_Section):
    # The certomancer template of the development PKI, rendered into var/pki.
    template: Path = Path("certs/edocx-dev-pki.yml")
    # Where generated keys, certificates and PKCS#12 files go; a relative
    # path is taken inside storage.var_dir.
    dir: Path = Path("pki")
    # Serve OCSP, CRL and RFC 3161 for the development PKI under /pki/.
    serve: bool = True
    # Base address of those services as written into certificates; empty
    # means "{http.public_url}pki".
    url: str = ""
    # Name of the certomancer architecture in the template.
    arch: str = "edocx-dev"


class TokenKeySettings(_Section):
    # A key in a PKCS#11 token: the token's library, the token's label and
    # the key's label on it (default: the credential label). The user PIN
    # comes from the environment variable pin_env when it is set, else from
    # pin_file (relative to storage.var_dir); never from this file.
    module: Path
    token: str
    key_label: str = ""
    pin_env: str = "EDOCX_TOKEN_PIN"
    pin_file: Path | None = None

    @field_validator("pin_env")
    @classmethod
    def _not_a_setting(cls, value: str) -> str:
        # Other EDOCX_* variables name settings and are checked as such.
        if value.startswith("EDOCX_") and value != "EDOCX_TOKEN_PIN":
            raise ValueError(
                "a PIN variable other than EDOCX_TOKEN_PIN must not start with EDOCX_"
            )
        return value


class KeySettings(_Section):
    # File holding the passphrase of the agencies' PKCS#12 files, relative
    # to storage.var_dir. The environment variable EDOCX_KEY_PASSPHRASE wins
    # over it.
    passphrase_file: Path | None = Path("secrets/key-passphrase")
    # Credentials held in PKCS#11 tokens, by credential label (an agency's
    # seal credential or a signer's); other labels are PKCS#12 files.
    tokens: dict[str, TokenKeySettings] = Field(default_factory=dict)


class TrustSettings(_Section):
    # PEM or DER certificates trusted as roots. Empty means: the development
    # root under pki.dir (demo mode only).
    anchors: list[Path] = Field(default_factory=list)
    # hard-fail: a signature whose revocation status cannot be established is
    # indeterminate, never valid.
    revocation_mode: str = "hard-fail"


class WorkerSettings(_Section):
    processes: int = Field(default=2, ge=1, le=64)
    task_timeout_s: float = Field(default=60.0, gt=0)
    memory_limit_mb: int = Field(default=1536, ge=128)


class VerificationSettings(_Section):
    # The public verification (POST /api/v1/verify and ``edocx verify``):
    # the largest PDF it accepts, and how long one file may take before the
    # worker verifying it is stopped.
    max_upload_mb: int = Field(default=20, ge=1)
    timeout_s: float = Field(default=30.0, gt=0)


LevelName = Literal["B-B", "B-T", "B-LT", "B-LTA"]


def canonical_type_levels(levels: dict[str, LevelName]) -> dict[str, LevelName]:
    """Key ``levels`` by document type name; refuse a type Decree 30 lacks."""
    from edocx.exchange.doctypes import find_document_type

    try:
        return {find_document_type(k).name: v for k, v in levels.items()}
    except EdocxError as e:
        raise ValueError(e.detail) from None


class AgencySigningSettings(_Section):
    # One agency's own level and levels per document type (see signing).
    level: LevelName | None = None
    document_types: dict[str, LevelName] = Field(default_factory=dict)

    @field_validator("document_types")
    @classmethod
    def _known_types(cls, value: dict[str, LevelName]) -> dict[str, LevelName]:
        return canonical_type_levels(value)


class SigningSettings(_Section):
    # RFC 3161 TSAs for signature timestamps, tried in order, each with its
    # own timeout. Empty means: the hub's own development TSA (demo only).
    tsa_urls: list[str] = Field(default_factory=list)
    # When no TSA answers: false refuses to sign (timestamp-unavailable);
    # true signs at level B-B, without a timestamp, and says so.
    allow_downgrade_to_bb: bool = False
    # The PAdES level of the hub's signatures: B-B, B-T, B-LT or B-LTA.
    # Precedence, most specific first: agencies.<organ id>.document_types,
    # document_types, agencies.<organ id>.level, level.
    level: LevelName = "B-T"
    # Levels per document type (its name or abbreviation, Decree 30/2020).
    document_types: dict[str, LevelName] = Field(default_factory=dict)
    agencies: dict[str, AgencySigningSettings] = Field(default_factory=dict)

    @field_validator("document_types")
    @classmethod
    def _known_types(cls, value: dict[str, LevelName]) -> dict[str, LevelName]:
        return canonical_type_levels(value)


class StampSettings(_Section):
    # Images in visible signatures (Decree 30/2020, Appendix I), PNG with a
    # transparent background that states its resolution: seal-<OrganId>.png
    # for an agency's seal, signature-<credential label>.png for a person's
    # signature. A missing file means a stamp without an image. Relative to
    # storage.var_dir; demo mode draws stand-ins for the demo agencies.
    images_dir: Path = Path("stamp-images")


class ObservabilitySettings(_Section):
    # GET /metrics: true answers anyone; false answers loopback clients only
    # (a Prometheus on the same machine, or one behind a local proxy).
    metrics_public: bool = False
    # GET /healthz asks the first TSA for a real timestamp, bounded by this
    # timeout, and keeps the answer this long so checks cannot flood it.
    tsa_check_timeout_s: float = Field(default=2.0, gt=0, le=30)
    tsa_check_cache_s: float = Field(default=10.0, ge=0, le=600)


class DeliverySettings(_Section):
    # Pull: a document listed but not acknowledged is offered again after
    # this many seconds (0: on every list); at most pull_page_size a list.
    pull_visibility_s: float = Field(default=300.0, ge=0)
    pull_page_size: int = Field(default=100, ge=1, le=1000)
    # Push: address ranges a push endpoint may resolve to although they are
    # private, loopback, link-local, CGNAT, reserved or metadata addresses
    # (e.g. ["127.0.0.0/8", "::1/128"] in tests). Empty refuses them all.
    push_allowed_networks: list[IPvAnyNetwork] = Field(default_factory=list)
    # CA certificates (PEM) the endpoints' TLS certificates are verified
    # against; empty means the system's store. Relative to the project root.
    push_ca_bundle: Path | None = None
    # A message not acknowledged within push_ttl_s goes to the dead letters.
    # Between attempts: initial * 2^(attempt-1), at most max, with +/- jitter.
    push_ttl_s: float = Field(default=86400.0, gt=0)
    push_backoff_initial_s: float = Field(default=5.0, gt=0)
    push_backoff_max_s: float = Field(default=900.0, gt=0)
    push_jitter: float = Field(default=0.2, ge=0, le=1)
    push_timeout_s: float = Field(default=30.0, gt=0)
    push_concurrency: int = Field(default=4, ge=1, le=64)
    # How often the pusher looks for new deliveries, statuses and due retries.
    push_poll_s: float = Field(default=2.0, gt=0)
    # Run the pusher in the hub's process.
    push_enabled: bool = True

    @field_validator("push_ca_bundle")
    @classmethod
    def _from_root(cls, value: Path | None) -> Path | None:
        return None if value is None else _under(PROJECT_ROOT, value)


class EdxmlAgencySettings(_Section):
    # One agency's packets: strict turns the reader's warnings into errors.
    strict: bool = False


class EdxmlSettings(_Section):
    # POST /api/v1/edxml: the largest packet accepted. A 50 MB PDF is about
    # 67 MB once base64-encoded in AttachmentEncoded.
    max_packet_mb: int = Field(default=80, ge=1, le=1024)
    # Strict agencies (their QCVN 102 codes): every warning refuses the
    # packet. The same as [edxml.agencies."<organ id>"] strict = true.
    strict_agencies: list[str] = Field(default_factory=list)
    agencies: dict[str, EdxmlAgencySettings] = Field(default_factory=dict)

    def strict_for(self, organ_id: str) -> bool:
        """Whether the packets of ``organ_id`` are read strictly."""
        agency = self.agencies.get(organ_id)
        return organ_id in self.strict_agencies or bool(agency and agency.strict)


class CopySettings(_Section):
    """Certified e-copies (edocx.copies): books, QR codes, fees."""

    # The name of a certification book; {seq} is the book's sequence number
    # in the year (two digits), {year} the year (domain §6.4).
    book_pattern: str = "Quyển số {seq:02d}/{year}-SCT/BS"
    # Electronic certifications are numbered apart from paper ones and show
    # this suffix after the number ("12/ĐT").
    number_suffix: str = "/ĐT"
    # Where the QR code of a certified copy leads: this base and the copy's
    # code. The checking page is served at /c/{code}; empty means
    # "{http.public_url}c/", the hub's own address.
    verify_base_url: str = ""
    fee_currency: str = "VND"
    # The largest scan accepted, and the most image pages turned into one PDF.
    max_scan_mb: int = Field(default=30, ge=1, le=200)
    max_image_pages: int = Field(default=50, ge=1, le=500)


class AuditSettings(_Section):
    # Signed tree heads of the audit log: one when the log grew and
    # checkpoint_every_s passed since the last, or as soon as
    # checkpoint_every_entries entries were appended (0: by time only).
    # The scheduler looks every checkpoint_poll_s seconds at most.
    checkpoint_every_s: float = Field(default=300.0, gt=0)
    checkpoint_every_entries: int = Field(default=10000, ge=0)
    checkpoint_poll_s: float = Field(default=10.0, gt=0)
    # Make them in the hub's process (the key is p12/audit-log.p12 or the
    # development PKI's audit-log certificate, see edocx.audit.auditkey).
    checkpoints_enabled: bool = True


class RateLimitSettings(_Section):
    # The public operations (verification, checks of copies and duplicates,
    # their pages) answer 429 with Retry-After beyond this many requests per
    # minute from one client address, after a burst of ``burst``. 0 turns
    # the limit off. A caller with a valid token is not limited here.
    public_per_minute: int = Field(default=600, ge=0)
    burst: int = Field(default=120, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EDOCX_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    # Demo mode creates three demo agencies, their keys and API tokens.
    demo: bool = True
    http: HTTPSettings = Field(default_factory=HTTPSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    pki: PKISettings = Field(default_factory=PKISettings)
    keys: KeySettings = Field(default_factory=KeySettings)
    trust: TrustSettings = Field(default_factory=TrustSettings)
    workers: WorkerSettings = Field(default_factory=WorkerSettings)
    verification: VerificationSettings = Field(default_factory=VerificationSettings)
    signing: SigningSettings = Field(default_factory=SigningSettings)
    stamps: StampSettings = Field(default_factory=StampSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    observability: ObservabilitySettings = Field(default_factory=ObservabilitySettings)
    edxml: EdxmlSettings = Field(default_factory=EdxmlSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    copies: CopySettings = Field(default_factory=CopySettings)
    ratelimit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    log_level: str = "INFO"
    log_json: bool = False

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        named = os.environ.get("EDOCX_CONFIG")
        toml_file = Path(named) if named else DEFAULT_CONFIG_FILE
        if named and not toml_file.is_file():
            raise ConfigurationError(f"EDOCX_CONFIG names no file: {toml_file}")
        _check_environment(settings_cls)
        toml = TomlConfigSettingsSource(settings_cls, toml_file=toml_file)
        return init_settings, env_settings, toml

    @model_validator(mode="after")
    def _anchor_paths(self) -> Settings:
        # var_dir, the template and trust anchors hang off the project root;
        # the PKI and the passphrase file off var_dir.
        var = _under(PROJECT_ROOT, self.storage.var_dir)
        self.storage.var_dir = var
        self.pki.template = _under(PROJECT_ROOT, self.pki.template)
        self.pki.dir = _under(var, self.pki.dir)
        if self.keys.passphrase_file is not None:
            self.keys.passphrase_file = _under(var, self.keys.passphrase_file)
        self.trust.anchors = [_under(PROJECT_ROOT, p) for p in self.trust.anchors]
        self.stamps.images_dir = _under(var, self.stamps.images_dir)
        return self

    @model_validator(mode="after")
    def _default_copy_url(self) -> Settings:
        # The QR of a copy leads to the hub that serves it, whatever its port.
        if not self.copies.verify_base_url:
            self.copies.verify_base_url = self.http.public_url + "c/"
        return self

    @property
    def pki_url(self) -> str:
        """Return the base address of the PKI services the hub serves."""
        return (self.pki.url or self.http.public_url + "pki").rstrip("/")


# EDOCX_* variables that are not settings.
NOT_SETTINGS = frozenset({"CONFIG", "KEY_PASSPHRASE", "TEST_DATA", "TOKEN_PIN"})


def _check_environment(settings_cls: type[BaseSettings]) -> None:
    """Refuse EDOCX_* variables that name no setting (a typo is silent else)."""
    for name in os.environ:
        if not name.startswith("EDOCX_"):
            continue
        rest = name[len("EDOCX_") :]
        if rest in NOT_SETTINGS or _names_setting(settings_cls, rest.lower()):
            continue
        raise ConfigurationError(
            f"unknown setting in the environment: {name}",
            hint="see config/edocx.toml for the names; nested keys join with __",
        )


def _names_setting(model: type[BaseModel], path: str) -> bool:
    head, _, tail = path.partition("__")
    field = model.model_fields.get(head)
    if field is None:
        return False
    if not tail:
        return True
    section = field.annotation
    return (
        isinstance(section, type)
        and issubclass(section, BaseModel)
        and _names_setting(section, tail)
    )


def _under(base: Path, path: Path) -> Path:
    return path if path.is_absolute() else base / path


def load_settings(**overrides: Any) -> Settings:
    """Return the settings, with ``overrides`` taking precedence.

    Raise ConfigurationError, naming each wrong key, instead of pydantic's
    traceback-shaped message.
    """
    try:
        return Settings(**overrides)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}"
            for item in e.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigurationError(f"the configuration file is not TOML: {e}") from e


def read_key_passphrase(settings: Settings) -> bytes:
    """Return the passphrase protecting the agencies' PKCS#12 files."""
    from_env = os.environ.get("EDOCX_KEY_PASSPHRASE")
    if from_env:
        return from_env.encode("utf-8")

    path = settings.keys.passphrase_file
    if path is None or not path.is_file():
        raise ConfigurationError(
            "no key passphrase: set EDOCX_KEY_PASSPHRASE or keys.passphrase_file"
        )
    return path.read_bytes().strip()
