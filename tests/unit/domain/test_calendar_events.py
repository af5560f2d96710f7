"""Events the product did not create, read as appointments when they carry a customer
(domain/calendar_events.py): examples of what people type, then properties over messy
shapes (all-day events, series, attendees without names, several phones, odd formats,
HTML bodies, no customer at all)."""

from __future__ import annotations

import html
from dataclasses import replace

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reschedule_dispatch.domain.calendar_events import (
    Attendee,
    CalendarEntry,
    Ours,
    is_derived,
    plain_text,
    read_event,
)

OURS = Ours.of(
    region="US",
    phones=["+14145550100"],  # the business's number
    emails=["alex@lakeside.example", "sam@lakeside.example"],  # the technicians' calendars
    addresses=["1 Depot Rd, Milwaukee"],  # a home base
)
ALEX = Attendee(email="alex@lakeside.example", name="Alex Rivera", is_self=True)
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

OUTLOOK_BODY = (
    '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    '\r\n<style type="text/css" style="display:none">\r\nP {{margin-top:0;margin-bottom:0;}}'
    '\r\n</style>\r\n</head>\r\n<body dir="ltr">\r\n{}\r\n</body>\r\n</html>'
)


def entry(**fields: object) -> CalendarEntry:
    return CalendarEntry(**fields)  # type: ignore[arg-type]


# -- What people type ---------------------------------------------------------------------------


def test_an_invited_customer_is_the_appointments_customer():
    # Given a job the office put in Alex's calendar, the customer invited
    event = entry(
        summary="Water heater",
        attendees=(ALEX, Attendee(email="Jane.Doe@Example.com", name="Jane Doe")),
        organizer="alex@lakeside.example",
    )

    read = read_event(event, OURS)

    assert read is not None
    assert (read.customer.name, read.customer.email, read.customer.phone) == (
        "Jane Doe",
        "jane.doe@example.com",
        "",
    )
    assert read.service == "Water heater"
    assert read.reason == "attendee jane.doe@example.com"
    assert is_derived(read.customer.id)


def test_the_technician_the_organizer_rooms_and_the_staff_are_never_the_customer():
    staff = (
        ALEX,
        Attendee(email="lena@lakeside.example", name="Lena (dispatch)"),  # the staff's domain
        Attendee(email="sam@lakeside.example"),  # another technician
        Attendee(email="boss@elsewhere.example", organizer=True),
        Attendee(email="van-3@resource.calendar.google.com", name="Van 3", resource=True),
        Attendee(email="not an address"),
    )

    assert read_event(entry(summary="Crew meeting", attendees=staff), OURS) is None
    # and the organizer named only by the event is not a customer either
    organizer = entry(summary="Planning", attendees=(Attendee(email="ops@elsewhere.example"),))
    assert read_event(replace(organizer, organizer="ops@elsewhere.example"), OURS) is None


def test_a_colleague_on_a_public_mail_domain_is_a_customer_unless_they_are_a_technician():
    gmail = Ours.of(emails=["alex.rivera@gmail.com"])
    event = entry(
        attendees=(Attendee(email="alex.rivera@gmail.com"), Attendee(email="jane@gmail.com"))
    )

    read = read_event(event, gmail)

    assert read is not None
    assert read.customer.email == "jane@gmail.com"


def test_a_phone_in_the_location_or_the_notes_is_the_customers():
    in_location = read_event(entry(summary="Furnace", location="Call (312) 555-0142"), OURS)
    in_notes = read_event(entry(summary="Furnace", description="cell 312.555.0142"), OURS)

    assert in_location is not None
    assert in_notes is not None
    assert in_location.customer.phone == in_notes.customer.phone == "+13125550142"
    assert in_location.reason == "phone in location"
    assert in_notes.reason == "phone in description"
    # the same number is the same customer, however it was written
    assert in_location.customer.id == in_notes.customer.id
    assert "3125550142" not in in_location.customer.id


def test_of_several_phones_the_first_that_takes_a_text_wins_and_ours_never_does():
    # Given the business's number, a London landline, then a mobile, read in the UK
    uk = Ours.of(region="GB", phones=["+442079460000"])
    event = entry(
        location="Shop 020 7946 0000",
        description="Landline 020 7946 0958, mobile 07911 123456, or 07400 123456",
    )

    read = read_event(event, uk)

    assert read is not None
    assert read.customer.phone == "+447911123456"
    assert read.reason == "phone in description"
    # Only a landline: it is still the customer's number
    landline = read_event(entry(description="020 7946 0958"), uk)
    assert landline is not None
    assert landline.customer.phone == "+442079460958"


@pytest.mark.parametrize(
    "text",
    ["Jane (cell) +1 312-555-0142", "(+1) 312 555 0142", "[312] 555 0142", "1 (312) 555-0142"],
)
def test_brackets_around_or_before_a_number(text):
    read = read_event(entry(description=text), OURS)

    assert read is not None
    assert read.customer.phone == "+13125550142"


TEAMS_BODY = OUTLOOK_BODY.format(
    "<div>Weekly sync</div><div>________________</div>"
    "<div>Microsoft Teams meeting</div><div>Join on your computer or mobile app</div>"
    '<div><a href="https://teams.example/l/meetup-join/19%3ameeting">Click here to join</a></div>'
    "<div>Or call in (audio only)</div>"
    '<div><a href="tel:+13238494874,,123456789#">+1 323-849-4874,,123456789#</a> United States'
    "</div><div>Phone conference ID: 123 456 789#</div>"
)
ZOOM_TEXT = """Join Zoom Meeting
https://zoom.example/j/85012345678?pwd=abc

Meeting ID: 850 1234 5678
Passcode: 4417

One tap mobile
+16465588656,,85012345678# US (New York)

Dial by your location
        +1 646 558 8656 US (New York)
        +1 301 715 8592 US (Washington DC)
Find your local number: https://zoom.example/u/abc"""


@pytest.mark.parametrize("description", [TEAMS_BODY, ZOOM_TEXT])
def test_a_meetings_dial_in_numbers_are_no_customers(description):
    assert read_event(entry(summary="Weekly sync", description=description), OURS) is None
    # and with a customer's number besides, that number is the one read
    with_customer = read_event(
        entry(summary="Video estimate", description=f"Jane 312-555-0142\n{description}"), OURS
    )
    assert with_customer is not None
    assert with_customer.customer.phone == "+13125550142"


def test_an_online_meeting_the_provider_knows_reads_no_number_in_its_description():
    meeting = entry(summary="Video estimate", description="Call 312-555-0142")

    assert read_event(replace(meeting, online_meeting=True), OURS) is None
    assert read_event(meeting, OURS) is not None
    invited = replace(meeting, online_meeting=True, attendees=(Attendee(email="j@example.com"),))
    read = read_event(invited, OURS)
    assert read is not None
    assert (read.customer.phone, read.reason) == ("", "attendee j@example.com")


def test_the_location_is_read_before_the_description():
    event = entry(location="312-555-0199", description="Call 312-555-0142 first")

    read = read_event(event, OURS)

    assert read is not None
    assert read.customer.phone == "+13125550199"


def test_an_outlook_html_body_reads_as_its_text():
    body = OUTLOOK_BODY.format(
        '<div class="elementToProof">Customer:&nbsp;jane smith</div>'
        '<div>Gate code 4417<br>Call <a href="tel:+13125550142">her cell</a></div>'
    )

    assert plain_text(body) == "Customer: jane smith\nGate code 4417\nCall +13125550142 her cell"
    read = read_event(entry(summary="Dryer", description=body), OURS)
    assert read is not None
    assert (read.customer.name, read.customer.phone) == ("Jane Smith", "+13125550142")


def test_a_head_left_open_does_not_hide_the_body():
    assert plain_text("<html><head><title>x<body><p>Call 312-555-0142</p>") == ("Call 312-555-0142")


def test_a_street_address_in_the_location_is_a_customer_with_no_phone():
    read = read_event(entry(summary="Estimate", location="12 Elm St, Milwaukee, WI 53202"), OURS)

    assert read is not None
    assert (read.customer.phone, read.customer.email) == ("", None)
    assert read.address == "12 Elm St, Milwaukee, WI 53202"
    assert read.reason == "address in location"
    assert read.location() is None  # no coordinates: not geocoded here


@pytest.mark.parametrize(
    "location",
    [
        "4100 N. Lake Shore Drive",
        "Milwaukee, WI 53202",
        "Calle Mayor 5, Madrid",
        "Hauptstraße 12, Berlin",
        "88 Queen St W, Toronto, ON M5H 2N2",
    ],
)
def test_addresses_as_people_write_them(location):
    read = read_event(entry(location=location), OURS)

    assert read is not None
    assert read.address == location


@pytest.mark.parametrize(
    "location",
    ["Zoom", "https://meet.example/abc-3125550142", "Conference room B", "Office", ""],
)
def test_a_place_that_is_no_address_is_no_customer(location):
    assert read_event(entry(summary="Standup", location=location), OURS) is None


def test_a_technicians_home_base_is_not_a_customers_address():
    assert read_event(entry(summary="Vehicle service", location="1 Depot Rd"), OURS) is None


def test_coordinates_come_with_an_address_only():
    with_address = read_event(
        entry(location="12 Elm St", coordinates=(43.04, -87.91), street_address=True), OURS
    )
    phone_only = read_event(
        entry(location="Jane's, 312-555-0142", coordinates=(43.04, -87.91)), OURS
    )

    assert with_address is not None
    place = with_address.location()
    assert place is not None
    assert (place.lat, place.address) == (43.04, "12 Elm St")
    assert phone_only is not None
    assert phone_only.location() is None


@pytest.mark.parametrize(
    ("summary", "name", "service"),
    [
        ("Water heater - Jane Smith", "Jane Smith", "Water heater"),
        ("Jane Smith: furnace", "Jane Smith", "furnace"),
        ("AC Repair | Bob O'Neil", "Bob O'Neil", "AC Repair"),
        ("Tune-up for Maria de la Cruz, back gate", "Maria de la Cruz", "Tune-up - back gate"),
        ("Tune-up for Jane Smith, back gate", "Jane Smith", "Tune-up - back gate"),
        ("Kitchen Remodel", "", "Kitchen Remodel"),  # two words alone: no name
        ("Estimate for kitchen remodel", "", "Estimate for kitchen remodel"),
        ("Water Heater - Gas Leak", "", "Water Heater - Gas Leak"),  # trade words
        ("Smith, Jane", "", "Smith, Jane"),
        ("", "", "Appointment"),
    ],
)
def test_a_name_from_the_summarys_wording(summary, name, service):
    read = read_event(entry(summary=summary, location="312-555-0142"), OURS)

    assert read is not None
    assert (read.customer.name, read.service) == (name, service)


def name_of(event: CalendarEntry) -> str:
    read = read_event(event, OURS)
    assert read is not None
    return read.customer.name


def test_names_in_order_display_name_labelled_line_summary_then_address():
    unnamed = Attendee(email="jane.smith@example.com")
    labelled = "Customer: Robin Diaz\nGate 12"
    # a display name that is only the address is no name
    shown = Attendee(email="jsmith@example.com", name="jsmith@example.com")

    named = Attendee(email="jo@example.com", name=" Jo  Ng ")
    assert name_of(entry(summary="Drain - Pat Lee", description=labelled, attendees=(named,))) == (
        "Jo Ng"
    )
    assert name_of(entry(summary="Drain - Pat Lee", attendees=(unnamed,))) == "Pat Lee"
    labelled_event = entry(summary="Drain - Pat Lee", description=labelled, attendees=(unnamed,))
    assert name_of(labelled_event) == "Robin Diaz"
    assert name_of(entry(summary="Drain", attendees=(unnamed,))) == "Jane Smith"
    assert name_of(entry(attendees=(Attendee(email="jsmith@example.com"),))) == ""
    assert name_of(entry(summary="Drain - Pat Lee", attendees=(shown,))) == "Pat Lee"


def test_every_reason_is_given():
    event = entry(
        location="12 Elm St",
        description="312-555-0142",
        attendees=(Attendee(email="jane@example.com"),),
    )

    read = read_event(event, OURS)

    assert read is not None
    assert read.reason == "attendee jane@example.com; phone in description; address in location"
    assert read.customer.email == "jane@example.com"


def test_the_customer_id_is_the_phones_then_the_emails_then_the_addresss():
    phone = read_event(entry(description="312-555-0142"), OURS)
    phone_and_email = read_event(
        entry(description="312-555-0142", attendees=(Attendee(email="jane@example.com"),)), OURS
    )
    email = read_event(entry(attendees=(Attendee(email="JANE@example.com"),)), OURS)
    email_and_address = read_event(
        entry(location="12 Elm St", attendees=(Attendee(email="jane@example.com"),)), OURS
    )
    address = read_event(entry(location="12 Elm St."), OURS)
    same_address = read_event(entry(location=" 12  elm st"), OURS)

    assert phone
    assert phone_and_email
    assert email
    assert email_and_address
    assert address
    assert same_address
    assert phone.customer.id == phone_and_email.customer.id
    assert email.customer.id == email_and_address.customer.id != phone.customer.id
    assert address.customer.id == same_address.customer.id != email.customer.id


def test_all_day_events_and_series_are_never_appointments():
    customer = {"location": "12 Elm St", "attendees": (Attendee(email="jane@example.com"),)}

    assert read_event(entry(**customer), OURS) is not None
    assert read_event(entry(**customer, all_day=True), OURS) is None
    assert read_event(entry(**customer, series=True), OURS) is None


def test_the_product_ids_are_not_derived():
    assert not is_derived("c-1")
    assert is_derived("cal-0123")


# -- Properties over messy shapes ------------------------------------------------------------------

AREA_CODES = ("212", "303", "312", "414", "415", "617", "702", "919")
# Text around a number, as people type it: letters, spaces and punctuation, no digits.
NOISE = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ ,.;:!?-'\"()\n\té"),
    max_size=40,
)
FORMATS = (
    "+1{a}{e}{l}",
    "({a}) {e}-{l}",
    "{a}-{e}-{l}",
    "{a}.{e}.{l}",
    "{a} {e} {l}",
    "1-{a}-{e}-{l}",
    "+1 ({a}) {e}-{l}",
    "{a}{e}{l}",
    "tel:+1{a}{e}{l}",
    "{a}\u2011{e}\u2011{l}",  # non-breaking hyphens, as Outlook writes them
    "({a})\xa0{e}-{l}",
    "+1 {a} {e} {l} ext. 12",
)


@st.composite
def us_numbers(draw: st.DrawFn) -> tuple[str, str, str]:
    """(area code, exchange, line) of a valid US number."""
    area = draw(st.sampled_from(AREA_CODES))
    exchange = draw(st.integers(200, 999).filter(lambda n: n % 100 != 11))
    line = draw(st.integers(0, 9999))
    number = (area, str(exchange), f"{line:04d}")
    parsed = phonenumbers.parse("+1" + "".join(number))
    if not phonenumbers.is_valid_number(parsed):
        return ("312", "555", f"{line % 100 + 100:04d}")  # 555-01xx: always valid
    return number


def e164(number: tuple[str, str, str]) -> str:
    return "+1" + "".join(number)


@st.composite
def written(draw: st.DrawFn, number: tuple[str, str, str]) -> str:
    area, exchange, line = number
    return draw(st.sampled_from(FORMATS)).format(a=area, e=exchange, l=line)


def in_noise(draw: st.DrawFn, text: str) -> str:
    return f"{draw(NOISE)} {text} {draw(NOISE)}"


attendees = st.builds(
    Attendee,
    email=st.one_of(
        st.emails().map(str.lower),
        st.sampled_from(["alex@lakeside.example", "lena@lakeside.example", "", "nobody"]),
    ),
    name=st.one_of(st.just(""), st.text(max_size=20), st.emails()),
    is_self=st.booleans(),
    organizer=st.booleans(),
    resource=st.booleans(),
)
entries = st.builds(
    CalendarEntry,
    summary=st.text(max_size=60),
    location=st.text(max_size=60),
    description=st.one_of(st.text(max_size=200), st.text(max_size=80).map(OUTLOOK_BODY.format)),
    attendees=st.lists(attendees, max_size=4).map(tuple),
    organizer=st.sampled_from(["", "alex@lakeside.example", "boss@elsewhere.example"]),
    all_day=st.booleans(),
    series=st.booleans(),
    coordinates=st.one_of(st.none(), st.tuples(st.floats(-90, 90), st.floats(-180, 180))),
    street_address=st.booleans(),
)


@PROPERTY
@given(entries)
def test_any_event_reads_as_blocked_time_or_an_appointment_with_its_reason(event):
    read = read_event(event, OURS)

    if read is None:
        return
    assert not event.all_day
    assert not event.series
    assert read.reason
    assert is_derived(read.customer.id)
    assert read.customer.phone == "" or phonenumbers.is_valid_number(
        phonenumbers.parse(read.customer.phone)
    )
    assert read.customer.phone != "+14145550100"
    assert read.customer.email is None or (
        "@" in read.customer.email and not read.customer.email.endswith("@lakeside.example")
    )
    assert "@" not in read.customer.name
    assert read.service
    assert (read.coordinates is None) or bool(read.address)
    assert read_event(event, OURS) == read  # the same event always reads the same


@PROPERTY
@given(entries)
def test_all_day_events_and_series_are_blocked_time_whatever_they_carry(event):
    assert read_event(replace(event, all_day=True), OURS) is None
    assert read_event(replace(event, series=True), OURS) is None


@PROPERTY
@given(st.data(), us_numbers(), st.sampled_from(["location", "description"]))
def test_a_phone_in_any_format_amid_any_text_is_found_as_e164(data, number, where):
    text = in_noise(data.draw, data.draw(written(number)))

    read = read_event(entry(**{where: text}), OURS)

    assert read is not None
    assert read.customer.phone == e164(number)
    assert read.reason == f"phone in {where}"


@PROPERTY
@given(st.data(), st.lists(us_numbers(), min_size=2, max_size=4, unique=True))
def test_of_several_phones_the_first_written_is_chosen_and_ours_is_skipped(data, numbers):
    texts = [data.draw(written(n)) for n in numbers]
    description = " / ".join(in_noise(data.draw, t) for t in texts)

    read = read_event(entry(description=description), OURS)
    with_ours_first = read_event(entry(description=f"Shop 414-555-0100. {description}"), OURS)

    assert read is not None
    assert with_ours_first is not None
    assert read.customer.phone == e164(numbers[0])  # US numbers can all take a text
    assert with_ours_first.customer == read.customer


@PROPERTY
@given(st.data(), us_numbers())
def test_the_same_number_in_any_format_is_the_same_customer(data, number):
    first = read_event(entry(location=data.draw(written(number))), OURS)
    second = read_event(entry(description=in_noise(data.draw, data.draw(written(number)))), OURS)

    assert first is not None
    assert second is not None
    assert first.customer.id == second.customer.id


@PROPERTY
@given(st.data(), us_numbers(), st.lists(NOISE, min_size=1, max_size=4))
def test_an_html_body_reads_like_its_text(data, number, lines):
    lines = [*lines, data.draw(written(number)), *data.draw(st.lists(NOISE, max_size=3))]
    plain = "\n".join(lines)
    body = OUTLOOK_BODY.format(
        "".join(f"<div>{html.escape(line) or '<br>'}</div>" for line in lines)
    )

    as_text = read_event(entry(summary="Job", description=plain), OURS)
    as_html = read_event(entry(summary="Job", description=body), OURS)

    assert as_text is not None
    assert as_html is not None
    assert as_html.customer.phone == as_text.customer.phone == e164(number)
    assert as_html.reason == as_text.reason


@PROPERTY
@given(st.lists(attendees, min_size=1, max_size=5))
def test_the_customer_is_the_first_attendee_who_is_not_ours(people):
    event = entry(summary="Job", attendees=tuple(people), organizer="boss@elsewhere.example")
    eligible = [
        a
        for a in people
        if not (a.is_self or a.organizer or a.resource)
        and "@" in a.email
        and "." in a.email.rpartition("@")[2]
        and a.email != "boss@elsewhere.example"
        and not a.email.endswith("@lakeside.example")
        and " " not in a.email
    ]

    read = read_event(event, OURS)

    if not eligible:
        assert read is None
        return
    assert read is not None
    assert read.customer.email == eligible[0].email
    assert read.reason == f"attendee {eligible[0].email}"
    shown = " ".join(eligible[0].name.split())
    if shown and "@" not in shown:
        assert read.customer.name == shown


@PROPERTY
@given(
    summary=NOISE,
    location=NOISE,
    description=st.one_of(NOISE, NOISE.map(lambda t: OUTLOOK_BODY.format(html.escape(t)))),
    staff=st.lists(
        st.sampled_from(
            [ALEX, Attendee(email="lena@lakeside.example"), Attendee(email="x@y.z", resource=True)]
        ),
        max_size=3,
    ),
)
def test_an_event_with_no_customer_at_all_is_blocked_time(summary, location, description, staff):
    # No digits anywhere (no phone, no house number, no postal code) and only our people
    event = entry(
        summary=summary, location=location, description=description, attendees=tuple(staff)
    )

    assert read_event(event, OURS) is None


@pytest.mark.parametrize(
    "location",
    ["Zoom +1 646 558 8656,,8123456789#", "Dial-in: +1 646 558 8656, meeting ID 812 3456"],
)
def test_a_dial_in_in_the_location_is_never_the_customers_number(location):
    # Nothing else names a customer: the event is the technician's blocked time
    assert read_event(entry(summary="Catch-up", location=location), OURS) is None


def test_an_online_meetings_location_numbers_are_its_conferences():
    located = entry(summary="Call", location="+1 312 555 0142", online_meeting=True)
    assert read_event(located, OURS) is None
