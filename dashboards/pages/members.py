"""The member pages (issue 7): sign in, register, my outages, alert settings (``/members``) and the pages
e-mailed links open (``/members/activate``, ``/members/reset``, ``/members/confirm``,
``/members/unsubscribe``), plus reporting an outage without signing in (``/members/report``).

Like the other pages they hold no data: the shared script ``/static/members.js`` calls the member JSON
API (``/api/members/...``) with the member's bearer token (kept in sessionStorage) and shows the API's
``detail`` next to the field it names.  Phone first (375 px, big tap targets), English and Spanish with the
choice remembered in localStorage under the public map's key, so both follow one choice.  Every text of
both languages is here, in :data:`TEXTS`; the pages carry them in their page-config JSON.  Same-origin
only (:data:`dashboards.pages.common.CSP`); tokens from links are read by the script, never echoed into
the HTML, and the pages ask browsers not to send them on in a Referer.
"""

from __future__ import annotations

import hashlib
import html
import json
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from dashboards.pages.common import CSP
from dashboards.settings import get_settings
from outages.settings import DEFAULT_CAUSES, get_rule_settings

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
ASSETS = ("members.css", "members.js")
LANG_KEY = "outageMap.lang"  # shared with the public map: one choice for both
TOKEN_KEY = "outages.memberToken"  # not the staff pages' key: a member token is no staff token
REFRESH_SECONDS = 60

# key -> (English, Spanish).  Spanish in the usted form.  {name} marks a value the script fills in.
TEXTS: dict[str, tuple[str, str]] = {
    # shell
    "toggle": ("Español", "English"),
    "toggle_label": ("Ver en español", "View in English"),
    "nav_map": ("Outage map", "Mapa de apagones"),
    "nav_report": ("Report an outage", "Reportar un apagón"),
    "nav_account": ("My account", "Mi cuenta"),
    "network": ("We could not reach the server. Check your connection and try again.",
                "No pudimos comunicarnos con el servidor. Revise su conexión e inténtelo de nuevo."),
    "sending": ("Sending…", "Enviando…"),
    "loading": ("Loading…", "Cargando…"),
    "saved": ("Saved.", "Guardado."),
    "cancel": ("Cancel", "Cancelar"),
    "session_ended": ("Your session has ended. Please sign in again.",
                      "Su sesión terminó. Por favor, inicie sesión de nuevo."),
    "signed_out": ("You are signed out.", "Usted cerró su sesión."),
    "go_signin": ("Go to sign in", "Ir a iniciar sesión"),
    "lang_en": ("English", "Inglés"),
    "lang_es": ("Spanish", "Español"),
    # page titles
    "title_home": ("My outage account", "Mi cuenta de apagones"),
    "title_activate": ("Activate your account", "Active su cuenta"),
    "title_reset": ("Choose a new password", "Elija una contraseña nueva"),
    "title_report": ("Report an outage", "Reportar un apagón"),
    "title_confirm": ("Confirm outage alerts", "Confirme las alertas de apagones"),
    "title_unsubscribe": ("Stop outage alerts", "Dejar de recibir alertas de apagones"),
    # fields
    "email": ("E-mail", "Correo electrónico"),
    "password": ("Password", "Contraseña"),
    "new_password": ("New password", "Contraseña nueva"),
    "password_hint": ("At least 8 characters. A few words you will remember work best.",
                      "Al menos 8 caracteres. Lo mejor son unas cuantas palabras que usted recuerde."),
    "show_password": ("Show password", "Mostrar contraseña"),
    "account_number": ("Account number", "Número de cuenta"),
    "account_hint": ("It is on your bill.", "Aparece en su recibo."),
    "meter_number": ("Meter number", "Número de medidor"),
    "meter_hint": ("It is on your bill and on the meter.", "Aparece en su recibo y en el medidor."),
    "phone": ("Mobile phone number", "Número de celular"),
    "phone_hint": ("The mobile number you get our text alerts on.",
                   "El número de celular en el que recibe nuestras alertas por mensaje de texto."),
    "language": ("Language for e-mails and alerts", "Idioma de los correos y las alertas"),
    # sign in and friends
    "signin_h": ("Sign in", "Iniciar sesión"),
    "signin_btn": ("Sign in", "Iniciar sesión"),
    "to_register": ("Create an account", "Crear una cuenta"),
    "to_forgot": ("Forgot your password?", "¿Olvidó su contraseña?"),
    "to_resend": ("No activation e-mail? Ask for a new one", "¿No le llegó el correo de activación? Pida otro"),
    "to_signin": ("Back to sign in", "Volver a iniciar sesión"),
    "to_report": ("Report an outage without signing in", "Reportar un apagón sin iniciar sesión"),
    "register_h": ("Create an account", "Crear una cuenta"),
    "register_intro": ("You need the account number and the meter number from your bill.",
                       "Necesita el número de cuenta y el número de medidor de su recibo."),
    "register_btn": ("Create account", "Crear cuenta"),
    "forgot_h": ("Forgot your password", "Olvidó su contraseña"),
    "forgot_intro": ("We will e-mail you a link to choose a new password.",
                     "Le enviaremos por correo un enlace para elegir una contraseña nueva."),
    "forgot_btn": ("Send me a link", "Enviarme un enlace"),
    "resend_h": ("Send the activation e-mail again", "Enviar de nuevo el correo de activación"),
    "resend_intro": ("We will e-mail you a new link to activate your account.",
                     "Le enviaremos por correo un enlace nuevo para activar su cuenta."),
    "resend_btn": ("Send a new link", "Enviar un enlace nuevo"),
    "check_mail": ("Check your e-mail (and the spam folder).",
                   "Revise su correo electrónico (y la carpeta de correo no deseado)."),
    # signed in
    "tab_outages": ("My outages", "Mis apagones"),
    "tab_alerts": ("Alert settings", "Alertas"),
    "signout": ("Sign out", "Cerrar sesión"),
    "signed_in_as": ("Signed in as {email}", "Sesión iniciada como {email}"),
    "outages_h": ("My outages", "Mis apagones"),
    "updated": ("Updated {time}", "Actualizado {time}"),
    "refresh": ("Refresh", "Actualizar"),
    "no_points": ("No meters yet. Add one below.", "Todavía no tiene medidores. Agregue uno abajo."),
    "meter": ("Meter {meter}", "Medidor {meter}"),
    "account": ("Account {account}", "Cuenta {account}"),
    "status_on": ("Power on", "Con luz"),
    "status_out": ("Power out", "Sin luz"),
    "status_possibly_out": ("Possibly out", "Posiblemente sin luz"),
    "explain_on": ("We know of no outage at this meter. If your power is out, report it.",
                   "No tenemos registrado ningún apagón en este medidor. Si usted no tiene luz, repórtelo."),
    "explain_out": ("We know about this outage. Crews are working to restore power.",
                    "Sabemos de este apagón. Nuestras cuadrillas trabajan para que vuelva la luz."),
    "explain_possibly_out": ("There is an outage on part of your line. Your meter may be affected.",
                             "Hay un apagón en parte de su línea. Es posible que su medidor esté afectado."),
    "etr": ("Estimated restoration", "Restablecimiento estimado"),
    "etr_assessing": ("Being assessed", "En evaluación"),
    "cause": ("Cause", "Causa"),
    "out_since": ("Out since", "Sin luz desde"),
    "your_report": ("Your report", "Su reporte"),
    "report_none": ("None", "Ninguno"),
    "report_line": ("{status}, {time}", "{status}, {time}"),
    "report_open": ("Received", "Recibido"),
    "report_confirmed": ("Confirmed as an outage", "Confirmado como apagón"),
    "report_dismissed": ("Closed", "Cerrado"),
    "report_btn": ("Report an outage", "Reportar un apagón"),
    "report_q": ("Report an outage at meter {meter}?", "¿Reportar un apagón en el medidor {meter}?"),
    "report_yes": ("Yes, report it", "Sí, reportarlo"),
    "add_point_h": ("Add another meter", "Agregar otro medidor"),
    "add_point_intro": ("Another home or building on your bill, or on another bill of yours.",
                        "Otra casa o edificio en su recibo, o en otro recibo a su nombre."),
    "add_point_btn": ("Add meter", "Agregar medidor"),
    "point_added": ("Meter added.", "Medidor agregado."),
    # alert settings
    "alerts_h": ("Alert settings", "Alertas"),
    "account_lang_h": ("Preferred language", "Idioma preferido"),
    "alerts_points_h": ("What to tell me", "De qué avisarme"),
    "alerts_points_intro": ("For each meter, choose which alerts we send. Changes are saved right away.",
                            "Para cada medidor, elija qué alertas le enviamos. Los cambios se guardan al instante."),
    "alert_outage": ("An outage is known at my meter", "Hay un apagón en mi medidor"),
    "alert_etr": ("The estimated restoration time changes", "Cambia la hora estimada en que vuelve la luz"),
    "alert_restored": ("Power is restored", "Regresó la luz"),
    "alert_planned": ("A planned outage is coming", "Habrá un corte programado"),
    "alerts_unavailable": ("Alert settings are not available yet.", "Las alertas todavía no están disponibles."),
    "recipients_h": ("Who gets the alerts", "Quién recibe las alertas"),
    "recipients_none": ("Nobody yet.", "Nadie todavía."),
    "channel": ("How", "Cómo"),
    "channel_email": ("E-mail", "Correo electrónico"),
    "channel_sms": ("Text message", "Mensaje de texto"),
    "address_email": ("E-mail address", "Correo electrónico"),
    "address_sms": ("Mobile phone number", "Número de celular"),
    "recipient_lang": ("Language", "Idioma"),
    "owner": ("Your account", "Su cuenta"),
    "rstatus_pending": ("Waiting for confirmation", "Esperando confirmación"),
    "rstatus_confirmed": ("Confirmed", "Confirmado"),
    "rstatus_unsubscribed": ("Unsubscribed", "Dado de baja"),
    "remove": ("Remove", "Quitar"),
    "remove_q": ("Stop sending alerts to {address}?", "¿Dejar de enviar alertas a {address}?"),
    "remove_yes": ("Yes, remove", "Sí, quitar"),
    "removed": ("Removed.", "Se quitó."),
    "add_recipient_h": ("Add someone else", "Agregar a otra persona"),
    "add_recipient_btn": ("Add", "Agregar"),
    "recipient_added_email": ("We sent a confirmation link to {address}. Alerts start once it is confirmed.",
                              "Enviamos un enlace de confirmación a {address}. Las alertas empiezan cuando se "
                              "confirme."),
    "recipient_added_sms": ("We sent a text message with a confirmation link to {address}. Alerts start once it "
                            "is confirmed.",
                            "Enviamos un mensaje de texto con un enlace de confirmación al {address}. Las alertas "
                            "empiezan cuando se confirme."),
    # activate
    "act_checking": ("Checking your link…", "Revisando su enlace…"),
    "act_activated": ("Your account is active. You can sign in now.",
                      "Su cuenta está activa. Ya puede iniciar sesión."),
    "act_already": ("Your account is already active. You can sign in.",
                    "Su cuenta ya está activa. Puede iniciar sesión."),
    "act_expired": ("This activation link has expired. Enter your e-mail and we will send you a new one.",
                    "Este enlace de activación ya venció. Escriba su correo y le enviaremos uno nuevo."),
    "act_invalid": ("This activation link is not valid.", "Este enlace de activación no es válido."),
    "ask_new_link": ("Ask for a new link", "Pedir un enlace nuevo"),
    # reset
    "reset_intro": ("Choose a new password for your account.", "Elija una contraseña nueva para su cuenta."),
    "reset_btn": ("Save new password", "Guardar contraseña nueva"),
    "reset_done": ("Your password is changed. You can sign in now.",
                   "Se cambió su contraseña. Ya puede iniciar sesión."),
    "reset_invalid": ("This link is not valid.", "Este enlace no es válido."),
    # report without signing in
    "report_intro": ("No need to sign in: use the account number and meter number from your bill, or the mobile "
                     "number you get our text alerts on.",
                     "No necesita iniciar sesión: use el número de cuenta y el número de medidor de su recibo, o el "
                     "número de celular en el que recibe nuestras alertas por mensaje de texto."),
    "report_with": ("Use my", "Usar mi"),
    "with_meter": ("Meter number", "Número de medidor"),
    "with_phone": ("Mobile phone number", "Número de celular"),
    "report_send": ("Report the outage", "Reportar el apagón"),
    "report_signin": ("Have an account? Sign in to report in two taps.",
                      "¿Tiene cuenta? Inicie sesión para reportar con dos toques."),
    # alert recipient pages
    "confirm_done": ("Thank you. Outage alerts will now be sent to this address.",
                     "Gracias. Desde ahora recibirá las alertas de apagones en esta dirección."),
    "confirm_already": ("This address was already confirmed. There is nothing else to do.",
                        "Esta dirección ya estaba confirmada. No tiene que hacer nada más."),
    "link_invalid": ("This link is not valid.", "Este enlace no es válido."),
    "unsub_intro": ("You get outage alerts from us at this address. Tap the button to stop them.",
                    "Usted recibe nuestras alertas de apagones en esta dirección. Toque el botón para dejar de "
                    "recibirlas."),
    "unsub_btn": ("Stop these alerts", "Dejar de recibir estas alertas"),
    "unsub_done": ("You will not get these alerts any more.", "Ya no recibirá estas alertas."),
    # causes (the log's codes)
    **{f"cause_{code}": (label, es) for (code, label), es in zip(DEFAULT_CAUSES.items(), (
        "Rayos", "Viento", "Hielo / nieve", "Inundación", "Calor", "Vegetación", "Animal", "Falla de equipo",
        "Público / vehículo", "Suministro / transmisión", "Programado", "Sobrecarga", "En investigación"))},
}


def _t(key: str) -> str:
    """The English text of ``key`` (the page is served in English; the script switches it)."""
    return html.escape(TEXTS[key][0])


def _span(key: str, tag: str = "span", attrs: str = "") -> str:
    return f'<{tag} data-i18n="{key}"{attrs}>{_t(key)}</{tag}>'


def _field(form: str, name: str, key: str, kind: str = "text", *, hint: str | None = None, attrs: str = "") -> str:
    """A labelled input with its hint and the slot for the API's message about it."""
    ident = f"{form}-{name}"
    hint_html = f'<p class="hint" id="{ident}-hint" data-i18n="{hint}">{_t(hint)}</p>' if hint else ""
    described = f"{ident}-err" + (f" {ident}-hint" if hint else "")
    return (f'<div class="field" data-field="{name}">'
            f'<label for="{ident}" data-i18n="{key}">{_t(key)}</label>{hint_html}'
            f'<input id="{ident}" name="{name}" type="{kind}" aria-describedby="{described}" {attrs}>'
            f'<p class="err" id="{ident}-err" data-for="{name}"></p></div>')


def _language_select(form: str, name: str = "language", key: str = "language") -> str:
    ident = f"{form}-{name}"
    return (f'<div class="field" data-field="{name}"><label for="{ident}" data-i18n="{key}">{_t(key)}</label>'
            f'<select id="{ident}" name="{name}" aria-describedby="{ident}-err">'
            f'<option value="en">English</option><option value="es" lang="es">Español</option></select>'
            f'<p class="err" id="{ident}-err" data-for="{name}"></p></div>')


def _form(ident: str, fields: str, button: str, *, big: bool = False) -> str:
    return (f'<form id="{ident}" autocomplete="on">{fields}'
            f'<p class="err" data-for="_form" role="alert"></p>'
            f'<button type="submit" class="wide{" big" if big else ""}" data-i18n="{button}">{_t(button)}</button>'
            f'<p class="ok" data-ok role="status"></p></form>')


def _link(href: str, key: str) -> str:
    return f'<a href="{href}" data-i18n="{key}">{_t(key)}</a>'


EMAIL = 'autocomplete="email" inputmode="email" autocapitalize="off" spellcheck="false" required'
NUMBER = 'autocapitalize="characters" autocomplete="off" spellcheck="false" required'

HOME = f"""
<p id="mb-status" class="note" role="status" aria-live="polite"></p>
<div id="mb-signed" hidden>
<div class="row who"><span id="who" class="muted small"></span>
  <button type="button" id="signout" class="plain small-btn" data-i18n="signout">{_t("signout")}</button></div>
<nav id="mb-tabs" class="tabs" aria-label="My account">
  <a href="#outages" data-view="outages" data-i18n="tab_outages">{_t("tab_outages")}</a>
  <a href="#alerts" data-view="alerts" data-i18n="tab_alerts">{_t("tab_alerts")}</a>
</nav></div>

<section id="v-signin" class="view" hidden aria-labelledby="h-signin">
  <h2 id="h-signin" tabindex="-1" data-i18n="signin_h">{_t("signin_h")}</h2>
  {_form("f-signin", _field("f-signin", "username", "email", "email", attrs='autocomplete="username" '
                            'inputmode="email" autocapitalize="off" spellcheck="false" required')
         + _field("f-signin", "password", "password", "password", attrs='autocomplete="current-password" required'),
         "signin_btn", big=True)}
  <ul class="links">
    <li>{_link("#register", "to_register")}</li>
    <li>{_link("#forgot", "to_forgot")}</li>
    <li>{_link("#resend", "to_resend")}</li>
    <li>{_link("/members/report", "to_report")}</li>
  </ul>
</section>

<section id="v-register" class="view" hidden aria-labelledby="h-register">
  <h2 id="h-register" tabindex="-1" data-i18n="register_h">{_t("register_h")}</h2>
  <p data-i18n="register_intro">{_t("register_intro")}</p>
  {_form("f-register", _field("f-register", "email", "email", "email", attrs=EMAIL)
         + _field("f-register", "password", "password", "password", hint="password_hint",
                  attrs='autocomplete="new-password" minlength="8" required')
         + _field("f-register", "account_number", "account_number", hint="account_hint",
                  attrs='inputmode="numeric" ' + NUMBER)
         + _field("f-register", "meter_number", "meter_number", hint="meter_hint", attrs=NUMBER)
         + _language_select("f-register"), "register_btn", big=True)}
  <ul class="links"><li>{_link("#signin", "to_signin")}</li></ul>
</section>

<section id="v-forgot" class="view" hidden aria-labelledby="h-forgot">
  <h2 id="h-forgot" tabindex="-1" data-i18n="forgot_h">{_t("forgot_h")}</h2>
  <p data-i18n="forgot_intro">{_t("forgot_intro")}</p>
  {_form("f-forgot", _field("f-forgot", "email", "email", "email", attrs=EMAIL), "forgot_btn", big=True)}
  <ul class="links"><li>{_link("#signin", "to_signin")}</li></ul>
</section>

<section id="v-resend" class="view" hidden aria-labelledby="h-resend">
  <h2 id="h-resend" tabindex="-1" data-i18n="resend_h">{_t("resend_h")}</h2>
  <p data-i18n="resend_intro">{_t("resend_intro")}</p>
  {_form("f-resend", _field("f-resend", "email", "email", "email", attrs=EMAIL), "resend_btn", big=True)}
  <ul class="links"><li>{_link("#signin", "to_signin")}</li></ul>
</section>

<section id="v-outages" class="view" hidden aria-labelledby="h-outages">
  <div class="row"><h2 id="h-outages" tabindex="-1" data-i18n="outages_h">{_t("outages_h")}</h2>
    <button type="button" id="refresh" class="plain small-btn" data-i18n="refresh">{_t("refresh")}</button></div>
  <p id="updated" class="muted small" aria-live="polite"></p>
  <p class="err" id="outages-err" role="alert"></p>
  <div id="cards"></div>
  <section class="card" aria-labelledby="h-add">
    <h3 id="h-add" data-i18n="add_point_h">{_t("add_point_h")}</h3>
    <p class="muted small" data-i18n="add_point_intro">{_t("add_point_intro")}</p>
    {_form("f-add", _field("f-add", "account_number", "account_number", hint="account_hint",
                           attrs='inputmode="numeric" ' + NUMBER)
           + _field("f-add", "meter_number", "meter_number", hint="meter_hint", attrs=NUMBER), "add_point_btn")}
  </section>
</section>

<section id="v-alerts" class="view" hidden aria-labelledby="h-alerts">
  <h2 id="h-alerts" tabindex="-1" data-i18n="alerts_h">{_t("alerts_h")}</h2>
  <p class="err" id="alerts-err" role="alert"></p>
  <section class="card" aria-labelledby="h-account-lang">
    <h3 id="h-account-lang" data-i18n="account_lang_h">{_t("account_lang_h")}</h3>
    <form id="f-lang">{_language_select("f-lang")}<p class="err" data-for="_form" role="alert"></p>
      <p class="ok" data-ok role="status"></p></form>
  </section>
  <section class="card" aria-labelledby="h-alert-points">
    <h3 id="h-alert-points" data-i18n="alerts_points_h">{_t("alerts_points_h")}</h3>
    <p class="muted small" data-i18n="alerts_points_intro">{_t("alerts_points_intro")}</p>
    <div id="alert-points"></div>
  </section>
  <section class="card" aria-labelledby="h-recipients">
    <h3 id="h-recipients" data-i18n="recipients_h">{_t("recipients_h")}</h3>
    <p id="recipients-status" class="ok" role="status"></p>
    <ul id="recipients" class="recipients"></ul>
    <h4 id="h-add-recipient" data-i18n="add_recipient_h">{_t("add_recipient_h")}</h4>
    <form id="f-recipient" autocomplete="off">
      <div class="field" data-field="channel">
        <label for="f-recipient-channel" data-i18n="channel">{_t("channel")}</label>
        <select id="f-recipient-channel" name="channel" aria-describedby="f-recipient-channel-err">
          <option value="email" data-i18n="channel_email">{_t("channel_email")}</option>
          <option value="sms" data-i18n="channel_sms">{_t("channel_sms")}</option></select>
        <p class="err" id="f-recipient-channel-err" data-for="channel"></p></div>
      <div class="field" data-field="address">
        <label for="f-recipient-address" data-i18n="address_email">{_t("address_email")}</label>
        <input id="f-recipient-address" name="address" type="email" inputmode="email" autocapitalize="off"
          spellcheck="false" required aria-describedby="f-recipient-address-err">
        <p class="err" id="f-recipient-address-err" data-for="address"></p></div>
      {_language_select("f-recipient", key="recipient_lang")}
      <p class="err" data-for="_form" role="alert"></p>
      <button type="submit" class="wide" data-i18n="add_recipient_btn">{_t("add_recipient_btn")}</button>
      <p class="ok" data-ok role="status"></p>
    </form>
  </section>
</section>
"""

ACTIVATE = f"""
<section class="card" aria-labelledby="h-page">
  <p id="result" class="note" role="status" aria-live="polite" data-i18n="act_checking">{_t("act_checking")}</p>
  <p id="detail" class="muted small"></p>
  <p id="go-signin" hidden><a class="button" href="/members#signin" data-i18n="go_signin">{_t("go_signin")}</a></p>
  <p id="ask-new" hidden><a href="/members#resend" data-i18n="ask_new_link">{_t("ask_new_link")}</a></p>
  <div id="resend" hidden>
    {_form("f-resend", _field("f-resend", "email", "email", "email", attrs=EMAIL), "resend_btn", big=True)}
  </div>
</section>
"""

RESET = f"""
<section class="card" aria-labelledby="h-page">
  <p data-i18n="reset_intro">{_t("reset_intro")}</p>
  {_form("f-reset", _field("f-reset", "password", "new_password", "password", hint="password_hint",
                           attrs='autocomplete="new-password" minlength="8" required')
         + '<label class="check"><input type="checkbox" id="show-password"> '
           f'<span data-i18n="show_password">{_t("show_password")}</span></label>', "reset_btn", big=True)}
  <p id="go-signin" hidden><a class="button" href="/members#signin" data-i18n="go_signin">{_t("go_signin")}</a></p>
  <p id="ask-new" hidden><a href="/members#forgot" data-i18n="ask_new_link">{_t("ask_new_link")}</a></p>
</section>
"""

REPORT = f"""
<section class="card" aria-labelledby="h-page">
  <p data-i18n="report_intro">{_t("report_intro")}</p>
  <form id="f-report" autocomplete="on">
    {_field("f-report", "account_number", "account_number", hint="account_hint", attrs='inputmode="numeric" ' + NUMBER)}
    <fieldset class="choice"><legend data-i18n="report_with">{_t("report_with")}</legend>
      <label class="check"><input type="radio" name="with" value="meter" checked>
        <span data-i18n="with_meter">{_t("with_meter")}</span></label>
      <label class="check"><input type="radio" name="with" value="phone">
        <span data-i18n="with_phone">{_t("with_phone")}</span></label></fieldset>
    {_field("f-report", "meter_number", "meter_number", hint="meter_hint", attrs=NUMBER)}
    {_field("f-report", "phone", "phone", "tel", hint="phone_hint", attrs='autocomplete="tel" inputmode="tel"')}
    <p class="err" data-for="_form" role="alert"></p>
    <button type="submit" class="wide big" data-i18n="report_send">{_t("report_send")}</button>
    <p class="ok" data-ok role="status"></p>
  </form>
  <p><a href="/members#signin" data-i18n="report_signin">{_t("report_signin")}</a></p>
</section>
"""

CONFIRM = f"""
<section class="card" aria-labelledby="h-page">
  <p id="result" class="note" role="status" aria-live="polite" data-i18n="loading">{_t("loading")}</p>
  <p id="detail" class="muted small"></p>
</section>
"""

UNSUBSCRIBE = f"""
<section class="card" aria-labelledby="h-page">
  <form id="f-unsub">
    <p data-i18n="unsub_intro">{_t("unsub_intro")}</p>
    <p class="err" data-for="_form" role="alert"></p>
    <button type="submit" class="wide big danger" data-i18n="unsub_btn">{_t("unsub_btn")}</button>
    <p class="ok" data-ok role="status"></p>
  </form>
</section>
"""

# page -> (path, title key, body, links to the other pages)
PAGES = {
    "home": ("/members", "title_home", HOME, ("map", "report")),
    "activate": ("/members/activate", "title_activate", ACTIVATE, ("account", "map", "report")),
    "reset": ("/members/reset", "title_reset", RESET, ("account", "map", "report")),
    "report": ("/members/report", "title_report", REPORT, ("account", "map")),
    "confirm": ("/members/confirm", "title_confirm", CONFIRM, ("map", "report", "account")),
    "unsubscribe": ("/members/unsubscribe", "title_unsubscribe", UNSUBSCRIBE, ("map", "report", "account")),
}
NAV = {"map": ("/map", "nav_map"), "report": ("/members/report", "nav_report"), "account": ("/members", "nav_account")}


@lru_cache
def _asset_version() -> str:
    """A short hash of the script and style sheet, so a phone never mixes a new page with an old script."""
    digest = hashlib.sha256()
    for name in ASSETS:
        path = STATIC_DIR / name
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:12]


def _texts() -> dict[str, dict[str, str]]:
    return {"en": {k: v[0] for k, v in TEXTS.items()}, "es": {k: v[1] for k, v in TEXTS.items()}}


def render_page(page: str) -> HTMLResponse:
    """One member page: the bar with the language toggle, links to the other pages, the page's body."""
    _path, title_key, body, links = PAGES[page]
    coop = get_settings().cooperative_name
    config = {"page": page, "zone": get_rule_settings().timezone, "coop": coop, "lang_key": LANG_KEY,
              "token_key": TOKEN_KEY, "refresh": REFRESH_SECONDS, "title_key": title_key, "texts": _texts()}
    nav = "".join(f'<a href="{NAV[name][0]}" data-i18n="{NAV[name][1]}">{_t(NAV[name][1])}</a>' for name in links)
    version = _asset_version()
    title = f"{TEXTS[title_key][0]} · {coop}"
    config_json = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
    document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><meta name="referrer" content="no-referrer">
<title>{html.escape(title)}</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/members.css?v={version}"></head>
<body data-page="{page}">
<header class="bar">
<h1><span id="h-page" data-i18n="{title_key}">{_t(title_key)}</span><small>{html.escape(coop)}</small></h1>
<button type="button" id="lang" lang="es" data-i18n="toggle" data-i18n-aria="toggle_label"
  aria-label="{_t("toggle_label")}">{_t("toggle")}</button></header>
<nav class="pages" aria-label="Pages">{nav}</nav>
<main id="main">{body}</main>
<script type="application/json" id="page-config">{config_json}</script>
<script src="/static/members.js?v={version}"></script>
</body></html>"""
    return HTMLResponse(document, headers={
        "Content-Security-Policy": CSP, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff"})


@router.get("/members", response_class=HTMLResponse)
def members_home() -> HTMLResponse:
    """Sign in, register, forgotten password, resend activation; then my outages and alert settings."""
    return render_page("home")


@router.get("/members/activate", response_class=HTMLResponse)
def members_activate() -> HTMLResponse:
    """The activation link's page (the script reads ``?token=`` and calls the API)."""
    return render_page("activate")


@router.get("/members/reset", response_class=HTMLResponse)
def members_reset() -> HTMLResponse:
    """The password-reset link's page: a new password for ``?token=``."""
    return render_page("reset")


@router.get("/members/report", response_class=HTMLResponse)
def members_report() -> HTMLResponse:
    """Report an outage without signing in (account number and meter or phone number)."""
    return render_page("report")


@router.get("/members/confirm", response_class=HTMLResponse)
def members_confirm() -> HTMLResponse:
    """An extra alert recipient confirms its address (``?token=``)."""
    return render_page("confirm")


@router.get("/members/unsubscribe", response_class=HTMLResponse)
def members_unsubscribe() -> HTMLResponse:
    """Stop alerts to one address (``?key=`` from the alert's link), after one tap on a button."""
    return render_page("unsubscribe")
