"""The demo agencies, their people and the certificates they hold.

Agency codes and names follow the sample packets of the national exchange
(QCVN 102:2016); the people are fictional. Their certificates come from the
development PKI and are worthless outside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from edocx.pki.devpki import SubscriberSpec


@dataclass(frozen=True)
class DemoPerson:
    key: str  # short id, e.g. "signer"
    role: str
    full_name: str
    position: str | None = None
    competence: str | None = None
    has_certificate: bool = False
    revoked: bool = False


@dataclass(frozen=True)
class DemoAgency:
    key: str  # "a", "b", "c"
    code: str
    name: str
    abbreviation: str
    place: str
    people: tuple[DemoPerson, ...]

    @property
    def seal_label(self) -> str:
        return f"seal-{self.key}"

    def person_label(self, person: DemoPerson) -> str:
        return f"person-{self.key}-{person.key}"


def _people(
    signer: str, position: str, competence: str, certifier: str
) -> tuple[DemoPerson, ...]:
    return (
        DemoPerson("signer", "signer", signer, position, competence, True),
        DemoPerson("clerk", "clerk", "Văn thư " + signer.split()[-1]),
        DemoPerson("system", "system", "Hệ thống quản lý văn bản"),
        DemoPerson(
            "certifier", "certifier", certifier, "Công chức tư pháp", None, True
        ),
    )


DEMO_AGENCIES: tuple[DemoAgency, ...] = (
    DemoAgency(
        "a",
        "000.00.00.H41",
        "Ủy ban nhân dân tỉnh Nghệ An",
        "UBND",
        "Nghệ An",
        (
            *_people(
                "Nguyễn Văn Thành", "Chủ tịch", "TM. ỦY BAN NHÂN DÂN", "Hoàng Thị Lụa"
            ),
            DemoPerson(
                "revoked",
                "signer",
                "Lê Văn Cường",
                "Phó Chủ tịch",
                "KT. CHỦ TỊCH",
                True,
                revoked=True,
            ),
        ),
    ),
    DemoAgency(
        "b",
        "000.00.00.G22",
        "Văn phòng Chính phủ",
        "VPCP",
        "Hà Nội",
        _people("Trần Thị Hương", "Chủ nhiệm", "BỘ TRƯỞNG, CHỦ NHIỆM", "Phạm Đức Anh"),
    ),
    DemoAgency(
        "c",
        "000.00.00.H14",
        "Ủy ban nhân dân tỉnh Cao Bằng",
        "UBND",
        "Cao Bằng",
        _people("Đặng Quốc Bảo", "Chủ tịch", "TM. ỦY BAN NHÂN DÂN", "Vũ Thị Ngọc Ánh"),
    ),
)

# Hub-level users, not bound to an agency's documents.
HUB_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("auditor", "auditor", "Kiểm toán viên"),
    DemoPerson("admin", "admin", "Quản trị hệ thống"),
)


def demo_subscribers() -> list[SubscriberSpec]:
    """Return the certificate holders of the demo agencies."""
    subscribers: list[SubscriberSpec] = []
    for agency in DEMO_AGENCIES:
        subscribers.append(
            SubscriberSpec(
                agency.seal_label,
                "seal",
                agency.name,
                agency.name,
                organization_identifier=agency.code,
            )
        )
        for person in agency.people:
            if person.has_certificate:
                subscribers.append(
                    SubscriberSpec(
                        agency.person_label(person),
                        "person",
                        person.full_name,
                        agency.name,
                        title=person.position,
                        revoked=person.revoked,
                    )
                )
    return subscribers
