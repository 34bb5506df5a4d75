"""The opening handshake's fast path agrees with ``websockets``.

``plain_upgrade_key`` decides which upgrade requests the server answers itself, from what
uvicorn's HTTP parser read; everything else goes to ``websockets`` as before. Whatever it
takes, ``websockets`` must have accepted too, with the same Sec-WebSocket-Accept and
nothing negotiated; and the requests browsers and the bench send must take it, or the
connect would quietly pay for the second parse again.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.http11 import Request
from websockets.server import ServerProtocol

from openlink.realtime.server import accept_key, plain_upgrade_key, request_bytes

KEY = b"dGhlIHNhbXBsZSBub25jZQ=="

BROWSER = [
    (b"host", b"chat.example:8000"),
    (b"connection", b"Upgrade"),
    (b"pragma", b"no-cache"),
    (b"cache-control", b"no-cache"),
    (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120"),
    (b"upgrade", b"websocket"),
    (b"origin", b"https://chat.example"),
    (b"sec-websocket-version", b"13"),
    (b"accept-encoding", b"gzip, deflate, br"),
    (b"accept-language", b"ko-KR,ko;q=0.9,en;q=0.8"),
    (b"sec-websocket-key", KEY),
    (b"sec-websocket-extensions", b"permessage-deflate; client_max_window_bits"),
]
FIREFOX = [
    (b"host", b"chat.example"),
    (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"),
    (b"sec-websocket-version", b"13"),
    (b"origin", b"https://chat.example"),
    (b"sec-websocket-extensions", b"permessage-deflate"),
    (b"sec-websocket-key", KEY),
    (b"connection", b"keep-alive, Upgrade"),
    (b"upgrade", b"websocket"),
]
BENCH = [
    (b"host", b"127.0.0.1:8000"),
    (b"upgrade", b"websocket"),
    (b"connection", b"Upgrade"),
    (b"sec-websocket-key", KEY),
    (b"sec-websocket-version", b"13"),
]


def websockets_accepts(method: str, url: bytes, headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The Sec-WebSocket-Accept ``websockets`` answers the request with, as uvicorn hands
    it over (written out again), if it answers 101 with nothing negotiated."""
    proto = ServerProtocol()
    proto.receive_data(request_bytes(method, url, headers))
    events = proto.events_received()
    if not events or not isinstance(events[0], Request):
        return None
    response = proto.accept(events[0])
    if response.status_code != 101:
        return None
    assert "Sec-WebSocket-Extensions" not in response.headers
    assert "Sec-WebSocket-Protocol" not in response.headers
    return response.headers["Sec-WebSocket-Accept"].encode()


def test_what_browsers_and_the_bench_send_takes_the_fast_path() -> None:
    for headers in (BROWSER, FIREFOX, BENCH):
        assert plain_upgrade_key("GET", b"/ws", headers, extensions=False) == KEY
        assert websockets_accepts("GET", b"/ws", headers) == accept_key(KEY)


def test_rfc_6455_s_example_key_gets_its_accept() -> None:
    assert accept_key(KEY) == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_anything_to_negotiate_or_refuse_goes_to_websockets() -> None:
    def without(name: bytes) -> list[tuple[bytes, bytes]]:
        return [(k, v) for k, v in BENCH if k != name]

    def replaced(name: bytes, value: bytes) -> list[tuple[bytes, bytes]]:
        return [*without(name), (name, value)]

    unusual = [
        without(b"sec-websocket-key"),
        without(b"sec-websocket-version"),
        without(b"upgrade"),
        without(b"connection"),
        replaced(b"sec-websocket-key", b"short=="),
        replaced(b"sec-websocket-version", b"8"),
        replaced(b"connection", b"keep-alive"),
        replaced(b"upgrade", b"h2c"),
        [*BENCH, (b"sec-websocket-protocol", b"chat")],
        [*BENCH, (b"content-length", b"0")],
        [*BENCH, (b"transfer-encoding", b"chunked")],
        [*BENCH, (b"origin", b"https://a.example"), (b"origin", b"https://b.example")],
        [*BENCH, (b"x-long", b"a" * 9000)],
        [*BENCH, *((f"x-h{i}".encode(), b"v") for i in range(130))],
    ]
    for headers in unusual:
        assert plain_upgrade_key("GET", b"/ws", headers, extensions=False) is None, headers
    assert plain_upgrade_key("POST", b"/ws", BENCH, extensions=False) is None
    # With compression on offer, an offer of it must be negotiated by websockets.
    assert plain_upgrade_key("GET", b"/ws", BROWSER, extensions=True) is None
    assert plain_upgrade_key("GET", b"/ws", BENCH, extensions=True) == KEY


_NAMES = [
    b"host",
    b"connection",
    b"upgrade",
    b"origin",
    b"sec-websocket-key",
    b"sec-websocket-version",
    b"sec-websocket-protocol",
    b"content-length",
    b"x-a",
    b"bad name",
    b"",
]
_VALUES = [
    b"Upgrade",
    b"keep-alive, Upgrade",
    b"Upgrade,",
    b", Upgrade",
    b"websocket",
    b"WebSocket",
    b"websocket, h2c",
    b"13",
    b"8",
    KEY,
    b"AAECAwQFBgcICQoLDA0ODw==",
    b"AAECAwQFBgcICQoLDA0O",
    b"not base64 at all!!!!!==",
    b"0",
    b"",
    b" x",
    b"\tx",
    b"caf\xe9",
    b"a\x7fb",
    b"a\x01b",
    b"chat;v=1",
]


@settings(max_examples=400, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST"]),
    url=st.sampled_from([b"/ws", b"/ws?x=1", b"/w%73", b"/caf\xc3\xa9"]),
    base=st.sampled_from([BENCH, FIREFOX]),
    changes=st.lists(st.tuples(st.sampled_from(_NAMES), st.sampled_from(_VALUES)), max_size=4),
    drop=st.sets(st.sampled_from(_NAMES), max_size=2),
)
def test_the_fast_path_takes_only_what_websockets_accepts(
    method: str,
    url: bytes,
    base: list[tuple[bytes, bytes]],
    changes: list[tuple[bytes, bytes]],
    drop: set[bytes],
) -> None:
    headers = [(k, v) for k, v in base if k not in drop] + changes
    key = plain_upgrade_key(method, url, headers, extensions=False)
    if key is not None:
        assert websockets_accepts(method, url, headers) == accept_key(key)
