"""Bodies and answers of the CMS and message-override routes."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from innkeeper.kit.outputs import Instant, Out

#: a page's address: lower case letters, digits and dashes
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")]
#: 100,000 characters of HTML is a long page; more is refused (422), not truncated
MAX_PAGE_HTML = 100_000


class PageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    body_html: Annotated[str, Field(max_length=MAX_PAGE_HTML)]
    published: bool = False


class PageOut(Out):
    id: str
    slug: str
    property_id: str | None
    title: str
    #: sanitized when saved: safe to render as it is
    body_html: str
    published: bool
    published_at: Instant | None
    updated_at: Instant


class OverrideIn(BaseModel):
    """Either may be left out (or null): that part stays the template's. ``{placeholders}`` listed by
    ``GET /properties/{id}/message-templates`` are filled in; the text is plain (escaped in HTML)."""

    model_config = ConfigDict(extra="forbid")

    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = (
        None
    )
    intro: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)] | None = (
        None
    )


class OverrideOut(Out):
    template: str
    locale: str
    subject: str | None
    intro: str | None
    updated_at: Instant


class TemplateOut(Out):
    """A guest message the property may override, with its overrides per language."""

    template: str
    placeholders: list[str]
    locales: list[str]
    overrides: list[OverrideOut]
