"""A small client of the hub's HTTP API, as an agency's system would use it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aiohttp

from edocx.errors import EdocxError


class APIError(EdocxError):
    """The hub answered with a problem."""

    code = "api-error"

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        title = problem.get("title", "error")
        detail = problem.get("detail", "")
        super().__init__(f"HTTP {status} {title}: {detail}", hint=problem.get("type"))
        self.status_code = status
        self.problem = problem


class HubClient:
    """Call the API as one user (one bearer token)."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, token: str) -> None:
        self._http = http
        self._api = base_url.rstrip("/") + "/api/v1"
        self._headers = {"Authorization": f"Bearer {token}"}

    async def create_draft(
        self, header: dict[str, Any], pdf: bytes, filename: str
    ) -> dict[str, Any]:
        form = aiohttp.FormData()
        form.add_field("header", json.dumps(header), content_type="application/json")
        form.add_field("file", pdf, filename=filename, content_type="application/pdf")
        return await self._post("/drafts", data=form)

    async def sign(self, document_id: str) -> dict[str, Any]:
        return await self._post(f"/documents/{document_id}/sign")

    async def issue(self, document_id: str) -> dict[str, Any]:
        return await self._post(f"/documents/{document_id}/issue")

    async def inbox(self) -> dict[str, Any]:
        return await self._get_json("/inbox")

    async def outbox(self) -> dict[str, Any]:
        return await self._get_json("/outbox")

    async def download(self, document_id: str) -> bytes:
        url = f"{self._api}/documents/{document_id}/pdf"
        async with self._http.get(url, headers=self._headers) as resp:
            await _raise_for_problem(resp)
            return await resp.read()

    async def verify(self, pdf: bytes) -> dict[str, Any]:
        form = aiohttp.FormData()
        form.add_field("file", pdf, filename="doc.pdf", content_type="application/pdf")
        return await self._post("/verify", data=form, idempotent=False)

    async def post_status(
        self, document_id: str, code: str, description: str | None = None
    ) -> dict[str, Any]:
        body = {"code": code, "description": description}
        return await self._post(f"/documents/{document_id}/statuses", json=body)

    async def _get_json(self, path: str) -> dict[str, Any]:
        async with self._http.get(self._api + path, headers=self._headers) as resp:
            await _raise_for_problem(resp)
            result: dict[str, Any] = await resp.json()
            return result

    async def _post(
        self, path: str, *, idempotent: bool = True, **kwargs: Any
    ) -> dict[str, Any]:
        headers = dict(self._headers)
        if idempotent:
            # A retry after a lost answer must not create the thing twice.
            headers["Idempotency-Key"] = str(uuid.uuid4())
        async with self._http.post(self._api + path, headers=headers, **kwargs) as resp:
            await _raise_for_problem(resp)
            result: dict[str, Any] = await resp.json()
            return result


async def _raise_for_problem(resp: aiohttp.ClientResponse) -> None:
    if resp.status < 400:
        return
    try:
        problem = await resp.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        problem = {"title": resp.reason, "detail": (await resp.text())[:200]}
    raise APIError(resp.status, problem)
