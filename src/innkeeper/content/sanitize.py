"""The one place page HTML is made safe: ``nh3`` (ammonia) with an allow-list, on save.

Only the tags and attributes below survive; everything else is dropped (``script``, ``style``,
``iframe``, ``object``, ``form``, ``svg``, ``math`` with their content), every event handler
(``on*``) and ``style`` attribute goes, and links and images may point only at ``http``, ``https``,
``mailto`` and ``tel`` URLs or relative paths: ``javascript:``, ``vbscript:`` and ``data:`` are removed
however they are spelled or encoded (ammonia parses the HTML as a browser would, then rebuilds it).
Links get ``rel="noopener noreferrer nofollow"``.
"""

from __future__ import annotations

TAGS = frozenset(
    "a abbr b blockquote br caption code dd del div dl dt em figcaption figure h1 h2 h3 h4 h5 h6 hr i img "
    "ins kbd li mark ol p pre q s small span strong sub sup table tbody td tfoot th thead tr u ul".split()
)
ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
    "*": {"lang", "dir"},
}
#: removed together with what they contain, not just unwrapped
DROP_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"}
)
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def clean_html(html: str) -> str:
    import nh3  # ~1.5 MB of every process; only saving a page needs it

    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
