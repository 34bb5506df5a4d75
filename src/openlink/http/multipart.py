"""The file of a ``multipart/form-data`` upload, as it streams in: its name and its bytes,
never the whole body in memory or on disk twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header

from openlink.errors import InvalidInput

#: The form field that carries the file.
FILE_FIELD = b"file"


def bad_form(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_multipart")


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    field: bytes = b""
    value: bytes = b""


class FilePart:
    """Feeds the body to a push parser and keeps what the ``file`` field holds."""

    def __init__(self, content_type: str) -> None:
        _, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if not boundary:
            raise bad_form("A multipart body needs a boundary.")
        self.filename: str | None = None
        self.found = False
        self._done = False
        self._in_file = False
        self._part = _Part()
        self._out: list[bytes] = []
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._begin,
                "on_header_field": self._field,
                "on_header_value": self._value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_done,
                "on_part_data": self._data,
                "on_part_end": self._end,
            },
        )

    def _begin(self) -> None:
        self._part = _Part()

    def _field(self, data: bytes, start: int, end: int) -> None:
        self._part.field += data[start:end]

    def _value(self, data: bytes, start: int, end: int) -> None:
        self._part.value += data[start:end]

    def _header_end(self) -> None:
        self._part.headers[self._part.field.lower()] = self._part.value
        self._part.field = self._part.value = b""

    def _headers_done(self) -> None:
        _, params = parse_options_header(self._part.headers.get(b"content-disposition", b""))
        if params.get(b"name") == FILE_FIELD and not self.found:
            self.found = self._in_file = True
            raw = params.get(b"filename")
            self.filename = raw.decode("utf-8", "replace") if raw is not None else None

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._out.append(data[start:end])

    def _end(self) -> None:
        if self._in_file:
            self._in_file, self._done = False, True

    def feed(self, chunk: bytes) -> list[bytes]:
        try:
            self.parser.write(chunk)
        except Exception as exc:  # the parser's own errors: a malformed body
            raise bad_form(f"The multipart body is malformed: {exc}") from None
        out, self._out = self._out, []
        return out


async def file_of(
    content_type: str, body: AsyncIterator[bytes]
) -> tuple[str | None, AsyncIterator[bytes]]:
    """The ``file`` field's name and its bytes. Reads the body until the field's headers
    have passed (so the name is known), then streams the rest as it is consumed."""
    form = FilePart(content_type)
    first: list[bytes] = []
    async for chunk in body:
        first.extend(form.feed(chunk))
        if form.found:
            break
    if not form.found:
        raise bad_form("The form has no 'file' field.")

    async def rest() -> AsyncIterator[bytes]:
        for chunk in first:
            yield chunk
        async for chunk in body:
            for piece in form.feed(chunk):
                yield piece
        form.parser.finalize()
        if not form._done:
            raise bad_form("The multipart body ended inside the file.")

    return form.filename, rest()
