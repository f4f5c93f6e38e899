"""Media types the Apps API reads and writes besides JSON: YAML sources in, files,
ZIP archives and event streams out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from django.conf import settings
from rest_framework import negotiation, parsers, renderers
from rest_framework.exceptions import NotAcceptable, ParseError
from rest_framework.renderers import BaseRenderer

from apps_catalog.definition import MAX_SOURCE_BYTES


class YamlSourceParser(parsers.BaseParser):
    """An app's YAML source, kept as the text it is: the portal stores sources as written."""

    media_type = "application/x-yaml"

    # DRF keeps whatever a parser returns as request.data; the stubs allow only mappings.
    def parse(  # type: ignore[override]
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None
    ) -> str:
        raw = stream.read(MAX_SOURCE_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_SOURCE_BYTES:
            raise ParseError(f"The source is larger than {MAX_SOURCE_BYTES} bytes.")
        charset = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            return raw.decode(charset)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"The source is not {charset} text: {exc}") from exc


class YamlParser(YamlSourceParser):
    media_type = "application/yaml"


class TextYamlParser(YamlSourceParser):
    media_type = "text/yaml"


YAML_PARSERS = [YamlSourceParser, YamlParser, TextYamlParser]


class _Passthrough(renderers.BaseRenderer):
    """For views that answer with their own HttpResponse: only content negotiation needs it."""

    charset = None
    render_style = "binary"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return data if isinstance(data, bytes) else b""


def _passthrough(name: str, media_type: str, format: str) -> type[BaseRenderer]:
    return type(name, (_Passthrough,), {"media_type": media_type, "format": format})


OctetStreamRenderer = _passthrough("OctetStreamRenderer", "application/octet-stream", "bin")
ZipRenderer = _passthrough("ZipRenderer", "application/zip", "zip")
PlainTextRenderer = _passthrough("PlainTextRenderer", "text/plain", "txt")
EventStreamRenderer = _passthrough("EventStreamRenderer", "text/event-stream", "sse")


class LenientNegotiation(negotiation.DefaultContentNegotiation):
    """Each endpoint has one representation: answer with it whatever the Accept header says
    (kestrapy asks for octet-stream on downloads), rather than 406."""

    def select_renderer(
        self, request: Any, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            first = next(iter(renderers))
            return first, first.media_type
