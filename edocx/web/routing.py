"""What a route is: the one description that drives dispatch and OpenAPI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from edocx.config import Settings
from edocx.exchange.hub import Hub
from edocx.store.models import Role, User
from edocx.web.bodies import Part

Reply = BaseModel | web.StreamResponse


# The part under which a raw body (``Route.raw_body``) reaches the handler.
RAW_BODY = "body"


@dataclass(frozen=True)
class Call:
    """One authorised request, its parsed inputs and the time it arrived."""

    request: web.Request
    hub: Hub
    settings: Settings
    user: User | None
    at: datetime
    body: Any = None
    query: Any = None
    parts: dict[str, bytes] = field(default_factory=dict)
    # The body of a creating operation that takes no input: read (bounded)
    # so that an Idempotency-Key's fingerprint covers it; its handler refuses
    # one with fields.
    unasked_body: bytes = b""

    @property
    def me(self) -> User:
        if self.user is None:
            raise RuntimeError("this route is public: no user")
        return self.user

    def param(self, name: str) -> str:
        return self.request.match_info[name]


Handler = Callable[[Call], Awaitable[Reply]]

ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Route:
    """One operation of the API.

    ``roles`` None means public. ``creates`` marks the POSTs that honour
    ``Idempotency-Key``. ``body`` is a JSON request model, ``parts`` the
    parts of a multipart request, ``query`` the model of the query string.
    ``raw_body`` lists the media types of a body taken as it is (an edXML
    packet), handed over as ``parts["body"]``. ``upload_mb`` gives the upload
    limit of a multipart or raw route when it is not ``http.max_upload_mb``
    (``upload_setting`` names the setting that holds it); ``alternatives``
    are media types the route can answer with besides ``media_type``.
    """

    method: str
    path: str
    handler: Handler
    roles: frozenset[Role] | None
    summary: str
    status: int = 200
    body: type[BaseModel] | None = None
    parts: tuple[Part, ...] = ()
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    media_type: str = "application/json"
    creates: bool = False
    problems: tuple[str, ...] = ()
    upload_mb: Callable[[Settings], int] | None = None
    upload_setting: str = "http.max_upload_mb"
    alternatives: tuple[str, ...] = ()
    raw_body: tuple[str, ...] = ()

    def upload_limit(self, settings: Settings) -> int:
        """Return the largest upload this route takes, in bytes."""
        mb = self.upload_mb(settings) if self.upload_mb else settings.http.max_upload_mb
        return mb * 1024 * 1024

    def upload_limit_text(self, settings: Settings) -> str:
        """The limit as configured, for a 413 answer: "20 MB, <setting>"."""
        mb = self.upload_mb(settings) if self.upload_mb else settings.http.max_upload_mb
        return f"{mb} MB, {self.upload_setting}"

    @property
    def operation_id(self) -> str:
        return self.handler.__name__


def json_answer(model: BaseModel, status: int = 200) -> web.Response:
    """Answer with ``model`` as JSON."""
    return web.Response(
        status=status,
        body=model.model_dump_json().encode("utf-8"),
        content_type="application/json",
    )
