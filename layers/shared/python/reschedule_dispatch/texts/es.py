"""Spanish (usted), on a 24-hour clock. Keywords stay the carriers' own: STOP, START, HELP."""

from __future__ import annotations

from reschedule_dispatch.texts import CalendarWords
from reschedule_dispatch.texts.ids import Text

CALENDAR = CalendarWords(
    weekdays=("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
    weekdays_long=("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    months=("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
    months_long=(
        "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
        "septiembre", "octubre", "noviembre", "diciembre",
    ),
    day_periods=("a. m.", "p. m."),
)  # fmt: skip

TEXTS: dict[Text, str] = {
    Text.CLOCK: "{hour}:{minute}",
    Text.DAY: "{weekday_long} {day} de {month_long}",
    Text.DATE_TIME: "{weekday} {day} {month} a las {clock}",
    Text.LINK_SMS: "Hola {customer_first_name}, le escribe {business_name}. ¿Necesita otro "
    "horario para su {service} del {appointment_time}? Elija uno nuevo:",
    Text.LINK_EMAIL_SUBJECT: "{business}: elija un nuevo horario para su {service}",
    Text.LINK_EMAIL_BUTTON: "Elegir un nuevo horario",
    Text.CONFIRMATION_SMS: "Hola {first_name}, su cita con {business} ahora es el {when}. "
    "¿Preguntas? Llame al {phone}.",
    Text.CANCEL_SMS: "Hola {first_name}, le escribe {business}. El enlace para elegir otro "
    "horario ya no funciona; su cita sigue el {when}. ¿Preguntas? Llame al {phone}.",
    Text.INVITATION_SMS: "Hola {first_name}, le escribe {business}. Su {service} ahora es el "
    "{when} con {technician}. Agréguelo a su calendario: {link} ¿Preguntas? Llame al {phone}.",
    Text.INVITATION_EMAIL_SUBJECT: "{business}: su {service} ahora es el {when}",
    Text.INVITATION_EMAIL_BODY: "Hola {first_name}:\n\nSu {service} con {business} ahora es "
    "el {when}, con {technician}.{address}\n\nAdjuntamos la invitación para su calendario."
    "\n\n¿Preguntas? Llame al {phone}.",
    Text.INVITATION_EMAIL_ADDRESS: "\nDirección: {address}",
    Text.REPLY_SUBSCRIBED: "{business}: volverá a recibir nuestros mensajes. Responda STOP "
    "para no recibir más.",
    Text.REPLY_HELP: "{business}: para ayuda con su cita, llame al {phone}. Responda STOP para "
    "no recibir más mensajes.",
    Text.PAGE_PICK_TITLE: "Elija un nuevo horario",
    Text.PAGE_YOUR_APPOINTMENT: "Su cita",
    Text.PAGE_WITH: "con",
    Text.PAGE_NO_OPENINGS: "No hay otros horarios disponibles en este momento.",
    Text.PAGE_OPEN_TIMES: "Horarios disponibles",
    Text.PAGE_CONFIRM_TITLE: "Confirme su nuevo horario",
    Text.PAGE_CONFIRM: "Confirmar",
    Text.PAGE_PICK_ANOTHER: "Elegir otro horario",
    Text.PAGE_CONFIRMING_TITLE: "Confirmando su nuevo horario…",
    Text.PAGE_CONFIRMING_BODY: "Esto tarda unos segundos. La página se actualiza sola.",
    Text.PAGE_DONE_TITLE: "¡Listo!",
    Text.PAGE_DONE_BODY: "Su cita ahora es:",
    Text.PAGE_ADD_TO_CALENDAR: "Agregar al calendario",
    Text.PAGE_FAILED_TITLE: "No pudimos cambiar su cita",
    Text.PAGE_STILL: "Su cita sigue siendo el",
    Text.PAGE_CALL: "Llame a {business} al",
    Text.PAGE_CONTACT: "Comuníquese con la empresa que le envió este enlace.",
    Text.PAGE_OPEN_TITLE: "Su cita",
    Text.PAGE_OPEN: "Ver mi cita",
    Text.PAGE_DIGITS_LABEL: "Últimos cuatro dígitos del número de teléfono",
    Text.PAGE_UNLOCK: "Ver la cita",
    Text.PAGE_CLOSED_TITLE: "Este enlace no se puede usar",
    Text.PAGE_NOT_FOUND_TITLE: "Enlace no encontrado",
    Text.PAGE_NOT_FOUND: "Este enlace no es válido. Abra el enlace completo del mensaje de "
    "texto que recibió.",
    Text.PAGE_ALREADY_DONE_TITLE: "Ya está hecho",
    Text.PAGE_ERROR_TITLE: "Algo salió mal",
    Text.PAGE_ERROR: "No pudimos cargar esta página. Inténtelo de nuevo en un minuto.",
    Text.PAGE_TOO_MANY_TRIES_TITLE: "Demasiados intentos",
    Text.PAGE_TOO_MANY_TRIES: "Desde aquí se abrieron demasiados enlaces que no existen. "
    "Espere unos minutos y abra el enlace completo del mensaje de texto que recibió.",
    Text.NOTICE_TAKEN: "Alguien acaba de tomar ese horario. Elija otro, por favor.",
    Text.NOTICE_RETRY: "No pudimos confirmar ese horario. Inténtelo de nuevo.",
    Text.NOTICE_TIME_GONE: "Ese horario ya no está disponible. Elija otro, por favor.",
    Text.NOTICE_PICK_ONE: "Elija uno de los horarios, por favor.",
    Text.LINK_EXPIRED: "Este enlace ha vencido.",
    Text.LINK_CANCELED: "Este enlace fue cancelado.",
    Text.LINK_UNUSABLE: "Este enlace ya no se puede usar.",
    Text.LINK_NO_LONGER_SHOWN: "Este enlace ya no está disponible.",
    Text.NEW_TIME_ALREADY_CHOSEN: "Ya se eligió un nuevo horario con este enlace.",
    Text.BROWSER_OPEN_IT: "Abra su cita para ver los horarios a los que puede cambiarla.",
    Text.BROWSER_ANOTHER: "Este enlace se abrió en otro dispositivo. Para ver la cita aquí, "
    "escriba los últimos cuatro dígitos del número de teléfono al que se envió el mensaje.",
    Text.BROWSER_LOCKED: "Este enlace no se puede abrir en otro dispositivo. Ábralo en el "
    "teléfono al que se envió, o llámenos para recibir uno nuevo.",
    Text.REASON_CHANGED_ELSEWHERE: "La cita cambió por otro medio.",
    Text.REASON_APPOINTMENT_CANCELED: "La cita fue cancelada.",
    Text.REASON_TIME_TAKEN: "El horario ya no está disponible.",
    Text.REASON_PROVIDER_UNAVAILABLE: "El sistema de citas no estaba disponible.",
    Text.REASON_PROVIDER_REFUSED: "El sistema de citas rechazó nuestra conexión; vuelva a "
    "conectarlo en Configuración.",
    Text.REASON_DID_NOT_FINISH: "El cambio de horario no terminó y no se movió nada.",
    Text.REASON_MOVE_UNDONE: "No se pudo mover la cita, y quedó como estaba.",
    Text.REASON_UNCONFIRMED: "No se pudo contactar al sistema de citas para confirmar el "
    "cambio: revise la cita allí.",
    Text.REASON_NOT_MOVED: "No se pudo mover la cita.",
    Text.REASON_MOVED_BY_DISPATCHER: "La empresa cambió la cita.",
    Text.WRONG_DIGITS_LAST_TRY: "Esos no son los últimos cuatro dígitos del número de "
    "teléfono al que se envió el mensaje. Le queda 1 intento.",
    Text.WRONG_DIGITS: "Esos no son los últimos cuatro dígitos del número de teléfono al que "
    "se envió el mensaje. Le quedan {tries_left} intentos.",
    Text.SLACK_SUMMARY: "{business}: {status}, cambio de cita de {customer} ({when}).",
    Text.SLACK_SUMMARY_REASON: "Motivo: {reason}",
    Text.SLACK_HEADLINE: "*{status}*: cambio de cita de *{customer}*",
    Text.SLACK_WHEN: "*Cuándo*\n{when}",
    Text.SLACK_REASON: "*Motivo*\n{reason}",
    Text.SLACK_OPEN_IN_CONSOLE: "Abrir en la consola",
}
