"""Every page runs under the one Content-Security-Policy, which allows no inline script or style of ours: opened
in headless Chromium (logged in where the page asks for it) against the live server, none fires a
``securitypolicyviolation`` event or writes an error to the browser's console."""

from __future__ import annotations

import pytest

from tests.helpers import LEAFLET_JS, browser_test, login

# path -> (the role to log in as, None for a public page; what the page's script shows once it has run)
PAGES = {
    "/console": ("dispatcher", "#open tbody tr"),
    "/executive": ("executive", "svg.plot rect.bar"),
    "/facilities-map": ("registry", "path.feeder-out"),
    "/map": (None, "body[data-as-of]"),
    "/members": (None, "#v-signin:not([hidden])"),
    "/members/activate": (None, "#result.bad"),  # no token in the link: "not valid"
    "/members/reset": (None, "#ask-new:not([hidden])"),
    "/members/report": (None, "#f-report [data-field=phone][hidden]"),
    "/members/confirm": (None, "#result.bad"),
    "/members/unsubscribe": (None, "#f-unsub .err[data-for=_form]:not(:empty)"),
}
LISTEN = """document.addEventListener('securitypolicyviolation', e =>
  window.reportViolation(`${e.violatedDirective} refused ${e.blockedURI || 'inline'}: ${e.sample}`));"""


def _watch(page) -> tuple[list[str], list[str]]:
    """The policy violations and the console errors of every document the page opens from now on."""
    violations: list[str] = []
    errors: list[str] = []
    page.expose_function("reportViolation", lambda text: violations.append(text))
    page.add_init_script(LISTEN)
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    return violations, errors


@browser_test
@pytest.mark.parametrize("path", PAGES)
def test_the_page_runs_under_the_policy_without_a_violation_or_a_console_error(page, live, path):
    if path in ("/facilities-map", "/console") and not LEAFLET_JS.exists():
        pytest.skip("local Leaflet assets missing (make setup runs npm ci)")
    policy = live.http.get(path).headers["content-security-policy"]
    assert "default-src 'self'" in policy and "unsafe-" not in policy  # no unsafe inline, eval or hashes
    role, drawn = PAGES[path]
    violations, errors = _watch(page)
    if role:
        login(page, live, path, role)
    else:
        page.goto(live.base + path)
    page.wait_for_selector(drawn, state="attached")
    page.wait_for_load_state("networkidle")
    assert violations == []
    assert errors == []


@browser_test
def test_the_check_sees_an_inline_style_the_policy_refuses(page, live):
    violations, errors = _watch(page)
    page.goto(live.base + "/members")
    page.wait_for_selector("#v-signin:not([hidden])")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">styled inline</p>')")
    page.wait_for_function("() => true")  # one more turn of the page's event loop
    page.wait_for_timeout(200)
    assert violations and violations[0].startswith("style-src-attr refused inline"), violations
    assert errors  # Chromium says so in the console too
