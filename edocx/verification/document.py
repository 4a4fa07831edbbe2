"""Open a PDF for verification and find its signature fields.

A verifier meets hostile files, so this module trusts nothing it reads: the
header is checked before parsing, every parser error becomes an
:class:`UnusableDocumentError` with a plain reason, encryption is opened only
with the caller's password (or the empty user password), and the walk over
the form fields is bounded and cycle-safe (ISO 32000-1 §12.7.3.1 lets fields
nest through ``/Kids``; a file can make that tree loop).

pyHanko's own field enumeration is not used here: it refuses partial names
that contain a period, which real signers write.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import AuthStatus
from pyhanko.pdf_utils.crypt.standard import StandardSecurityHandler
from pyhanko.pdf_utils.reader import PdfFileReader

from edocx.verification.report import Problem, Severity, SignatureKind
from edocx.verification.xrefrepair import read_structure

logger = logging.getLogger(__name__)

# ISO 32000-1 §7.5.2 puts the header first; readers accept some junk before
# it, so do we, but not more than this.
HEADER_WINDOW = 1024
MAX_FIELD_NODES = 10_000
MAX_FIELD_DEPTH = 32
# Each signature costs a difference analysis over the later revisions.
MAX_SIGNATURES = 100
# Real documents have a handful of revisions; thousands of empty updates
# only keep a worker busy until it is killed.
MAX_REVISIONS = 100

SIGNATURE_SUBFILTERS = frozenset(
    {"/adbe.pkcs7.detached", "/ETSI.CAdES.detached", "/PBAD.PAdES"}
)
TIMESTAMP_SUBFILTER = "/ETSI.RFC3161"
PASSWORD_REQUIRED = "pdf-password-required"


class UnusableDocumentError(Exception):
    """The bytes cannot be verified at all; ``code`` says why.

    ``encrypted`` records whether the file was found to be encrypted before
    it had to be given up (e.g. when its password is missing).
    """

    def __init__(self, code: str, message: str, *, encrypted: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.encrypted = encrypted


@dataclass(frozen=True)
class SignatureEntry:
    """A filled signature field: its name and its signature dictionary."""

    field_name: str
    field: generic.DictionaryObject
    sig_dict: generic.DictionaryObject
    kind: SignatureKind
    subfilter: str | None


@dataclass
class FieldScan:
    """The filled signature fields of a document, and what was wrong with them.

    ``entries`` are the signatures and document timestamps in the order they
    were made (see :func:`signing_order`);
    reserved placeholders and RFC 3161 tokens in ``/Sig`` dictionaries are
    not among them, only noted in ``problems``.
    """

    entries: list[SignatureEntry] = field(default_factory=list)
    field_names: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class OpenedDocument:
    reader: PdfFileReader
    data: bytes = field(repr=False)
    sha256: str
    size: int
    revisions: int
    encrypted: bool
    entries: list[SignatureEntry] = field(default_factory=list)
    signature_field_names: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)


def document_digest(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


def open_document(pdf: bytes, password: str | None) -> OpenedDocument:
    """Parse ``pdf`` and list its signatures.

    Steps: 1. header; 2. parse the cross-reference chain and bound the
    number of revisions; 3. decrypt;
    4. walk the form fields. Raises :class:`UnusableDocumentError`.
    """
    # 1. A file without a PDF header is not a PDF, whatever else it holds.
    if b"%PDF-" not in pdf[:HEADER_WINDOW]:
        raise UnusableDocumentError("not-a-pdf", "the file has no %PDF- header")

    # 2. The parser reads every revision's cross-reference section here.
    try:
        reader, damage = read_structure(pdf)
        revisions = reader.xrefs.total_revisions
    except Exception as e:
        raise UnusableDocumentError(
            "unreadable", f"the PDF structure cannot be read: {_brief(e)}"
        ) from e
    if revisions > MAX_REVISIONS:
        raise UnusableDocumentError(
            "too-many-revisions",
            f"the PDF has {revisions} revisions (incremental updates); at most "
            f"{MAX_REVISIONS} are verified",
        )

    # 3. Signatures are not encrypted, but the fields that hold them are.
    encrypted = _decrypt(reader, password)

    # 4. Signature fields.
    doc = OpenedDocument(
        reader=reader,
        data=pdf,
        sha256=document_digest(pdf),
        size=len(pdf),
        revisions=revisions,
        encrypted=encrypted,
    )
    try:
        scan = scan_signature_fields(reader)
    except Exception as e:
        raise UnusableDocumentError(
            "unreadable",
            f"the form fields cannot be read: {_brief(e)}",
            encrypted=encrypted,
        ) from e
    doc.entries = scan.entries
    doc.signature_field_names = scan.field_names
    doc.problems = [*damage, *scan.problems]
    return doc


def scan_signature_fields(reader: PdfFileReader) -> FieldScan:
    """Find the signatures and document timestamps in the form fields.

    The reader must be decrypted already. A field that cannot be read is a
    problem in the result; a parser error elsewhere propagates.
    """
    scan = FieldScan()
    _collect_entries(reader, scan)
    scan.entries = signing_order(scan.entries)
    return scan


def signing_order(entries: list[SignatureEntry]) -> list[SignatureEntry]:
    """Order signatures as they were made: by where their signed bytes end.

    Each signature covers the file up to its own revision, so the end of its
    ByteRange says when in the file's history it was made; the form's
    /Fields lists fields in whatever order an editor left them. Entries
    without a usable ByteRange follow, in field order.
    """
    ends = [_signed_end(entry.sig_dict) for entry in entries]
    ranked = sorted(
        range(len(entries)),
        key=lambda i: (ends[i] is None, ends[i] or 0, i),
    )
    return [entries[i] for i in ranked]


def _signed_end(sig_dict: generic.DictionaryObject) -> int | None:
    try:
        raw = list(sig_dict.get_object()["/ByteRange"])
    except Exception:
        # Missing or not an array: no place in the file's history.
        return None
    usable = all(isinstance(v, generic.NumberObject) and int(v) >= 0 for v in raw)
    if len(raw) != 4 or not usable:
        return None
    return int(raw[2]) + int(raw[3])


def _decrypt(reader: PdfFileReader, password: str | None) -> bool:
    try:
        handler = reader.security_handler
    except Exception as e:
        raise UnusableDocumentError(
            "unreadable", f"the encryption dictionary is invalid: {_brief(e)}"
        ) from e
    if handler is None:
        return False
    if not isinstance(handler, StandardSecurityHandler):
        raise UnusableDocumentError(
            "pdf-encrypted-for-recipients",
            "the PDF is encrypted for certificate holders; edocx cannot open it",
            encrypted=True,
        )

    # Many signed files are encrypted with an empty user password only to
    # restrict printing or editing; they open without asking anyone.
    try:
        result = reader.decrypt(password if password is not None else "")
    except Exception as e:
        raise UnusableDocumentError(
            "unreadable", f"the PDF cannot be decrypted: {_brief(e)}", encrypted=True
        ) from e
    if result.status == AuthStatus.FAILED:
        # One code for both cases, the problem type the hub answers with.
        message = (
            "the PDF is encrypted and needs its password"
            if password is None
            else "the PDF is encrypted and the password given does not open it; "
            "its password is required"
        )
        raise UnusableDocumentError(PASSWORD_REQUIRED, message, encrypted=True)
    return True


def _collect_entries(reader: PdfFileReader, scan: FieldScan) -> None:
    seen_sig_dicts: dict[tuple[int, int], str] = {}
    for name, node in _signature_fields(reader, scan):
        scan.field_names.add(name)
        value = node.raw_get("/V") if "/V" in node else None
        if value is not None and not isinstance(value, generic.IndirectObject):
            value = pdf_get(node, "/V")
        if value is None or isinstance(value, generic.NullObject):
            continue

        # Two fields showing one signature dictionary count once.
        if isinstance(value, generic.IndirectObject):
            key = (value.idnum, value.generation)
            if key in seen_sig_dicts:
                scan.problems.append(_same_signature(name, seen_sig_dicts[key]))
                continue
            seen_sig_dicts[key] = name

        try:
            sig_dict = value.get_object()
        except Exception as e:
            scan.problems.append(_unreadable_value(name, e))
            continue
        entry = _classify(scan, name, node, sig_dict)
        if entry is None:
            continue
        if len(scan.entries) >= MAX_SIGNATURES:
            scan.problems.append(_too_many_signatures())
            return
        scan.entries.append(entry)


def _classify(
    scan: FieldScan,
    name: str,
    node: generic.DictionaryObject,
    sig_dict: generic.PdfObject,
) -> SignatureEntry | None:
    if not isinstance(sig_dict, generic.DictionaryObject):
        scan.problems.append(
            Problem(
                code="malformed-signature-field",
                message="the field's value is not a signature dictionary",
                field_name=name,
            )
        )
        return None
    if _is_placeholder(sig_dict):
        scan.problems.append(
            Problem(
                code="empty-signature",
                message="the field holds a reserved, unsigned placeholder",
                severity=Severity.WARNING,
                field_name=name,
            )
        )
        return None

    subfilter = _name(pdf_get(sig_dict, "/SubFilter"))
    sig_type = _name(pdf_get(sig_dict, "/Type")) or "/Sig"
    if sig_type == "/DocTimeStamp":
        kind = SignatureKind.DOCUMENT_TIMESTAMP
    elif subfilter == TIMESTAMP_SUBFILTER:
        # An RFC 3161 token in a /Sig dictionary is neither a signature nor
        # a document timestamp (ETSI EN 319 142-1 §5.4); it proves nothing.
        scan.problems.append(
            Problem(
                code="ignored-timestamp",
                message="an RFC 3161 token sits in a /Sig dictionary; it is ignored",
                severity=Severity.WARNING,
                field_name=name,
            )
        )
        return None
    else:
        kind = SignatureKind.SIGNATURE
    return SignatureEntry(name, node, sig_dict, kind, subfilter)


def _is_placeholder(sig_dict: generic.DictionaryObject) -> bool:
    try:
        contents = sig_dict.raw_get("/Contents", decrypt=generic.EncryptedObjAccess.RAW)
    except KeyError:
        return True
    if not isinstance(contents, (generic.ByteStringObject, generic.TextStringObject)):
        return False
    return not contents.original_bytes.strip(b"\0")


def _signature_fields(
    reader: PdfFileReader, scan: FieldScan
) -> Iterator[tuple[str, generic.DictionaryObject]]:
    """Yield (fully qualified name, field dictionary) for each /Sig field."""
    fields = pdf_get(pdf_get(reader.root, "/AcroForm"), "/Fields")
    if not isinstance(fields, generic.ArrayObject):
        return

    visited: set[tuple[int, int]] = set()
    budget = MAX_FIELD_NODES
    stack: list[tuple[generic.PdfObject, str, str | None, int]] = [
        (item, "", None, 0) for item in reversed(fields)
    ]
    while stack:
        item, parent, inherited_type, depth = stack.pop()
        budget -= 1
        if budget < 0 or depth > MAX_FIELD_DEPTH:
            scan.problems.append(_too_many_fields())
            return
        node = _resolve_once(item, visited)
        if node is None:
            continue

        partial = pdf_get(node, "/T")
        name = _join(parent, partial)
        field_type = _name(pdf_get(node, "/FT")) or inherited_type
        if field_type == "/Sig" and "/V" in node:
            yield name, node

        kids = pdf_get(node, "/Kids")
        if isinstance(kids, generic.ArrayObject):
            stack.extend((kid, name, field_type, depth + 1) for kid in reversed(kids))


def pdf_get(container: object, key: str) -> generic.PdfObject | None:
    """Read a dictionary entry, decrypted and dereferenced; None if absent."""
    if not isinstance(container, generic.DictionaryObject):
        return None
    try:
        value: generic.PdfObject = container[key]
    except KeyError:
        return None
    return value


def _resolve_once(
    item: generic.PdfObject, visited: set[tuple[int, int]]
) -> generic.DictionaryObject | None:
    if isinstance(item, generic.IndirectObject):
        key = (item.idnum, item.generation)
        if key in visited:
            return None
        visited.add(key)
        item = item.get_object()
    return item if isinstance(item, generic.DictionaryObject) else None


def _join(parent: str, partial: object) -> str:
    if not isinstance(partial, (generic.TextStringObject, generic.ByteStringObject)):
        return parent
    text = (
        str(partial)
        if isinstance(partial, generic.TextStringObject)
        else (partial.original_bytes.decode("latin-1"))
    )
    return f"{parent}.{text}" if parent else text


def _name(value: object) -> str | None:
    return str(value) if isinstance(value, generic.NameObject) else None


def _same_signature(name: str, first: str) -> Problem:
    return Problem(
        code="duplicate-signature-field",
        message=f"shows the same signature dictionary as field {first!r}",
        severity=Severity.WARNING,
        field_name=name,
    )


def _unreadable_value(name: str, error: Exception) -> Problem:
    return Problem(
        code="malformed-signature-field",
        message=f"the signature dictionary cannot be read: {_brief(error)}",
        field_name=name,
    )


def _too_many_signatures() -> Problem:
    return Problem(
        code="too-many-signatures",
        message=f"only the first {MAX_SIGNATURES} signatures were examined",
    )


def _too_many_fields() -> Problem:
    return Problem(
        code="form-too-large",
        message="the form field tree is too large or too deep to examine fully",
    )


def _brief(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]
