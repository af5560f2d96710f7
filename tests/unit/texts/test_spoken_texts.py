"""Where the catalogue's words reach a customer: keyword replies in the customer's language,
the link template's placeholders, the page."""

from __future__ import annotations

from reschedule_dispatch.domain.session import Actor, TimelineEvent
from reschedule_dispatch.services.messaging import InboundMessage
from reschedule_dispatch.services.send_link import link_message
from reschedule_dispatch.texts import Text, english
from reschedule_dispatch.web.pages import closed_page
from tests.builders import NOW, appointment, business, customer, reschedule_session, technician
from tests.fakes import FakeBusinesses, FakeContacts, FakeSessions, FixedClock

CUSTOMER_PHONE = "+13125550142"


def inbound_for(language: str | None) -> InboundMessage:
    """Keyword replies for a customer whose latest link was in `language` (None: no link)."""
    the_business = business()
    sessions, contacts = FakeSessions(), FakeContacts()
    if language is not None:
        session = reschedule_session(appointment(NOW), language=language)
        sessions.create(
            session, None, TimelineEvent(type="created", at=NOW, actor=Actor.DISPATCHER)
        )
        contacts.remember_session(the_business.id, CUSTOMER_PHONE, session.id)
    return InboundMessage(
        contacts=contacts,
        sessions=sessions,
        businesses=FakeBusinesses(the_business),
        clock=FixedClock(),
    )


def test_help_and_start_answer_in_the_language_of_the_customers_latest_link():
    inbound = inbound_for("es")
    assert inbound(CUSTOMER_PHONE, "+13125550100", "help") == (
        "Acme Plumbing: para ayuda con su cita, llame al +13125550100. Responda STOP para no "
        "recibir más mensajes."
    )
    assert inbound(CUSTOMER_PHONE, "+13125550100", " Start ") == (
        "Acme Plumbing: volverá a recibir nuestros mensajes. Responda STOP para no recibir más."
    )


def test_help_and_start_answer_in_english_without_a_link_or_for_an_english_one():
    for inbound in (inbound_for(None), inbound_for("en")):
        assert inbound(CUSTOMER_PHONE, "+13125550100", "INFO") == (
            "Acme Plumbing: for help with your appointment call +13125550100. "
            "Reply STOP to opt out."
        )
        assert inbound(CUSTOMER_PHONE, "+13125550100", "yes") == (
            "Acme Plumbing: you're subscribed again. Reply STOP to opt out."
        )


def test_the_link_sms_fills_every_placeholder_its_id_declares():
    # Given a dispatcher's message with every placeholder the console offers
    message = " ".join("{" + name + "}" for name in Text.LINK_SMS.placeholders)
    # When it is filled for a customer
    filled = link_message(
        business(), customer(), appointment(NOW), technician(), message, language="en"
    )
    # Then none is left as typed
    assert "{" not in filled
    assert filled.startswith("Olivia Acme Plumbing Mon, Nov 23 at 9:00 AM Alex Rivera")


def test_a_closed_link_page_says_the_stored_english_reason_in_the_customers_language():
    page = closed_page("Este enlace no se puede usar", english(Text.LINK_EXPIRED), None, "es")
    assert "Este enlace ha vencido." in page
    assert 'lang="es"' in page
