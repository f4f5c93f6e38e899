"""App thumbnails: an absolute http(s) URL shown as it is, or a namespace file
(`thumbnail: nsfiles:///logo.svg`, Kestra's form) read through Kestra's namespace files
API, kept in the `thumbnails` cache and served by the portal at the app's thumbnail URL.

What is served is an image of a known kind (by the file's extension, its first bytes
agreeing) no larger than THUMBNAIL_MAX_BYTES; anything else, a missing file or Kestra down
is no thumbnail: the card, the page header and the API show none, nothing fails. A failed
read is remembered for THUMBNAIL_RETRY_SECONDS (Kestra not answering: for every file), so
pages do not ask Kestra on every view; a file read is kept THUMBNAIL_CACHE_SECONDS.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.cache import caches
from django.urls import reverse

from executions.kestra import KestraError, KestraUnavailable, get_client

NAMESPACE_FILE_SCHEMES = ("nsfiles", "nsfile")  # Kestra's Apps docs write the first
CACHE = "thumbnails"

# The kinds served, by extension, and how such a file begins (an SVG: its `<svg` tag is
# looked for in the first KiB, after an XML declaration or comments).
CONTENT_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
}


@dataclass(frozen=True)
class Thumbnail:
    content: bytes
    content_type: str

    @property
    def version(self) -> str:
        """A short digest of the content: the URL changes when the file does."""
        return hashlib.sha256(self.content).hexdigest()[:12]


def web_url(thumbnail: str) -> str | None:
    """The thumbnail when it is an absolute http(s) URL: nothing else is put in a page."""
    parts = urlsplit(thumbnail.strip())
    if parts.scheme in {"http", "https"} and parts.netloc:
        return thumbnail.strip()
    return None


def namespace_file_path(thumbnail: str) -> str | None:
    """The path in the app's namespace of an `nsfiles:///logo.svg` thumbnail ("/logo.svg"),
    when it names a file of a kind served; None for anything else. Kestra's namespace files
    of an app are those of its own namespace: a URI naming another (`nsfiles://other/x`) is
    not one."""
    parts = urlsplit(thumbnail.strip())
    if parts.scheme.lower() not in NAMESPACE_FILE_SCHEMES or parts.netloc:
        return None
    path = posixpath.normpath("/" + unquote(parts.path).lstrip("/"))
    if path == "/" or path.startswith("/_flows") or _extension(path) not in CONTENT_TYPES:
        return None
    return path


def _extension(path: str) -> str:
    return posixpath.splitext(path)[1].lstrip(".").lower()


def _is_image(path: str, content: bytes) -> bool:
    extension = _extension(path)
    if extension == "svg":
        head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        return head.startswith(b"<") and b"<svg" in head
    if extension == "webp":
        return content[:4] == b"RIFF" and content[8:12] == b"WEBP"
    return content.startswith(_SIGNATURES[extension])


def _cache_key(namespace: str, path: str) -> str:
    digest = hashlib.sha256(f"{namespace}\n{path}".encode()).hexdigest()
    return f"nsfile:{digest}"


# Set while Kestra did not answer a read lately: no page asks it for pictures until then.
KESTRA_DOWN = "kestra-down"


class ThumbnailReader:
    """Reads namespace-file thumbnails, through the cache. Once Kestra fails to answer,
    nobody asks it for pictures for THUMBNAIL_RETRY_SECONDS: a page of cards waits on a
    Kestra that is down at most once (THUMBNAIL_TIMEOUT) in that time, not once per card."""

    def __init__(self) -> None:
        self._kestra_down: bool | None = None  # asked of the cache on the first miss

    @property
    def kestra_down(self) -> bool:
        if self._kestra_down is None:
            self._kestra_down = bool(caches[CACHE].get(KESTRA_DOWN))
        return self._kestra_down

    def read(self, namespace: str, thumbnail: str) -> Thumbnail | None:
        path = namespace_file_path(thumbnail)
        if path is None:
            return None
        cache = caches[CACHE]
        key = _cache_key(namespace, path)
        cached = cache.get(key)
        if cached is not None:
            content, content_type = cached
            return Thumbnail(content, content_type) if content else None
        if self.kestra_down:
            return None
        found = self._fetch(namespace, path)
        if found is None:
            cache.set(key, (b"", ""), settings.THUMBNAIL_RETRY_SECONDS)
        else:
            cache.set(key, (found.content, found.content_type), settings.THUMBNAIL_CACHE_SECONDS)
        return found

    def _fetch(self, namespace: str, path: str) -> Thumbnail | None:
        limit = settings.THUMBNAIL_MAX_BYTES
        try:
            content = get_client().namespace_file(
                namespace, path, max_bytes=limit, timeout=settings.THUMBNAIL_TIMEOUT
            )
        except KestraUnavailable:
            self._kestra_down = True
            caches[CACHE].set(KESTRA_DOWN, True, settings.THUMBNAIL_RETRY_SECONDS)
            return None
        except KestraError:  # no such file, or Kestra refuses the path
            return None
        if len(content) > limit or not _is_image(path, content):
            return None
        return Thumbnail(content, CONTENT_TYPES[_extension(path)])

    def url(self, *, uid: str, namespace: str, thumbnail: str) -> str | None:
        """Where a page shows the app's thumbnail: a web URL as it is, the portal's URL of
        a namespace file that is there, else None (no thumbnail)."""
        if web := web_url(thumbnail):
            return web
        found = self.read(namespace, thumbnail)
        if found is None:
            return None
        return f"{reverse('apps_catalog:thumbnail', kwargs={'uid': uid})}?v={found.version}"


def thumbnail_read(*, namespace: str, thumbnail: str) -> Thumbnail | None:
    """The namespace file an app's `thumbnail` names, if it is there and an image."""
    return ThumbnailReader().read(namespace, thumbnail)


def thumbnail_url(*, uid: str, namespace: str, thumbnail: str) -> str | None:
    """ThumbnailReader.url for one app."""
    return ThumbnailReader().url(uid=uid, namespace=namespace, thumbnail=thumbnail)


def thumbnail_src(*, namespace: str, thumbnail: str) -> str | None:
    """The thumbnail of an app that may not be saved yet (the admin's preview): a web URL,
    or the namespace file as a data: URL, which the sandboxed preview can show."""
    if web := web_url(thumbnail):
        return web
    found = thumbnail_read(namespace=namespace, thumbnail=thumbnail)
    if found is None:
        return None
    return f"data:{found.content_type};base64,{base64.b64encode(found.content).decode()}"
