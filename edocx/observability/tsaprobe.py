"""Whether a TSA answers: one real RFC 3161 request, bounded and cached.

The health check asks the TSA for a timestamp of a random digest with a
nonce, as a signature would, and accepts only a TimeStampResp whose status
is granted (RFC 3161 §2.4.2: 0 or 1) carrying a token over that digest and
nonce. An answer is kept for a few seconds: a load balancer polling
``/healthz`` every second must not become a load on the TSA.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from dataclasses import dataclass

import aiohttp
from asn1crypto import algos, tsp

from edocx.signing.tsa import shown_url

QUERY_TYPE = "application/timestamp-query"
# A timestamp response is a few KB; more is not a TSA answering.
_ANSWER_LIMIT = 1 << 20
_GRANTED = ("granted", "granted_with_mods")


@dataclass(frozen=True)
class ProbeResult:
    """One TSA's answer to the probe: ``ok`` and, when not, why not."""

    url: str
    ok: bool
    detail: str
    seconds: float


async def probe_tsa(url: str, *, timeout_s: float) -> ProbeResult:
    """Ask ``url`` for one timestamp; say whether a valid answer came back."""
    digest = hashlib.sha256(secrets.token_bytes(32)).digest()
    nonce = secrets.randbits(63)
    start = time.perf_counter()
    try:
        body = await _post(url, _request(digest, nonce), timeout_s)
        problem = _check_answer(body, digest, nonce)
    except TimeoutError:
        problem = f"no answer within {timeout_s:g} s"
    except _RefusedError as e:
        problem = str(e)
    except aiohttp.ClientError as e:
        problem = f"unreachable ({type(e).__name__})"
    seconds = time.perf_counter() - start
    shown = shown_url(url)
    return ProbeResult(shown, problem is None, problem or "granted", seconds)


def _request(digest: bytes, nonce: int) -> bytes:
    request = tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": tsp.MessageImprint(
                {
                    "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                    "hashed_message": digest,
                }
            ),
            "nonce": nonce,
            "cert_req": False,
        }
    )
    encoded: bytes = request.dump()
    return encoded


async def _post(url: str, body: bytes, timeout_s: float) -> bytes:
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    headers = {"Content-Type": QUERY_TYPE}
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.post(url, data=body, headers=headers) as answer,
    ):
        if answer.status != 200:
            raise _RefusedError(f"HTTP {answer.status}")
        data = await answer.content.read(_ANSWER_LIMIT + 1)
        if len(data) > _ANSWER_LIMIT:
            raise _RefusedError("answer larger than 1 MiB")
        return data


class _RefusedError(Exception):
    pass


def _check_answer(body: bytes, digest: bytes, nonce: int) -> str | None:
    """Return None for a granted token over ``digest`` and ``nonce``, else why."""
    try:
        answer = tsp.TimeStampResp.load(body)
        status = answer["status"]["status"].native
        if status not in _GRANTED:
            return f"the TSA refused: {status}"
        signed = answer["time_stamp_token"]["content"]
        info = signed["encap_content_info"]["content"].parsed
        imprint = info["message_imprint"]["hashed_message"].native
        if imprint != digest or info["nonce"].native != nonce:
            return "the token is not for the request sent"
    except (ValueError, TypeError, KeyError) as e:
        return f"the answer is no timestamp response ({type(e).__name__})"
    return None


class TSAProbe:
    """The probe's last answer per TSA, kept ``cache_s`` seconds.

    Concurrent checks wait for the probe in flight instead of sending their
    own.
    """

    def __init__(self, *, timeout_s: float, cache_s: float) -> None:
        self._timeout_s = timeout_s
        self._cache_s = cache_s
        self._kept: dict[str, tuple[float, ProbeResult]] = {}
        self._lock = asyncio.Lock()

    async def check(self, url: str) -> ProbeResult:
        async with self._lock:
            kept = self._kept.get(url)
            now = time.monotonic()
            if kept is not None and now - kept[0] < self._cache_s:
                return kept[1]
            result = await probe_tsa(url, timeout_s=self._timeout_s)
            self._kept[url] = (time.monotonic(), result)
            return result
