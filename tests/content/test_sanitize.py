# ruff: noqa: E501 (the attack strings are quoted as published)
"""Page HTML is sanitized on save: cases from the OWASP XSS filter evasion cheat sheet, and more.

Pure unit tests of ``content.sanitize`` (no database); ``test_pages.py`` checks that the API stores
only the cleaned HTML."""

from __future__ import annotations

import html
import re

import pytest

from innkeeper.content.sanitize import clean_html

# (https://cheatsheetseries.owasp.org/cheatsheets/XSS_Filter_Evasion_Cheat_Sheet.html)
VECTORS = [
    "<script>alert('XSS')</script>",
    "<SCRIPT SRC=https://cdn.jsdelivr.net/gh/Moksh45/host-xss.rocks/index.js></SCRIPT>",
    "javascript:/*--></title></style></textarea></script></xmp><svg/onload='+/\"`/+/onmouseover=1/+/[*/[]/+alert(42);//'>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '<a onmouseover="alert(document.cookie)">xxs link</a>',
    "<a onmouseover=alert(document.cookie)>xxs link</a>",
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    "<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    "<IMG SRC= onmouseover=\"alert('xxs')\">",
    "<IMG onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">',
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0D;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    '<SCRIPT/XSS SRC="http://xss.rocks/xss.js"></SCRIPT>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    '<SCRIPT/SRC="http://xss.rocks/xss.js"></SCRIPT>',
    '<<SCRIPT>alert("XSS");//\\<</SCRIPT>',
    "<SCRIPT SRC=http://xss.rocks/xss.js?< B >",
    "<SCRIPT SRC=//xss.rocks/.j>",
    "<IMG SRC=\"`<javascript:alert>`('XSS')\"",
    "<iframe src=http://xss.rocks/scriptlet.html <",
    '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<IMG DYNSRC=\"javascript:alert('XSS')\">",
    "<IMG LOWSRC=\"javascript:alert('XSS')\">",
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    "<IMG SRC='vbscript:msgbox(\"XSS\")'>",
    "<svg/onload=alert('XSS')>",
    "<BODY ONLOAD=alert('XSS')>",
    "<BGSOUND SRC=\"javascript:alert('XSS');\">",
    "<BR SIZE=\"&{alert('XSS')}\">",
    '<LINK REL="stylesheet" HREF="javascript:alert(\'XSS\');">',
    "<STYLE>@import'http://xss.rocks/xss.css';</STYLE>",
    '<META HTTP-EQUIV="Link" Content="<http://xss.rocks/xss.css>; REL=stylesheet">',
    '<STYLE>BODY{-moz-binding:url("http://xss.rocks/xssmoz.xml#xss")}</STYLE>',
    "<IMG STYLE=\"xss:expr/*XSS*/ession(alert('XSS'))\">",
    "<STYLE TYPE=\"text/javascript\">alert('XSS');</STYLE>",
    "<STYLE>.XSS{background-image:url(\"javascript:alert('XSS')\");}</STYLE><A CLASS=XSS></A>",
    '<STYLE type="text/css">BODY{background:url("javascript:alert(\'XSS\')")}</STYLE>',
    '<XSS STYLE="behavior: url(xss.htc);">',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">',
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    '<IFRAME SRC=# onmouseover="alert(document.cookie)"></IFRAME>',
    "<FRAMESET><FRAME SRC=\"javascript:alert('XSS');\"></FRAMESET>",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "<TABLE><TD BACKGROUND=\"javascript:alert('XSS')\">",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<DIV STYLE=\"background-image:\\0075\\0072\\006C\\0028'\\006a\\0061\\0076\\0061\\0073\\0063\\0072\\0069\\0070\\0074\\003a\\0061\\006c\\0065\\0072\\0074\\0028.1027\\0058.1053\\0053\\0027\\0029'\\0029\">",
    "<DIV STYLE=\"width: expression(alert('XSS'));\">",
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    '<OBJECT TYPE="text/x-scriptlet" DATA="http://xss.rocks/scriptlet.html"></OBJECT>',
    '<EMBED SRC="data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDAvc3ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv MjAwMC9zdmciIHhtbG5zOnhsaW5rPSJodHRwOi8vd3d3LnczLm9yZy8xOTk5L3hs aW5rIiB2ZXJzaW9uPSIxLjAiIHg9IjAiIHk9IjAiIHdpZHRoPSIxOTQiIGhlaWdodD0iMjAw IiBpZD0ieHNzIj48c2NyaXB0IHR5cGU9InRleHQvZWNtYXNjcmlwdCI+YWxlcnQoIlh TUyIpOzwvc2NyaXB0Pjwvc3ZnPg==" type="image/svg+xml" AllowScriptAccess="always"></EMBED>',
    '<SCRIPT a=">" SRC="httx://xss.rocks/xss.js"></SCRIPT>',
    '<SCRIPT =">" SRC="httx://xss.rocks/xss.js"></SCRIPT>',
    '<SCRIPT "a=\'>\'" SRC="httx://xss.rocks/xss.js"></SCRIPT>',
    '<SCRIPT>document.write("<SCRI");</SCRIPT>PT SRC="httx://xss.rocks/xss.js"></SCRIPT>',
    "<A HREF=\"javascript:document.location='http://www.google.com/'\">XSS</A>",
    '<A HREF="  javascript:alert(1)">XSS</A>',
    '<A HREF="java&#115;cript:alert(1)">XSS</A>',
    '<A HREF="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">XSS</A>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<details open ontoggle=alert(1)>",
    '<video><source onerror="alert(1)"></video>',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="javas&#99;ript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<a href="\\x6A\\x61vascript:alert(1)">x</a>',
    '<a href="JAVASCRIPT:alert(1)">x</a>',
    "<template><script>alert(1)</script></template>",
    '<object data="javascript:alert(1)"></object>',
    "<p onclick=alert(1)>click</p>",
    "<div onpointerover=alert(1)>x</div>",
    '<span style="color:red" onfocus=alert(1) tabindex=1>x</span>',
]
#: elements that must never come out as markup (escaped as text, ``&lt;script&gt;``, is harmless)
_FORBIDDEN_TAGS = re.compile(
    r"<\s*/?\s*(script|style|iframe|frame|frameset|object|embed|svg|math|base|meta|link|form|input|body|"
    r"bgsound|xss|template|noscript)\b",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[a-z][^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'\s([a-z-]+)="([^"]*)"', re.IGNORECASE)


def _scheme_of(url: str) -> str:
    """What a browser would read as the URL's scheme: entities decoded, leading controls and spaces
    dropped, tabs and newlines inside removed."""
    text = html.unescape(url).lstrip("".join(chr(c) for c in range(33)))
    text = re.sub(r"[\t\n\r]", "", text).lower()
    match = re.match(r"([a-z][a-z0-9+.-]*):", text)
    return match.group(1) if match else ""


def assert_safe(cleaned: str) -> None:
    assert not _FORBIDDEN_TAGS.search(cleaned), cleaned
    assert not re.search(r"<[^>]*[\s/]on[a-z]+\s*=", cleaned, re.IGNORECASE), cleaned  # quoted or not
    for tag in _TAG.findall(cleaned):
        for name, value in _ATTR.findall(tag):
            assert not name.lower().startswith("on"), cleaned
            assert name.lower() != "style", cleaned
            if name.lower() in ("href", "src"):
                assert _scheme_of(value) in ("", "http", "https", "mailto", "tel"), cleaned


@pytest.mark.parametrize("vector", VECTORS)
def test_owasp_vectors_come_out_harmless(vector: str) -> None:
    cleaned = clean_html(vector)
    assert_safe(cleaned)
    assert clean_html(cleaned) == cleaned  # stable: cleaning twice changes nothing more


def test_ordinary_content_survives() -> None:
    page = (
        "<h2>House rules</h2><p>Quiet after <strong>22:00</strong>. <em>No</em> smoking.</p>"
        '<ul><li>Check-in from 15:00</li></ul><p><a href="https://example.com/map">Map</a> · '
        '<a href="/properties/sol/pages/terms">Terms</a> · <a href="mailto:desk@example.com">Mail</a></p>'
        '<img src="https://example.com/a.jpg" alt="Pool"><table><tr><th>Day</th><td>Open</td></tr></table>'
    )
    cleaned = clean_html(page)
    for kept in (
        "<h2>House rules</h2>",
        "<strong>22:00</strong>",
        "<li>Check-in from 15:00</li>",
        'href="https://example.com/map"',
        'href="/properties/sol/pages/terms"',
        'href="mailto:desk@example.com"',
        'src="https://example.com/a.jpg"',
        "<th>Day</th>",
    ):
        assert kept in cleaned, (kept, cleaned)
    assert 'rel="noopener noreferrer nofollow"' in cleaned
