"""The members' bilingual catalogue: every text a member reads, in English and Spanish, in one place (the pages
and the public map, the alerts, the account e-mails, the API's answers and refusals to members)."""

from __future__ import annotations

from outages.settings import DEFAULT_CAUSES

# The status words of an outage (D17), the same on the public map (``map_<status>``), on a member's page
# (``stage_<status>``) and in the alerts: each says only what the data knows (outages.public_map.STATUSES).
STATUS_WORDS: dict[str, tuple[str, str]] = {
    "reported": ("Reported", "Reportado"),
    "crew_assigned": ("Crew assigned", "Cuadrilla asignada"),
    "crew_on_site": ("Crew on site", "Cuadrilla en el lugar"),
    "restored": ("Restored", "Restablecido"),
}
# What each status means, on the map's legend (``map_about_<status>``) and on a member's page (``about_<status>``).
STATUS_MEANINGS: dict[str, tuple[str, str]] = {
    "reported": ("We know about it; no crew is assigned yet.", "Sabemos del apagón; aún no hay cuadrilla asignada."),
    "crew_assigned": ("A crew is assigned to it.", "Hay una cuadrilla asignada."),
    "crew_on_site": ("A crew is working there now.", "Una cuadrilla está trabajando en el lugar."),
    "restored": ("Power is back.", "Regresó la luz."),
}
# The danger a member's report may name (outages.member_reports.HAZARDS) and what the member is told to do:
# one text, on the report pages before sending and in the API's answer after.
HAZARD_WORDS: dict[str, tuple[str, str]] = {
    "wire_down": ("A wire is down", "Hay un cable caído"),
    "tree_on_line": ("A tree is on a line", "Hay un árbol sobre una línea"),
}
SAFETY = (
    "Stay at least 35 feet away from the downed line and anything touching it, and call 911.",
    "Manténgase al menos a 35 pies (10 metros) de la línea caída y de todo lo que la toque, y llame al 911.",
)

# key -> (English, Spanish).  Spanish in the usted form.  {name} marks a value the script fills in.  The member
# pages (/members…) use the keys without a prefix; the public outage map (/map) its own ``map_`` keys and the causes.
TEXTS: dict[str, tuple[str, str]] = {
    # shell
    "toggle": ("Español", "English"),
    "toggle_label": ("Ver en español", "View in English"),
    "nav_map": ("Outage map", "Mapa de apagones"),
    "nav_report": ("Report an outage", "Reportar un apagón"),
    "nav_account": ("My account", "Mi cuenta"),
    "network": (
        "We could not reach the server. Check your connection and try again.",
        "No pudimos comunicarnos con el servidor. Revise su conexión e inténtelo de nuevo.",
    ),
    "sending": ("Sending…", "Enviando…"),
    "loading": ("Loading…", "Cargando…"),
    "saved": ("Saved.", "Guardado."),
    "cancel": ("Cancel", "Cancelar"),
    "session_ended": (
        "Your session has ended. Please sign in again.",
        "Su sesión terminó. Por favor, inicie sesión de nuevo.",
    ),
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
    "password_hint": (
        "At least 8 characters. A few words you will remember work best.",
        "Al menos 8 caracteres. Lo mejor son unas cuantas palabras que usted recuerde.",
    ),
    "show_password": ("Show password", "Mostrar contraseña"),
    "account_number": ("Account number", "Número de cuenta"),
    "account_hint": ("It is on your bill.", "Aparece en su factura."),
    "meter_number": ("Meter number", "Número de medidor"),
    "meter_hint": ("It is on your bill and on the meter.", "Aparece en su factura y en el medidor."),
    "phone": ("Mobile phone number", "Número de celular"),
    "phone_hint": (
        "The mobile number you get our text alerts on.",
        "El número de celular en el que recibe nuestras alertas por mensaje de texto.",
    ),
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
    "register_intro": (
        "You need the account number and the meter number from your bill.",
        "Necesita el número de cuenta y el número de medidor de su factura.",
    ),
    "register_btn": ("Create account", "Crear cuenta"),
    "forgot_h": ("Forgot your password", "Olvidó su contraseña"),
    "forgot_intro": (
        "We will e-mail you a link to choose a new password.",
        "Le enviaremos por correo un enlace para elegir una contraseña nueva.",
    ),
    "forgot_btn": ("Send me a link", "Enviarme un enlace"),
    "resend_h": ("Send the activation e-mail again", "Enviar de nuevo el correo de activación"),
    "resend_intro": (
        "We will e-mail you a new link to activate your account.",
        "Le enviaremos por correo un enlace nuevo para activar su cuenta.",
    ),
    "resend_btn": ("Send a new link", "Enviar un enlace nuevo"),
    "check_mail": (
        "Check your e-mail (and the spam folder).",
        "Revise su correo electrónico (y la carpeta de correo no deseado).",
    ),
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
    "explain_on": (
        "We know of no outage at this meter. If your power is out, report it.",
        "No tenemos registrado ningún apagón en este medidor. Si usted no tiene luz, repórtelo.",
    ),
    "explain_out": (
        "We know about this outage. You do not need to report it.",
        "Sabemos de este apagón. No necesita reportarlo.",
    ),
    "explain_possibly_out": (
        "There is an outage on part of your line. Your meter may be affected.",
        "Hay un apagón en parte de su línea. Es posible que su medidor esté afectado.",
    ),
    "outage_status": ("Outage status", "Estado del apagón"),
    **{f"stage_{status}": words for status, words in STATUS_WORDS.items() if status != "restored"},
    **{f"about_{status}": words for status, words in STATUS_MEANINGS.items() if status != "restored"},
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
    # the danger a report may name
    "hazard_q": ("Is anything dangerous?", "¿Hay algún peligro?"),
    "hazard_none": ("No", "No"),
    **{f"hazard_{kind}": words for kind, words in HAZARD_WORDS.items()},
    "hazard_safety": SAFETY,
    # some power (OutageReport.partial_power), asked with the danger
    "partial_q": ("How much power do you have?", "¿Cuánta luz tiene?"),
    "partial_none": ("None at all", "Nada de luz"),
    "partial_some": (
        "Some: lights dim, or some circuits out",
        "Algo: luces débiles o algunos circuitos sin luz",
    ),
    # the safety banner of the report page and the member home; {911} and {phone} become tel: links
    "safety_label": ("Safety", "Seguridad"),
    "safety_banner": (
        "A downed line is always live: stay 35 feet away and call {911}, then the co-op at {phone}.",
        "Una línea caída siempre tiene corriente: aléjese 35 pies (10 metros) y llame al {911}, y después a la "
        "cooperativa al {phone}.",
    ),
    "add_point_h": ("Add another meter", "Agregar otro medidor"),
    "add_point_intro": (
        "Another home or building on your bill, or on another bill of yours.",
        "Otra casa o edificio en su factura, o en otra factura a su nombre.",
    ),
    "add_point_btn": ("Add meter", "Agregar medidor"),
    "point_added": ("Meter added.", "Medidor agregado."),
    # alert settings
    "alerts_h": ("Alert settings", "Alertas"),
    "account_lang_h": ("Preferred language", "Idioma preferido"),
    "alerts_points_h": ("What to tell me", "De qué avisarme"),
    "alerts_points_intro": (
        "For each meter, choose which alerts we send. Changes are saved right away.",
        "Para cada medidor, elija qué alertas le enviamos. Los cambios se guardan al instante.",
    ),
    "alert_outage": ("An outage is known at my meter", "Hay un apagón en mi medidor"),
    "alert_etr": ("The estimated restoration time changes", "Cambia la hora estimada en que vuelve la luz"),
    "alert_restored": ("Power is restored", "Regresó la luz"),
    "alert_planned": ("A planned outage is coming", "Habrá un corte programado"),
    "alert_crew": ("A crew arrives on site (optional)", "Llega una cuadrilla al lugar (opcional)"),
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
    "recipient_added_email": (
        "We sent a confirmation link to {address}. Alerts start once it is confirmed.",
        "Enviamos un enlace de confirmación a {address}. Las alertas empiezan cuando se confirme.",
    ),
    "recipient_added_sms": (
        "We sent a text message with a confirmation link to {address}. Alerts start once it is confirmed.",
        "Enviamos un mensaje de texto con un enlace de confirmación al {address}. Las alertas "
        "empiezan cuando se confirme.",
    ),
    # activate
    "act_checking": ("Checking your link…", "Revisando su enlace…"),
    "act_activated": (
        "Your account is active. You can sign in now.",
        "Su cuenta está activa. Ya puede iniciar sesión.",
    ),
    "act_already": (
        "Your account is already active. You can sign in.",
        "Su cuenta ya está activa. Puede iniciar sesión.",
    ),
    "act_expired": (
        "This activation link has expired. Enter your e-mail and we will send you a new one.",
        "Este enlace de activación ya venció. Escriba su correo y le enviaremos uno nuevo.",
    ),
    "act_invalid": ("This activation link is not valid.", "Este enlace de activación no es válido."),
    "ask_new_link": ("Ask for a new link", "Pedir un enlace nuevo"),
    # reset
    "reset_intro": ("Choose a new password for your account.", "Elija una contraseña nueva para su cuenta."),
    "reset_btn": ("Save new password", "Guardar contraseña nueva"),
    "reset_done": (
        "Your password is changed. You can sign in now.",
        "Se cambió su contraseña. Ya puede iniciar sesión.",
    ),
    "reset_invalid": ("This link is not valid.", "Este enlace no es válido."),
    # report without signing in
    "report_intro": (
        "No need to sign in: use the account number and meter number from your bill, or the mobile "
        "number you get our text alerts on.",
        "No necesita iniciar sesión: use el número de cuenta y el número de medidor de su factura, o el "
        "número de celular en el que recibe nuestras alertas por mensaje de texto.",
    ),
    "report_with": ("Use my", "Usar mi"),
    "with_meter": ("Meter number", "Número de medidor"),
    "with_phone": ("Mobile phone number", "Número de celular"),
    "report_send": ("Report the outage", "Reportar el apagón"),
    "report_signin": (
        "Have an account? Sign in to report in two taps.",
        "¿Tiene cuenta? Inicie sesión para reportar con dos toques.",
    ),
    # after a report: what is known (ReportAck), and updates without an account (POST /api/members/updates)
    "known_h": ("We already know about this outage", "Ya sabemos de este corte"),
    "new_h": ("Thanks, your report is new", "Gracias, su reporte es nuevo"),
    "new_intro": ("A dispatcher will look at it.", "Un despachador lo revisará."),
    "again_h": ("We already have your report", "Ya tenemos su reporte"),
    "updates_h": ("Get updates by e-mail or text", "Reciba novedades por correo o mensaje de texto"),
    "updates_intro": (
        "No account needed. We tell you when the outage at this meter changes: estimated restoration, crew, "
        "power back. Every message has a link to stop them.",
        "No necesita cuenta. Le avisamos cuando cambie el apagón en este medidor: hora estimada, cuadrilla, "
        "regreso de la luz. Cada mensaje trae un enlace para dejar de recibirlos.",
    ),
    "updates_btn": ("Send me updates", "Enviarme novedades"),
    "updates_lang": ("Language of the updates", "Idioma de las novedades"),
    # alert recipient pages
    "confirm_done": (
        "Thank you. Outage alerts will now be sent to this address.",
        "Gracias. Desde ahora recibirá las alertas de apagones en esta dirección.",
    ),
    "confirm_already": (
        "This address was already confirmed. There is nothing else to do.",
        "Esta dirección ya estaba confirmada. No tiene que hacer nada más.",
    ),
    "link_invalid": ("This link is not valid.", "Este enlace no es válido."),
    "unsub_intro": (
        "You get outage alerts from us at this address. Tap the button to stop them.",
        "Usted recibe nuestras alertas de apagones en esta dirección. Toque el botón para dejar de recibirlas.",
    ),
    "unsub_btn": ("Stop these alerts", "Dejar de recibir estas alertas"),
    "unsub_done": ("You will not get these alerts any more.", "Ya no recibirá estas alertas."),
    # causes (the log's codes)
    **{
        f"cause_{code}": (label, es)
        for (code, label), es in zip(
            DEFAULT_CAUSES.items(),
            (
                "Rayos",
                "Viento",
                "Hielo / nieve",
                "Inundación",
                "Calor",
                "Vegetación",
                "Animal",
                "Falla de equipo",
                "Público / vehículo",
                "Suministro / transmisión",
                "Programado",
                "Sobrecarga",
                "En investigación",
            ),
        )
    },
    # the public outage map (/map)
    "map_title": ("Outage map", "Mapa de apagones"),
    "map_toggle": ("Español", "English"),
    "map_members_out": ("members out", "socios sin servicio"),
    "map_members_served": ("members served", "socios servidos"),
    "map_percent_out": ("out of power", "sin electricidad"),
    "map_active_outages": ("active outages", "apagones activos"),
    "map_last_updated": ("Last updated", "Última actualización"),
    "map_stale": (
        "Could not refresh; showing the last figures.",
        "No se pudo actualizar; se muestran las últimas cifras.",
    ),
    "map_legend": ("Share of members out", "Porcentaje de socios sin servicio"),
    "map_active_areas": ("Areas with outages", "Zonas con apagones"),
    "map_none": ("No outages are reported right now.", "No hay apagones reportados en este momento."),
    "map_all_areas": ("All areas", "Todas las zonas"),
    "map_area": ("Area", "Zona"),
    "map_out": ("Out", "Sin servicio"),
    "map_served": ("Served", "Servidos"),
    "map_privacy": (
        "Figures are totals per county and community. Areas with very few members are not shown on "
        "their own; they count in the system totals.",
        "Las cifras son totales por condado y comunidad. Las zonas con muy pocos socios no se muestran "
        "por separado; cuentan en los totales del sistema.",
    ),
    "map_county": ("county", "condado"),
    "map_community": ("community", "comunidad"),
    "map_status": ("Status", "Estado"),
    "map_cause": ("Cause", "Causa"),
    "map_etr": ("Estimated restoration", "Restablecimiento estimado"),
    "map_updated": ("Updated", "Actualizado"),
    "map_since": ("Out since", "Sin servicio desde"),
    "map_restored_at": ("Restored at", "Restablecido a las"),
    "map_assessing": ("Being assessed", "En evaluación"),
    "map_unknown_cause": ("Under investigation", "En investigación"),
    **{f"map_{status}": words for status, words in STATUS_WORDS.items()},
    **{f"map_about_{status}": words for status, words in STATUS_MEANINGS.items()},
    "map_statuses": ("What the status means", "Qué significa el estado"),
    "map_of": ("of", "de"),
    "map_report": ("Report an outage", "Reportar un apagón"),
    "map_account": ("Outage alerts and my account", "Alertas de apagones y mi cuenta"),
    "map_unlocated": ("of which about {n} not yet located", "de ellos, unos {n} aún sin ubicar"),
    # the public map's safety banner, search, info sheet and truthful figures (issue 15); {911} and {phone} become
    # tel: links
    "map_safety": (
        "A downed line is always live: stay 35 feet away and call {911}, then the co-op at {phone}.",
        "Una línea caída siempre tiene corriente: aléjese 35 pies (10 metros) y llame al {911}, y después a la "
        "cooperativa al {phone}.",
    ),
    "map_safety_label": ("Safety", "Seguridad"),
    "map_skip": ("Skip to the list of areas", "Ir a la lista de zonas"),
    "map_text_only": ("Text-only list", "Lista solo de texto"),
    "map_find_label": ("Find your area: town, county or ZIP code", "Busque su zona: pueblo, condado o código postal"),
    "map_find": ("Find", "Buscar"),
    "map_find_hint": (
        "Type at least 2 letters or digits, then choose a result.",
        "Escriba al menos 2 letras o dígitos y elija un resultado.",
    ),
    "map_no_match": (
        "No area matches “{q}”. Try a town, a county or a 5-digit ZIP code.",
        "Ninguna zona coincide con “{q}”. Pruebe un pueblo, un condado o un código postal de 5 dígitos.",
    ),
    "map_results": ("{n} results: use the arrow keys, then Enter.", "{n} resultados: use las flechas y Enter."),
    "map_showing": ("Showing {name}.", "Se muestra {name}."),
    "map_zip": ("ZIP code", "código postal"),
    "map_locate": ("Locate me", "Mi ubicación"),
    "map_locating": ("Finding your location…", "Buscando su ubicación…"),
    "map_located": (
        "You are near the dot (your location stays on this phone).",
        "Usted está cerca del punto (su ubicación no sale de este teléfono).",
    ),
    "map_located_in": (
        "You are in {name} (your location stays on this phone).",
        "Usted está en {name} (su ubicación no sale de este teléfono).",
    ),
    "map_locate_denied": (
        "Your location is not shared with this page. Search by town or ZIP code instead.",
        "Esta página no tiene permiso para ver su ubicación. Busque por pueblo o código postal.",
    ),
    "map_locate_unavailable": (
        "Your location is not available on this device. Search by town or ZIP code instead.",
        "Su ubicación no está disponible en este dispositivo. Busque por pueblo o código postal.",
    ),
    "map_outside": (
        "Your location is outside the areas this map shows.",
        "Su ubicación está fuera de las zonas que muestra este mapa.",
    ),
    "map_region": ("Map of outages by area", "Mapa de apagones por zona"),
    "map_zoom_in": ("Zoom in", "Acercar"),
    "map_zoom_out": ("Zoom out", "Alejar"),
    "map_close": ("Close", "Cerrar"),
    "map_info": ("Area details", "Detalles de la zona"),
    "map_show": ("Show {name} on the map", "Mostrar {name} en el mapa"),
    "map_table_caption": (
        "Members out of power in every area, most first",
        "Socios sin electricidad en cada zona, primero las más afectadas",
    ),
    "map_partial": (
        "Partly restored: {back} back on, {out} still out",
        "Restablecido en parte: {back} ya tienen luz, {out} siguen sin servicio",
    ),
    "map_restored_so_far": ("back on so far", "ya tienen luz"),
    "map_updated_at": ("Updated {time} ({ago})", "Actualizado {time} ({ago})"),
    "map_ago": ("{t} ago", "hace {t}"),
    "map_just_now": ("just now", "hace un momento"),
    "map_out_of_date": (
        "This map may be out of date: last updated {time} ({ago}).",
        "Este mapa puede no estar al día: última actualización {time} ({ago}).",
    ),
    "map_not_loaded": (
        "The outage figures could not be loaded. Try again in a few minutes or call the co-op.",
        "No se pudieron cargar las cifras de apagones. Intente en unos minutos o llame a la cooperativa.",
    ),
    "map_county_of": ("{name} County", "Condado de {name}"),
    # the plain-text list of the snapshot (/map/outages.txt, /map/outages.es.txt: outages.public_feeds.text_list)
    "text_title": ("Outage list", "Lista de apagones"),
    "text_totals": (
        "{out} of {served} members out of power ({percent} %), {outages} active outages",
        "{out} de {served} socios sin electricidad ({percent} %), {outages} apagones activos",
    ),
    "text_out_of": ("{out} of {served} members out", "{out} de {served} socios sin servicio"),
    "text_partial": (
        "Partly restored: {n} members back so far",
        "Restablecido en parte: {n} socios ya tienen luz",
    ),
    "text_safety": (
        "A downed line is always live: stay 35 feet away and call 911, then the co-op at {phone}.",
        "Una línea caída siempre tiene corriente: aléjese 35 pies (10 metros) y llame al 911, y después a la "
        "cooperativa al {phone}.",
    ),
    "text_full_map": ("Map and more: {url}", "Mapa y más: {url}"),
}

# --- e-mails ---
# The account e-mails (:mod:`reports.member_mail`): kind -> ((English subject, body), (Spanish subject, body)).
# {link} marks the link the e-mail carries.  "no_account" goes to an address no account uses, so in English.
MAIL: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "activate": (
        (
            "Activate your outage account",
            "Open this link to activate your account: {link}\nThe link works for 48 hours.",
        ),
        (
            "Active su cuenta de apagones",
            "Abra este enlace para activar su cuenta: {link}\nEl enlace funciona durante 48 horas.",
        ),
    ),
    "already_registered": (
        (
            "Your outage account",
            "This address already has an account. Sign in, or reset your password if you forgot it.",
        ),
        (
            "Su cuenta de apagones",
            "Esta dirección ya tiene una cuenta. Inicie sesión o restablezca su contraseña si la olvidó.",
        ),
    ),
    "reset": (
        ("Reset your password", "Open this link within 2 hours to choose a new password: {link}"),
        ("Restablezca su contraseña", "Abra este enlace en 2 horas para elegir una contraseña nueva: {link}"),
    ),
    "no_account": (
        (
            "Password reset",
            "Someone asked to reset a password for this address, but no outage account uses it. If it was "
            "you, register first.",
        ),
        (
            "Restablecer la contraseña",
            "Alguien pidió restablecer una contraseña para esta dirección, pero ninguna cuenta de apagones "
            "la usa. Si fue usted, regístrese primero.",
        ),
    ),
}

# --- alerts ---
# The alerts (:mod:`reports.member_alerts`): language -> kind -> (subject, text), and the words they are built from.
ALERT_CAUSES_ES = {
    "lightning": "rayos",
    "wind": "viento",
    "ice_snow": "hielo / nieve",
    "flood": "inundación",
    "heat": "calor",
    "vegetation": "vegetación",
    "animal": "un animal",
    "equipment_failure": "falla de equipo",
    "public_vehicle": "un vehículo / el público",
    "power_supply": "el suministro / la transmisión",
    "planned": "trabajo programado",
    "overload": "sobrecarga",
    "unknown": "causa en investigación",
}
ALERT_DAYS_ES = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
ALERT_MONTHS_ES = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")

# {meters}: "meter M1" / "meters M1 and M2"; Spanish {meters} "medidor M1" / "medidores M1 y M2", {the_meters}
# "el medidor M1" / "los medidores M1 y M2", {to_the_meters} "al medidor M1" / "a los medidores M1 y M2"
ALERTS: dict[str, dict] = {
    "en": {
        "outage": (
            "Power outage at {meters}",
            "We know about a power outage at your service ({meters}) since {start}. Cause: {cause}. "
            "Estimated restoration: {etr}. You do not need to report it.",
        ),
        "etr": (
            "New restoration estimate for {meters}",
            "The estimated restoration time for the outage at {meters} is now {etr}.",
        ),
        "restored": (
            "Power restored at {meters}",
            "Power is back at {meters} since {restored}. If you are still without power, please report "
            "it: {report_url}",
        ),
        "planned": (
            "Planned outage ahead at {meters}",
            "Planned work will interrupt power at {meters} from {start}, expected back by {etr}.",
        ),
        "crew": (
            "Crew on site at {meters}",
            "A crew is on site at the outage affecting your service at {meters}.",
        ),
        "cancelled": (
            "Correction for {meters}",
            "The outage we told you about at {meters} was logged in error or called off. If your "
            "power is out, please report it: {report_url}",
        ),
        "meter": ("meter", "meters", "the", "the", "to"),
        "and": "and",
        "more": "{n} more",
        "assessing": "being assessed",
        "unsubscribe": "To stop these alerts: {url}",
        "confirm": (
            "Confirm outage alerts",
            "A member of {coop} asked to send you outage alerts. To receive them, open: {url}",
        ),
        "confirm_updates": (
            "Confirm outage updates",
            "You asked {coop} for updates about an outage you reported. To receive them, open: {url}\n"
            "If it was not you, ignore this message: nothing will be sent.",
        ),
    },
    "es": {
        "outage": (
            "Apagón en {the_meters}",
            "Sabemos que hay un apagón en su servicio ({meters}) desde el {start}. Causa: {cause}. "
            "Restablecimiento estimado: {etr}. No necesita reportarlo.",
        ),
        "etr": (
            "Nueva hora estimada para {the_meters}",
            "La hora estimada de restablecimiento del apagón en {the_meters} es ahora {etr}.",
        ),
        "restored": (
            "Servicio restablecido en {the_meters}",
            "La electricidad volvió {to_the_meters} desde el {restored}. Si sigue sin luz, repórtelo: {report_url}",
        ),
        "planned": (
            "Corte programado en {the_meters}",
            "Un trabajo programado cortará la electricidad en {the_meters} desde el {start}; se espera "
            "que vuelva antes del {etr}.",
        ),
        "crew": (
            "Cuadrilla en el lugar en {the_meters}",
            "Una cuadrilla está en el lugar del apagón que afecta su servicio en {the_meters}.",
        ),
        "cancelled": (
            "Corrección para {the_meters}",
            "El apagón que le avisamos en {the_meters} se registró por error o se canceló. Si "
            "no tiene luz, repórtelo: {report_url}",
        ),
        "meter": ("medidor", "medidores", "el", "los", "a"),  # "a el" contracts to "al"
        "and": "y",
        "more": "{n} más",
        "assessing": "en evaluación",
        "unsubscribe": "Para dejar de recibir estas alertas: {url}",
        "confirm": (
            "Confirme las alertas de apagones",
            "Un socio de {coop} pidió enviarle alertas de apagones. Para recibirlas, abra: {url}",
        ),
        "confirm_updates": (
            "Confirme las novedades del apagón",
            "Usted pidió a {coop} novedades de un apagón que reportó. Para recibirlas, abra: {url}\n"
            "Si no fue usted, ignore este mensaje: no se le enviará nada.",
        ),
    },
}

# --- answers ---
# The member API's answers (:mod:`outages.members.service`): key -> (English, Spanish), sent as "English / Spanish".
ANSWERS: dict[str, tuple[str, str]] = {
    "same_answer": (
        "If the details are right, we have sent an e-mail with what to do next.",
        "Si los datos son correctos, le enviamos un correo con los siguientes pasos.",
    ),
    "activated": ("Your account is active. You can sign in now.", "Su cuenta está activa."),
    "already_active": ("Your account is already active. You can sign in.", "Su cuenta ya está activa."),
    "confirmed": ("You will receive outage alerts from now on.", "Recibirá alertas de apagones."),
    "already_confirmed": ("You had already confirmed.", "Ya había confirmado."),
    "password_changed": (
        "Your password is changed. You can sign in now.",
        "Su contraseña cambió. Ya puede iniciar sesión.",
    ),
    "unsubscribed": (
        "You will receive no more outage alerts at this address.",
        "No recibirá más alertas de apagones en esta dirección.",
    ),
    # what the log knows, nothing more (D16): no crew is promised without a crew on record
    # {status}: a status word (STATUS_WORDS), {etr}: a time or "being assessed", each in its half's language
    "report_known": (
        "We already know about this outage. Status: {status}. Estimated restoration: {etr}.",
        "Ya sabemos de este corte. Estado: {status}. Restablecimiento estimado: {etr}.",
    ),
    "report_new": (
        "Thanks, your report is new: a dispatcher will look at it.",
        "Gracias, su reporte es nuevo: un despachador lo revisará.",
    ),
    "report_again": ("We already have your report for this meter.", "Ya tenemos su reporte para este medidor."),
    "hazard_safety": SAFETY,  # with a report that names a danger (ReportAck.safety)
    # updates without an account (POST /api/members/updates): {address} as normalised
    "updates_email": (
        "We sent a confirmation link to {address}. Updates start once it is confirmed.",
        "Enviamos un enlace de confirmación a {address}. Las novedades empiezan cuando se confirme.",
    ),
    "updates_sms": (
        "We sent a text message with a confirmation link to {address}. Updates start once it is confirmed.",
        "Enviamos un mensaje de texto con un enlace de confirmación al {address}. Las novedades empiezan "
        "cuando se confirme.",
    ),
}


# --- errors ---
# What the member API refuses with (:mod:`outages.passwords`, :mod:`outages.members`, :mod:`outages.alerts`,
# :mod:`dashboards.limits`, :mod:`dashboards.tokens`): key -> (English, Spanish), sent as "English / Spanish"
# (neither half may contain " / ": the member pages split there).  The English half says its "Fix:".
ERRORS: dict[str, tuple[str, str]] = {
    # passwords
    "password_short": (
        "The password is shorter than 8 characters. Fix: use a longer passphrase, e.g. four words.",
        "La contraseña tiene menos de 8 caracteres. Use una frase más larga, por ejemplo cuatro palabras.",
    ),
    "password_long": (
        "The password is longer than 1,024 characters. Fix: use a shorter passphrase.",
        "La contraseña tiene más de 1,024 caracteres. Use una frase más corta.",
    ),
    "password_common": (
        "That password is too common or too easy to guess. Fix: choose another one, e.g. a few unrelated words.",
        "Esa contraseña es demasiado común o fácil de adivinar. Elija otra, por ejemplo varias palabras sin relación.",
    ),
    # e-mail addresses: {reason} is the plain reason of registry.schemas.normalise_email, capitalised
    "email_empty": (
        "{reason}. Fix: write it like name@example.org.",
        "Falta el correo electrónico. Escríbalo así: nombre@ejemplo.org.",
    ),
    "email_too_long": (
        "{reason}. Fix: use a shorter address.",
        "El correo electrónico tiene más de {limit} caracteres. Use una dirección más corta.",
    ),
    "email_invalid": (
        "{reason}. Fix: write it like name@example.org.",
        "{shown} no es un correo electrónico. Escríbalo así: nombre@ejemplo.org.",
    ),
    # the account
    "bill_mismatch": (
        "The account number and meter number do not match one of our service points. Fix: copy both from the "
        "same bill.",
        "El número de cuenta y el de medidor no coinciden con ninguno de nuestros servicios. Cópielos de la "
        "misma factura.",
    ),
    "bad_language": ("language must be en or es. Fix: choose English or Spanish.", "Elija inglés o español."),
    "bad_activation_link": (
        "This activation link is not valid. Fix: ask for a new one on the sign-in page.",
        "Este enlace de activación no es válido. Pida uno nuevo en la página de inicio de sesión.",
    ),
    "activation_expired": (
        "This activation link has expired. Fix: ask for a new one (Resend activation).",
        "Este enlace de activación venció. Pida uno nuevo (Reenviar activación).",
    ),
    "bad_reset_link": (
        "This reset link is not valid any more. Fix: ask for a new one.",
        "Este enlace ya no es válido. Pida uno nuevo.",
    ),
    "wrong_sign_in": (
        "Wrong e-mail or password, or the account is not activated yet. Fix: check both, or use the link we "
        "e-mailed you.",
        "Correo o contraseña incorrectos, o la cuenta aún no está activada. Revise ambos o use el enlace que le "
        "enviamos.",
    ),
    "account_inactive": (
        "This account is not active. Fix: open the activation link we e-mailed you.",
        "Esta cuenta no está activa. Abra el enlace de activación que le enviamos.",
    ),
    "sign_in_first": (
        "Sign in first. Fix: POST /api/members/token with your e-mail and password.",
        "Inicie sesión primero.",
    ),
    "not_member_sign_in": ("This is not a member sign-in. Fix: sign in as a member.", "Inicie sesión como socio."),
    # service points and reports
    "meter_not_yours": (
        "That meter is not one of yours. Fix: choose one of your service points.",
        "Ese medidor no es suyo. Elija uno de sus medidores.",
    ),
    "meter_not_yours_add": (
        "That meter is not one of yours. Fix: choose one of your service points, or add it first.",
        "Ese medidor no es suyo. Elija uno de sus medidores o agréguelo primero.",
    ),
    "meter_or_phone": (
        "Give the meter number from your bill, or the mobile number you get text alerts on.",
        "Escriba el número de medidor de su factura, o el celular donde recibe alertas.",
    ),
    "bad_hazard": (
        "hazard must be wire_down or tree_on_line, or left out. Fix: choose 'A wire is down', 'A tree is on a "
        "line' or nothing.",
        "Elija 'Hay un cable caído', 'Hay un árbol sobre una línea' o nada.",
    ),
    "phone_not_confirmed": (
        "We have no confirmed phone number for that account. Fix: use the meter number from your bill instead, "
        "or sign in.",
        "No tenemos ese celular confirmado para esa cuenta. Use el número de medidor de su factura o inicie sesión.",
    ),
    # alert recipients: {address} is the address as typed, quoted (repr)
    "texts_unavailable": (
        "Text alerts are not available at this cooperative yet. Fix: choose e-mail.",
        "Los mensajes de texto aún no están disponibles. Elija correo.",
    ),
    "bad_phone": (
        "{address} is not a mobile phone number. Fix: write it like 512-555-0142.",
        "{address} no es un número de celular. Escríbalo así: 512-555-0142.",
    ),
    "bad_channel": ("channel must be email or sms. Fix: choose e-mail or text.", "Elija correo o mensaje de texto."),
    "own_address": (
        "That is your own e-mail address; it receives your alerts already.",
        "Es su propio correo; ya recibe sus alertas.",
    ),
    "recipient_not_yours": (
        "Alert recipient {id} is not one of yours. Fix: reload your alert settings.",
        "Ese destinatario no es suyo. Vuelva a cargar sus ajustes de alertas.",
    ),
    "own_address_kept": (
        "Your own e-mail cannot be removed. Fix: turn alerts off per service point, or use the unsubscribe link "
        "in any alert.",
        "Su propio correo no se puede quitar. Apague las alertas de cada medidor o use el enlace para darse de "
        "baja de cualquier alerta.",
    ),
    "bad_confirm_link": (
        "This confirmation link is not valid. Fix: ask the member to add you again.",
        "Este enlace no es válido. Pida al socio que lo agregue de nuevo.",
    ),
    "bad_unsubscribe_link": (
        "This unsubscribe link is not valid. Fix: use the link in the latest alert.",
        "Este enlace no es válido. Use el enlace de la alerta más reciente.",
    ),
    # rate limits (dashboards.limits): {wait} is one of the wait_… texts, each half in its own language; staff
    # signing in get the English half only
    "too_many_requests": (
        "Too many {action} attempts from here. Fix: wait {wait} and try again.",
        "Demasiados intentos. Espere {wait} e inténtelo de nuevo.",
    ),
    "too_many_sign_ins": (
        "Too many sign-in attempts for this account or from this address. Fix: wait {wait} and try again.",
        "Demasiados intentos. Espere {wait} e inténtelo de nuevo.",
    ),
    "wait_seconds": ("{n} seconds", "{n} segundos"),
    "wait_minute": ("{n} minute", "{n} minuto"),
    "wait_minutes": ("{n} minutes", "{n} minutos"),
}
assert not ANSWERS.keys() & ERRORS.keys(), "a key names both an answer and an error"
assert not any(" / " in half for pair in (*ANSWERS.values(), *ERRORS.values()) for half in pair), "splits wrong"


def both(key: str, **values: object) -> str:
    """An answer or an error (:data:`ANSWERS`, :data:`ERRORS`) in both languages, as the member API sends it:
    "English / Spanish", each half's ``{name}`` placeholders filled in from ``values``."""
    english, spanish = ANSWERS[key] if key in ANSWERS else ERRORS[key]
    return f"{english.format(**values)} / {spanish.format(**values)}"
