"""Signed PDFs for the verifier's tests, made with pyHanko and the test PKI.

Everything here talks to the PKI services of the run on loopback: the TSA
for signature timestamps, the OCSP responder and CRL repository for
revocation evidence.
"""

from __future__ import annotations

import io
import urllib.request
from dataclasses import dataclass

from asn1crypto import crl, pem, x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.sign import signers, timestamps
from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.pdf_embedded import extract_contents
from pyhanko_certvalidator import ValidationContext

from edocx.pki.devpki import PKILayout

TEXT_FIELD = "Remark"
A4 = (0, 0, 595, 842)


def load_cert(path: object) -> x509.Certificate:
    data = path.read_bytes()  # type: ignore[attr-defined]
    if pem.detect(data):
        data = pem.unarmor(data)[2]
    return x509.Certificate.load(data)


def blank_pdf(*, text_field: bool = False, password: str | None = None) -> bytes:
    """One A4 page with a blue square; optionally a text field, encryption."""
    writer = PdfFileWriter()
    if password is not None:
        writer.encrypt(owner_pass=password + " (owner)", user_pass=password)
    content = writer.add_object(
        generic.StreamObject(stream_data=b"0 0 1 rg 100 600 200 200 re f")
    )
    page = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject(
                [generic.NumberObject(v) for v in A4]
            ),
            pdf_name("/Resources"): generic.DictionaryObject(),
            pdf_name("/Contents"): content,
        }
    )
    writer.insert_page(page)
    if text_field:
        _add_text_field(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _add_text_field(writer: PdfFileWriter) -> None:
    page_ref = writer.find_page_for_modification(0)[0]
    field = generic.DictionaryObject(
        {
            pdf_name("/FT"): pdf_name("/Tx"),
            pdf_name("/T"): generic.TextStringObject(TEXT_FIELD),
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/Rect"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (100, 500, 400, 530)]
            ),
            pdf_name("/P"): page_ref,
            pdf_name("/F"): generic.NumberObject(4),
            pdf_name("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
        }
    )
    field_ref = writer.add_object(field)
    writer.register_annotation(page_ref, field_ref)
    writer.root[pdf_name("/AcroForm")] = generic.DictionaryObject(
        {pdf_name("/Fields"): generic.ArrayObject([field_ref])}
    )
    writer.update_root()


@dataclass(frozen=True)
class PKISigner:
    """Sign with a subscriber of the test PKI."""

    layout: PKILayout
    passphrase: bytes
    tsa_url: str

    def signer(self, label: str) -> signers.SimpleSigner:
        signer = signers.SimpleSigner.load_pkcs12(
            str(self.layout.p12_path(label)), passphrase=self.passphrase
        )
        assert signer is not None
        return signer

    def sign(
        self,
        pdf: bytes,
        label: str,
        *,
        field: str = "Signature1",
        lt: bool = True,
        password: str | None = None,
        certify: MDPPerm | None = None,
        box: tuple[int, int, int, int] | None = None,
    ) -> bytes:
        """Sign with a signature timestamp; with ``lt``, PAdES B-LT.

        ``certify`` makes it a certification signature with those DocMDP
        permissions; ``box`` makes a new, visible field there on page 1.
        """
        roots = [load_cert(self.layout.root_cert_path)]
        chain = [load_cert(p) for p in self.layout.chain_cert_paths]
        context = ValidationContext(
            trust_roots=roots, other_certs=chain, allow_fetching=True
        )
        meta = signers.PdfSignatureMetadata(
            field_name=field,
            subfilter=SigSeedSubFilter.PADES,
            embed_validation_info=lt,
            validation_context=context if lt else None,
            certify=certify is not None,
            docmdp_permissions=certify or MDPPerm.FILL_FORMS,
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        if password is not None:
            writer.encrypt(password)
        pdf_signer = signers.PdfSigner(
            meta,
            signer=self.signer(label),
            timestamper=timestamps.HTTPTimeStamper(self.tsa_url),
            new_field_spec=SigFieldSpec(field, box=box) if box else None,
        )
        return pdf_signer.sign_pdf(writer).getvalue()

    def add_crl_to_dss(self, signed: bytes, label: str) -> bytes:
        """Make a B-T signature B-LT by hand, with the CRL the issuer publishes.

        pyHanko refuses to embed validation data for a revoked certificate,
        so the CRL is fetched over HTTP and written into /DSS directly.
        """
        cert = load_cert(self.layout.cert_path(label))
        chain = [load_cert(p) for p in self.layout.chain_cert_paths]
        out = io.BytesIO(signed)
        DocumentSecurityStore.add_dss(
            out,
            _signature_contents(signed),
            certs=[cert, *chain],
            crls=[fetch_crl(c) for c in (cert, *chain)],
            force_write=True,
        )
        return out.getvalue()


def fetch_crl(cert: x509.Certificate) -> crl.CertificateList:
    """GET the CRL the certificate names (a loopback address in tests)."""
    url = cert.crl_distribution_points[0]["distribution_point"].chosen[0].native
    assert url.startswith("http://127.0.0.1"), url
    with urllib.request.urlopen(url, timeout=10) as response:
        data = response.read()
    return crl.CertificateList.load(data)


def _signature_contents(signed: bytes) -> bytes:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(io.BytesIO(signed))
    _, value, _ = next(iter(enumerate_sig_fields(reader, filled_status=True)))
    return extract_contents(value.get_object())


def append_page_content(signed: bytes) -> bytes:
    """An incremental update that draws a red square over page 1."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    stream = writer.add_object(
        generic.StreamObject(stream_data=b"1 0 0 rg 100 600 200 200 re f")
    )
    writer.add_stream_to_page(0, stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def fill_text_field(signed: bytes, value: str) -> bytes:
    """An incremental update that fills the text field (value and appearance)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    fields = writer.root["/AcroForm"]["/Fields"]
    field_ref = next(f for f in fields if f.get_object().get("/T") == TEXT_FIELD)
    field = field_ref.get_object()
    appearance = generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (0, 0, 300, 30)]
            ),
        },
        stream_data=b"0 0 0 rg 0 0 300 30 re f",
    )
    field[pdf_name("/V")] = generic.TextStringObject(value)
    field[pdf_name("/AP")] = generic.DictionaryObject(
        {pdf_name("/N"): writer.add_object(appearance)}
    )
    writer.update_container(field)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def flip_signed_byte(signed: bytes) -> bytes:
    """Change one byte of the page content, inside the signed byte range."""
    index = signed.index(b"100 600 200 200 re f")
    return signed[:index] + b"9" + signed[index + 1 :]


def pdf_with_field_loop() -> bytes:
    """A form whose field tree loops back on itself through /Kids."""
    writer = IncrementalPdfFileWriter(io.BytesIO(blank_pdf()))
    parent = generic.DictionaryObject({pdf_name("/T"): generic.TextStringObject("a")})
    parent_ref = writer.add_object(parent)
    child = generic.DictionaryObject(
        {
            pdf_name("/T"): generic.TextStringObject("b"),
            pdf_name("/FT"): pdf_name("/Sig"),
            pdf_name("/Kids"): generic.ArrayObject([parent_ref]),
        }
    )
    parent[pdf_name("/Kids")] = generic.ArrayObject([writer.add_object(child)])
    writer.root[pdf_name("/AcroForm")] = generic.DictionaryObject(
        {pdf_name("/Fields"): generic.ArrayObject([parent_ref])}
    )
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_document_timestamp(signed: bytes, layout: PKILayout, tsa_url: str) -> bytes:
    """PAdES B-LTA: a document timestamp, with the TSA's validation data."""
    context = ValidationContext(
        trust_roots=[load_cert(layout.root_cert_path)],
        other_certs=[load_cert(p) for p in layout.chain_cert_paths],
        allow_fetching=True,
    )
    stamper = signers.PdfTimeStamper(
        timestamps.HTTPTimeStamper(tsa_url), field_name="DocTimeStamp1"
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    out = stamper.timestamp_pdf(writer, "sha256", validation_context=context)
    return bytes(out.getvalue())
