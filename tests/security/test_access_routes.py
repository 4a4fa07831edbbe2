"""Every operation of the OpenAPI document, called by everyone, against the table.

For each operation the document lists, the test calls it with no token, a
wrong token, every role of the agency that owns the objects in the path
(agency A), every role of an agency with no part in them (agency C) and the
hub's own auditor and administrator, and checks each answer against the
roles the route table (edocx.web.table) gives the operation:

- a route the table lacks, or one the table has and the document lacks,
  fails;
- a public operation never asks for a login;
- a protected one answers 401 to no token and to a wrong token, the same
  answer both times, and 403 role-not-allowed to a role the table leaves
  out;
- a role the table allows gets past authorisation, and nowhere a 500;
- another agency's allowed roles never get A's objects: a document of A
  reads to them as one that does not exist, A's push endpoint and A's
  e-duplicate are refused.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import ClientResponse

from edocx.store.models import Role
from edocx.web.openapi import build_openapi
from edocx.web.routing import Route
from edocx.web.table import API, ROUTES
from tests.copies.test_duplicates import REQUEST as DUPLICATE_REQUEST
from tests.copies.test_duplicates import issue as issue_duplicate
from tests.web.hubkit import PROBLEM, A, B, Hub, header

pytestmark = pytest.mark.asyncio(loop_scope="module")

# The objects of the path: a draft of A addressed to B only (so C has no
# part in it), A's push endpoint, an e-duplicate of A (its code also names
# no certified copy), and a dead letter id that names nothing.
OWNER, STRANGER = "a", "c"
MISSING_MESSAGE = str(uuid.UUID(int=7))
AGENCY_ROLES = (Role.SIGNER, Role.CLERK, Role.SYSTEM, Role.CERTIFIER)
HUB_ROLES = (Role.AUDITOR, Role.ADMIN)
NOT_A_TOKEN = "edx_" + "x" * 43


@dataclass(frozen=True)
class Caller:
    """Who calls: an agency's user, a hub user, or nobody valid."""

    name: str
    agency: str | None = None
    role: Role | None = None
    token: str | None = None

    @property
    def stranger(self) -> bool:
        return self.agency == STRANGER


def _callers() -> list[Caller]:
    people = [Caller(f"{a}-{r.value}", a, r) for a in (OWNER, STRANGER)
              for r in AGENCY_ROLES]  # fmt: skip
    people += [Caller(f"hub-{r.value}", "hub", r) for r in HUB_ROLES]
    return [Caller("no token"), Caller("wrong token", token=NOT_A_TOKEN), *people]


CALLERS = _callers()


def _operations() -> list[tuple[str, str]]:
    document = build_openapi(ROUTES)
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


OPERATIONS = _operations()
TABLE = {(route.method, route.path): route for route in ROUTES}


@dataclass
class Objects:
    document_id: str
    duplicate_code: str


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def objects(hub: Hub, pdfs: Path) -> AsyncIterator[Objects]:
    pdf = (pdfs / "EmptyPage.pdf").read_bytes()
    response = await hub.upload(("a", "clerk"), pdf, header(recipients=[B]))
    assert response.status == 201, await response.text()
    draft: dict[str, Any] = await response.json()

    # An e-duplicate of A, from the birth record the duplicates' tests use.
    response = await issue_duplicate(hub, DUPLICATE_REQUEST, ("a", "clerk"))
    assert response.status == 201, await response.text()
    duplicate: dict[str, Any] = (await response.json())["duplicate"]
    yield Objects(draft["document"]["id"], duplicate["code"])


def _path(template: str, objects: Objects) -> str:
    return template.format(
        document_id=objects.document_id,
        organ_id=A,
        code=objects.duplicate_code,
        message_id=MISSING_MESSAGE,
        index="0",
    )


def _headers(hub: Hub, caller: Caller) -> dict[str, str]:
    if caller.token is not None:
        return {"Authorization": "Bearer " + caller.token}
    if caller.agency is None or caller.role is None:
        return {}
    return hub.auth(caller.agency, _person(caller))


def _person(caller: Caller) -> str:
    assert caller.role is not None
    return caller.role.value


async def _call(hub: Hub, method: str, path: str, caller: Caller) -> Answer:
    response = await hub.client.request(method, path, headers=_headers(hub, caller))
    return await Answer.read(response)


@dataclass(frozen=True)
class Answer:
    status: int
    type: str | None
    detail: str | None

    @classmethod
    async def read(cls, response: ClientResponse) -> Answer:
        kind = detail = None
        if response.content_type == "application/problem+json":
            body = await response.json(content_type=None)
            kind, detail = body["type"].removeprefix(PROBLEM), body["detail"]
        else:
            await response.read()
        return cls(response.status, kind, detail)

    def __str__(self) -> str:
        return f"{self.status} {self.type or ''}".strip()


async def test_every_route_of_the_router_is_in_the_document(hub: Hub) -> None:
    """No route is served that the table (and so the document) lacks."""
    served = set()
    for resource in hub.client.app.router.resources():
        info = resource.get_info()
        path = info.get("formatter") or info.get("path")
        if path is None or path.startswith("/pki"):
            continue  # the development PKI's own services, mounted apart
        for route in resource:
            if route.method != "HEAD":
                served.add((route.method, path))
    assert served - set(OPERATIONS) == set()
    assert set(TABLE) - set(OPERATIONS) == set()


@pytest.mark.parametrize(
    ("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS]
)
async def test_route_answers_as_the_table_says(
    hub: Hub, objects: Objects, method: str, path: str
) -> None:
    route = TABLE.get((method, path))
    assert route is not None, f"{method} {path} is missing from the route table"

    url = _path(path, objects)
    answers = {c.name: await _call(hub, method, url, c) for c in CALLERS}
    wrong = [f"{name}: {answer} ({why})" for name, answer, why in
             _mismatches(route, answers)]  # fmt: skip
    assert not wrong, "\n".join(wrong)


def _mismatches(
    route: Route, answers: dict[str, Answer]
) -> list[tuple[str, Answer, str]]:
    found: list[tuple[str, Answer, str]] = []
    for caller in CALLERS:
        answer = answers[caller.name]
        why = _judge(route, caller, answer)
        if why is not None:
            found.append((caller.name, answer, why))
    if route.roles is not None and answers["no token"] != answers["wrong token"]:
        found.append(("wrong token", answers["wrong token"], "differs from no token"))
    return found


def _judge(route: Route, caller: Caller, answer: Answer) -> str | None:
    """Say what is wrong with ``answer`` to ``caller``; None when it is right."""
    if answer.status >= 500:
        return "a server error"
    if route.roles is None:
        if answer.status in (401, 403) and answer.type != "metrics-not-public":
            return "a public route asked for a login"
        return None
    if caller.role is None:
        return _expect(answer, 401, "unauthenticated")
    if caller.role not in route.roles:
        return _expect(answer, 403, "role-not-allowed")
    if answer.status == 401 or answer.type == "role-not-allowed":
        return f"the table allows {caller.role.value}"
    if caller.stranger:
        return _judge_stranger(route, answer)
    return _judge_owner(route, answer)


def _judge_stranger(route: Route, answer: Answer) -> str | None:
    # Another agency's allowed role: A's objects are not theirs.
    if "{document_id}" in route.path:
        if route.method == "GET":
            return _expect(answer, 404, "document-not-found")
        if answer.status < 400:
            return "another agency acted on A's document"
    if "{organ_id}" in route.path and answer.status < 400:
        return "another agency used A's push endpoint"
    if route.path.startswith(API + "/duplicates/{code}") and answer.status < 400:
        return "another agency used A's e-duplicate"
    return None


def _judge_owner(route: Route, answer: Answer) -> str | None:
    # The owner reaches its own objects: never "not found" for them.
    if "{document_id}" in route.path and answer.type == "document-not-found":
        return "A's own document read as missing"
    if "{organ_id}" in route.path and answer.type == "agency-not-found":
        return "A's own agency read as missing"
    if answer.type == "duplicate-not-found":
        return "A's own e-duplicate read as missing"
    return None


def _expect(answer: Answer, status: int, code: str) -> str | None:
    if (answer.status, answer.type) == (status, code):
        return None
    return f"expected {status} {code}"
