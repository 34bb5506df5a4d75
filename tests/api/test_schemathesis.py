"""Schemathesis against the live server's /openapi.json: no input may produce a 5xx.

Every operation the schema lists gets a bounded number of generated requests, valid and
invalid ones, sent with an operator's bearer token (invalid cases also mangle it).
Operations on a room get a real room, hosted by the token's account, half of the time,
so they are exercised beyond 401 and 404. Generation is derandomized (the same requests
every run) and never shrinks. Schemathesis makes blocking HTTP calls, so it runs in a
worker thread while this test's loop serves.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok

from openlink.actions.operator import do_set_operator
from tests.conftest import Server
from tests.factories import make_room, make_user

# About 2,600 requests: longer than the suite's 120 s per test on a busy machine.
pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(360), pytest.mark.long]

#: Requests per operation and generation mode; about 66 operations x 2 modes.
MAX_EXAMPLES = 20
#: Never sign out the token the run authenticates with (revoking every session runs last).
SKIP = {("DELETE", "/api/sessions/current")}
#: 5xx answers that are the documented behaviour: oEmbed's 501 for a format other than
#: json (what the oEmbed specification asks for).
DELIBERATE_5XX = {("GET", "/oembed", 501)}
#: Run last, in this order: after them the room may be closed or no longer the token's,
#: and after the last one the token itself is revoked.
LAST = ("/leave", "/close", "/host", "/password", "/sessions/revoke")


#: The operations are fuzzed in this many parts, each a test with a server of its own, so
#: that the workers share the run instead of one of them finishing it alone.
PARTS = 4


def fuzz(base_url: str, token: str, room_id: str, part: int) -> tuple[list[str], Counter[int]]:
    """Failures (one per operation, with a curl command), and the statuses answered, for
    every ``PARTS``-th operation from ``part``."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=10)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # a route the schema cannot describe
        operations.append(result.ok())
    operations.sort(key=lambda op: (op.path, op.method))
    operations = operations[part::PARTS]
    operations.sort(key=lambda op: [op.path.endswith(end) for end in reversed(LAST)])
    headers = {"Authorization": f"Bearer {token}"}
    failures: dict[str, str] = {}
    statuses: Counter[int] = Counter()
    with requests.Session() as session:
        for op in operations:
            if (op.method.upper(), op.path) in SKIP:
                continue
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = op.as_strategy(generation_mode=mode)
                if "{room_id}" in op.path:
                    real = op.as_strategy(
                        generation_mode=mode, path_parameters={"room_id": room_id}
                    )
                    strategy = st.one_of(strategy, real)

                @given(case=strategy)
                @settings(
                    max_examples=MAX_EXAMPLES,
                    derandomize=True,
                    database=None,
                    deadline=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                def run(case: Any) -> None:
                    if case.operation.label in failures:
                        return
                    response = case.call(session=session, headers=headers, timeout=10)
                    statuses[response.status_code] += 1
                    label = (case.method.upper(), case.path, response.status_code)
                    if label in DELIBERATE_5XX:
                        return
                    try:
                        case.validate_response(
                            response, checks=[not_a_server_error], headers=headers
                        )
                    except FailureGroup as exc:
                        failures[case.operation.label] = str(exc)

                try:
                    run()
                except Unsatisfiable:
                    # No invalid request exists (an operation without inputs).
                    assert mode is GenerationMode.NEGATIVE, op.label
    return list(failures.values()), statuses


# Its length grows with the API (about 40 requests an operation): the suite's 120 s is for
# hung tests, and the whole run is 60-90 s on a quiet 2-core machine.
@pytest.mark.timeout(600)
@pytest.mark.parametrize("part", range(PARTS))
async def test_no_generated_request_gets_a_server_error(server: Server, part: int) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        user, token = await make_user(client)
        room = await make_room(client, token)
    # An operator, so that the operator's routes are exercised beyond 403 too.
    await do_set_operator(server.app.state.ctx, user["username"], True)
    started = time.monotonic()
    failures, statuses = await asyncio.to_thread(fuzz, server.url, token, room["room"]["id"], part)
    elapsed = time.monotonic() - started
    assert not failures, "\n\n".join(failures)
    print(
        f"schemathesis: {statuses.total()} requests in {elapsed:.1f} s: {sorted(statuses.items())}"
    )
    # Authenticated requests got through: not everything was refused at the door.
    assert statuses[200] + statuses[201] + statuses[204] > 100 // PARTS, statuses
