"""The HMAC of a push message and the back-off between attempts."""

from __future__ import annotations

import hashlib
import hmac
import random

from edocx.config import DeliverySettings
from edocx.delivery import signature
from edocx.delivery.pusher import backoff_s

SECRET = "k" * 43


def test_signature_is_hmac_of_timestamp_dot_body() -> None:
    body = "<edXML>Văn bản</edXML>".encode()
    value = signature.sign(SECRET, 1764896400, body)
    expected = hmac.new(
        SECRET.encode(), b"1764896400." + body, hashlib.sha256
    ).hexdigest()
    assert value == "sha256=" + expected


def test_receiver_check_refuses_tampering_and_replay() -> None:
    body, stamp = b"<edXML/>", 1764896400
    value = signature.sign(SECRET, stamp, body)
    good = {"timestamp": str(stamp), "signature": value}
    assert signature.verify(SECRET, body=body, now=stamp + 10, **good)
    assert not signature.verify(SECRET, body=body + b" ", now=stamp, **good)
    assert not signature.verify("x" * 43, body=body, now=stamp, **good)
    assert not signature.verify(SECRET, body=body, now=stamp + 301, **good)
    moved = {"timestamp": str(stamp + 1), "signature": value}
    assert not signature.verify(SECRET, body=body, now=stamp, **moved)
    assert not signature.verify(
        SECRET, body=body, now=stamp, timestamp="-1", signature=value
    )


def test_new_secrets_differ() -> None:
    secrets = {signature.new_secret() for _ in range(20)}
    assert len(secrets) == 20
    assert all(len(s) >= signature.MIN_SECRET for s in secrets)


def test_backoff_doubles_up_to_the_maximum_with_jitter() -> None:
    settings = DeliverySettings(
        push_backoff_initial_s=5, push_backoff_max_s=60, push_jitter=0.2
    )
    rng = random.Random(5)
    for attempt, base in ((1, 5), (2, 10), (3, 20), (4, 40), (5, 60), (30, 60)):
        waits = [backoff_s(settings, attempt, rng) for _ in range(200)]
        assert all(base * 0.8 <= w <= base * 1.2 for w in waits), attempt
        # The jitter spreads them: retries of many messages do not align.
        assert max(waits) - min(waits) > base * 0.2
    exact = DeliverySettings(push_backoff_initial_s=5, push_jitter=0)
    assert backoff_s(exact, 3, rng) == 20
