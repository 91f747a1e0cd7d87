"""The member pages (issue 7): sign in, register, my outages, alert settings (``/members``) and the pages
e-mailed links open (``/members/activate``, ``/members/reset``, ``/members/confirm``,
``/members/unsubscribe``), plus reporting an outage without signing in (``/members/report``).

Like the other pages they hold no data: the shared script ``/static/members.js`` calls the member JSON
API (``/api/members/...``) with the member's bearer token (kept in sessionStorage) and shows the API's
``detail`` next to the field it names.  Phone first (375 px, big tap targets), English and Spanish with the
choice remembered in localStorage under the public map's key, so both follow one choice.  The pages are
``templates/members/<page>.html`` in English; every text of both languages is in :mod:`outages.members.texts`,
and the pages carry them in their page-config JSON.  Tokens from links are read by the script, never echoed
into the HTML, and the pages ask browsers not to send them on in a Referer.

**Which language a page speaks** (issue 15): the device's choice wins.  A page speaks the language toggled on
this device (kept in localStorage), else the browser's own (``navigator.language``: a phone set to Spanish
reads Spanish), never the account's: signing in does not flip a Spanish phone to English because the account
says ``en``.  The account's language is what its e-mails and alerts are written in: registration sends the
page's language (the form's language choice starts at it), and toggling the language while signed in saves
the new one on the account too (``PATCH /api/members/me``), so one tap changes both.  Times read in the
cooperative's zone, named CST or CDT in both languages.

The report page and the member home carry the safety banner (a downed line is always live; 911, then the
co-op's number from :attr:`reports.settings.CooperativeSettings.cooperative_phone` as ``tel:`` links).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape

from dashboards.pages.templating import page_response
from dashboards.settings import get_settings
from outages.members.texts import TEXTS
from reports.member_alerts import get_sms_settings

router = APIRouter(include_in_schema=False)

LANG_KEY = "outageMap.lang"  # shared with the public map: one choice for both
TOKEN_KEY = "outages.memberToken"  # not the staff pages' key: a member token is no staff token
REFRESH_SECONDS = 60
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

# page -> (title key, links to the other pages); the page's body is templates/members/<page>.html
PAGES = {
    "home": ("title_home", ("map", "report")),
    "activate": ("title_activate", ("account", "map", "report")),
    "reset": ("title_reset", ("account", "map", "report")),
    "report": ("title_report", ("account", "map")),
    "confirm": ("title_confirm", ("map", "report", "account")),
    "unsubscribe": ("title_unsubscribe", ("map", "report", "account")),
}
NAV = {"map": ("/map", "nav_map"), "report": ("/members/report", "nav_report"), "account": ("/members", "nav_account")}


def by_language(texts: dict[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    """``{"en": {key: English}, "es": {key: Spanish}}``: the texts as a page's config carries them."""
    return {lang: {key: pair[k] for key, pair in texts.items()} for k, lang in enumerate(("en", "es"))}


# the member pages' texts: the whole catalogue but the public map's own
PAGE_TEXTS = by_language({key: pair for key, pair in TEXTS.items() if not key.startswith("map_")})


def tel_target(phone: str) -> str:
    """A phone number as a ``tel:`` link's target: its digits, +1 before a ten-digit North American number."""
    digits = "".join(c for c in phone if c.isdigit())
    return "+" + digits if phone.strip().startswith("+") else "+1" + digits if len(digits) == 10 else digits


def linked_safety(text: str, phone: str) -> Markup:
    """The safety banner's text with ``{911}`` and ``{phone}`` as ``tel:`` links (members.js does the same
    when the language changes)."""
    return (
        Markup(escape(text))
        .replace("{911}", Markup('<a href="tel:911">911</a>'))
        .replace("{phone}", Markup('<a href="tel:{}">{}</a>').format(tel_target(phone), phone))
    )


def render_page(request: Request, page: str) -> Response:
    """One member page: the bar with the language toggle, links to the other pages, the page's body."""
    title_key, links = PAGES[page]
    phone = get_settings().cooperative_phone
    config = {
        "page": page,
        "lang_key": LANG_KEY,
        "token_key": TOKEN_KEY,
        "refresh": REFRESH_SECONDS,
        "title_key": title_key,
        "texts": PAGE_TEXTS,
        "phone": phone,
        "phone_tel": tel_target(phone),
        "texts_available": get_sms_settings().available,
    }
    return page_response(
        request,
        f"members/{page}.html",
        config=config,
        headers=HEADERS,
        en=PAGE_TEXTS["en"],
        nav=[NAV[name] for name in links],
        safety=linked_safety(PAGE_TEXTS["en"]["safety_banner"], phone),
        texts_available=config["texts_available"],
    )


@router.get("/members", response_class=HTMLResponse)
def members_home(request: Request) -> Response:
    """Sign in, register, forgotten password, resend activation; then my outages and alert settings."""
    return render_page(request, "home")


@router.get("/members/activate", response_class=HTMLResponse)
def members_activate(request: Request) -> Response:
    """The activation link's page (the script reads ``?token=`` and calls the API)."""
    return render_page(request, "activate")


@router.get("/members/reset", response_class=HTMLResponse)
def members_reset(request: Request) -> Response:
    """The password-reset link's page: a new password for ``?token=``."""
    return render_page(request, "reset")


@router.get("/members/report", response_class=HTMLResponse)
def members_report(request: Request) -> Response:
    """Report an outage without signing in (account number and meter or phone number)."""
    return render_page(request, "report")


@router.get("/members/confirm", response_class=HTMLResponse)
def members_confirm(request: Request) -> Response:
    """An extra alert recipient confirms its address (``?token=``)."""
    return render_page(request, "confirm")


@router.get("/members/unsubscribe", response_class=HTMLResponse)
def members_unsubscribe(request: Request) -> Response:
    """Stop alerts to one address (``?key=`` from the alert's link), after one tap on a button."""
    return render_page(request, "unsubscribe")
