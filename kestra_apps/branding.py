"""The portal's branding, from the PORTAL_* settings (checked when the settings load): the
title, the logo, the banner and the footer's links every page shows, and the style sheet
that gives the pages their colours."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class Branding:
    title: str
    logo_url: str
    banner: str
    footer_links: list[tuple[str, str]]
    primary: str  # "" for the built-in colour
    accent: str

    @classmethod
    def from_settings(cls) -> Branding:
        return cls(
            title=settings.PORTAL_TITLE,
            logo_url=settings.PORTAL_LOGO_URL,
            banner=settings.PORTAL_BANNER,
            footer_links=list(settings.PORTAL_FOOTER_LINKS),
            primary=settings.PORTAL_PRIMARY_COLOR,
            accent=settings.PORTAL_ACCENT_COLOR,
        )

    @property
    def css(self) -> str:
        """The colours as CSS custom properties over portal.css's; empty when none is set.
        The values are #rgb or #rrggbb (kestra_apps.env.envcolor): nothing else gets in."""
        rules = []
        if self.primary:
            rules.append(f"--primary: {self.primary};")
        if self.accent:
            rules += [f"--accent: {self.accent};", f"--accent-fg: {_text_on(self.accent)};"]
        return f":root {{ {' '.join(rules)} }}\n" if rules else ""

    @property
    def css_version(self) -> str:
        """Changes with the colours, so a browser never keeps an old sheet."""
        return hashlib.sha256(self.css.encode()).hexdigest()[:12]


def _text_on(color: str) -> str:
    """Black or white, whichever reads better on `color` (WCAG's relative luminance)."""
    digits = color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    # Contrast with white is (1.05)/(L+0.05), with black (L+0.05)/0.05: equal at L≈0.179.
    return "#111111" if luminance > 0.179 else "#ffffff"


def branding(request: HttpRequest) -> dict[str, Any]:
    """The context processor: `branding` in every template."""
    return {"branding": Branding.from_settings()}
