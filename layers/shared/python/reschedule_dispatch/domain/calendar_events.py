"""A calendar event the product did not create, read as an appointment when it carries a
customer; any other event is blocked time.

A business's calendar already holds its jobs as people typed them: "Water heater - Jane
Smith", the customer's number in the location or the notes, the customer invited by email,
the street address in the location. `read_event` reads one such event (as a provider-neutral
`CalendarEntry`, which the Google and Outlook adapters build) and answers an
`EventAppointment` with its customer, its service, its place and the reason it was read so,
or None for blocked time. Everything here is a pure function of the entry and of what is the
business's own (`Ours`), so the same event always reads the same way.

The rules (docs/providers.md, "Events the product did not create"):

* never an appointment: an all-day event, a recurring series itself (its instances are read
  one by one, each under its own id);
* a customer is an attendee other than the technician, the organizer, a room and the
  business's own people; or a phone number in the location or the description; or a street
  address in the location;
* the customer's id is derived from what identifies them, so every event with the same
  number (or email, or address) is one customer: the phone first, then the email, then the
  address.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

from reschedule_dispatch.domain.scheduling import Customer, Location

# Ids this module derives start with this, so an adapter can tell them from the ids its own
# properties carry (a customer it cannot look up by a property must be found by reading).
DERIVED_PREFIX = "cal-"

# Mail domains shared by the public: an attendee there is not one of the business's staff
# even when a technician's calendar is at the same domain.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "aol.com",
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mac.com",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "yahoo.com",
        "ymail.com",
    }
)

# Words of a trade's job titles: a summary segment with one of them is the service, not a
# person ("Water Heater - Jane Smith").
SERVICE_WORDS = frozenset(
    (  # noqa: SIM905  # a paragraph of words reads better than a column of them
        "ac air appliance appointment boiler breaker call cleaning clog consult drain dryer "
        "electric electrical estimate faucet filter follow furnace gas heat heater hvac "
        "inspection install installation job leak lunch maintenance meeting outlet panel "
        "pipe plumbing pump quote repair replace replacement service sink tank toilet "
        "training tune tune-up unit visit washer water wiring"
    ).split()
)

# Words that join a name's parts in lower case ("Maria de la Cruz", "Jan van Dijk").
NAME_PARTICLES = frozenset(
    {"da", "de", "del", "della", "der", "di", "du", "la", "le", "van", "von"}
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SEPARATORS = re.compile(r"\s+[-\u2013\u2014|/]\s+|[:|()\[\],;]")
_LABELLED_NAME = re.compile(
    r"^\s*(?:customer|client|name|contact)\s*(?:name)?\s*[:\-]\s*(?P<name>[^\n,;|]+)",
    re.IGNORECASE | re.MULTILINE,
)
_NAME_AFTER = re.compile(r"\b(?:for|with)\s+(?P<name>\S.*)", re.IGNORECASE)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_BRACKETS = str.maketrans("()[]{}", "      ")
# A line of a meeting invitation's dial-in block ("+1 323-849-4874,,123456789# United
# States", "Phone conference ID: 123 456 789#", "Dial by your location").
_DIAL_IN = re.compile(
    r"\d,,|dial[- ]in|dial by|one tap|join by phone|conference id|meeting id|passcode"
    r"|audio conferencing",
    re.IGNORECASE,
)
# A street address as people write it: a house number, then the street and its kind
# ("12 Elm St", "4100 N. Lake Shore Drive"); a kind of street, then the number ("Calle
# Mayor 5", "Hauptstraße 12"); or a postal code after a state or province ("WI 53202",
# "ON M5V 2T6").
_STREET_KINDS = (
    r"st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|way|ct|court|pl|place|"
    r"ter|terrace|cir|circle|hwy|highway|pkwy|parkway|sq|square|trl|trail|loop|cres|"
    r"crescent|close|grove|walk|pike|alley|plaza|row|run"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,6}}[A-Za-z]?\s+(?:[NSEW]\.?\s+)?(?:[^\W\d_][\w'.-]*\s+){{0,4}}"
    rf"(?:{_STREET_KINDS})\b"
    r"|\b(?:calle|carrer|rue|via|viale|avenida|rua|strasse|straße)\s+[^\W\d_][^,\d]{0,40}\d{1,5}"
    r"|\b[^\W\d_]+(?:strasse|straße|weg|platz|gasse)\s+\d{1,5}"
    r"|\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b"
    r"|\b[A-Z]{2}\s+[A-Z]\d[A-Z]\s?\d[A-Z]\d\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Attendee:
    email: str = ""
    name: str = ""
    is_self: bool = False  # this copy's calendar: the technician
    organizer: bool = False
    resource: bool = False  # a room or equipment


@dataclass(frozen=True)
class CalendarEntry:
    """An event as `read_event` needs it, whatever the provider. `description` may be HTML
    (Outlook bodies are; Google's editor writes some)."""

    summary: str = ""
    location: str = ""
    description: str = ""
    attendees: tuple[Attendee, ...] = ()
    organizer: str = ""  # the organizer's email
    all_day: bool = False
    series: bool = False  # a recurring series itself, not one of its instances
    coordinates: tuple[float, float] | None = None  # (lat, lon), when the provider has them
    # A Teams, Meet or Zoom meeting the provider knows of: the numbers in its description
    # are the conference's dial-ins, not a customer's.
    online_meeting: bool = False
    # The provider resolved the location to a street address (Outlook's locationType).
    street_address: bool = False


@dataclass(frozen=True)
class Ours:
    """What is the business's own, so never a customer's: its numbers, its people's
    addresses (the technicians' calendars), their mail domains, the technicians' home bases.
    `region` reads a number written without its country code."""

    region: str = "US"
    phones: frozenset[str] = frozenset()  # E.164
    emails: frozenset[str] = frozenset()  # lower case
    domains: frozenset[str] = frozenset()  # lower case
    addresses: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        *,
        region: str = "US",
        phones: Iterable[str] = (),
        emails: Iterable[str] = (),
        addresses: Iterable[str] = (),
    ) -> Ours:
        """The staff's mail domains are their emails' domains, the public ones excepted."""
        own = frozenset(e.strip().lower() for e in emails if _EMAIL.match(e.strip()))
        domains = frozenset(e.rpartition("@")[2] for e in own) - PUBLIC_MAIL_DOMAINS
        return cls(
            region=region,
            phones=frozenset(p for p in phones if p),
            emails=own,
            domains=domains,
            addresses=tuple(a for a in (_squash(a) for a in addresses) if len(a) >= 6),
        )


@dataclass(frozen=True)
class EventCustomer:
    id: str
    name: str
    phone: str  # E.164, or "" when the event has none
    email: str | None = None

    def customer(self, business_id: str, location: Location | None = None) -> Customer:
        return Customer(
            id=self.id,
            business_id=business_id,
            name=self.name,
            phone=self.phone,
            email=self.email,
            location=location,
        )


@dataclass(frozen=True)
class EventAppointment:
    """What one event says of an appointment. `reason` is why an event the product did not
    create was read as one ("attendee jane@example.com; phone in description"); None when the
    product's own fields on the event say so."""

    customer: EventCustomer
    service: str
    address: str = ""
    coordinates: tuple[float, float] | None = None
    reason: str | None = None

    def location(self) -> Location | None:
        """The place the openings engine drives to: only with coordinates (an address alone
        is not geocoded here; docs/openings.md, missing places)."""
        if self.coordinates is None:
            return None
        lat, lon = self.coordinates
        return Location(address=self.address, lat=lat, lon=lon)

    def customer_in(self, business_id: str) -> Customer:
        return self.customer.customer(business_id, self.location())


def read_event(entry: CalendarEntry, ours: Ours) -> EventAppointment | None:
    """The event as an appointment when it carries a customer; None for blocked time."""
    if entry.all_day or entry.series:
        return None
    description = plain_text(entry.description)
    attendee = _customer_attendee(entry, ours)
    # An online meeting's numbers are its conference's, wherever they are written; a dial-in
    # line is one in any event ("Zoom … +1 646 558 8656,,8123#" in the location too).
    numbered = "" if entry.online_meeting else _without_dial_ins(description)
    located = "" if entry.online_meeting else _without_dial_ins(entry.location or "")
    phone, phone_in = _phone(located, numbered, ours)
    address = _address(entry, ours)
    reasons = [
        *([f"attendee {attendee.email}"] if attendee else []),
        *([f"phone in {phone_in}"] if phone else []),
        *(["address in location"] if address else []),
    ]
    if not reasons:
        return None
    name, service = _name_and_service(entry.summary, description, attendee)
    email = attendee.email if attendee else None
    if phone:
        key = f"phone:{phone}"
    elif email:
        key = f"email:{email}"
    else:
        key = f"address:{_squash(address)}"
    return EventAppointment(
        customer=EventCustomer(id=_derived_id(key), name=name, phone=phone, email=email),
        service=service,
        address=address,
        coordinates=entry.coordinates if address else None,
        reason="; ".join(reasons),
    )


def is_derived(customer_id: str) -> bool:
    """A customer id this module made (not one the product's own properties carry)."""
    return customer_id.startswith(DERIVED_PREFIX)


def plain_text(text: str) -> str:
    """The text a person reads: HTML's tags, styles and scripts dropped, entities decoded,
    blocks as lines, and the numbers of `tel:` links kept (a link may show only "Call")."""
    if "<" not in text and "&" not in text:
        return text
    reader = _TextReader()
    reader.feed(text)
    reader.close()
    lines = (" ".join(line.split()) for line in "".join(reader.parts).splitlines())
    return "\n".join(line for line in lines if line)


# -- Who the customer is -----------------------------------------------------------------------


def _customer_attendee(entry: CalendarEntry, ours: Ours) -> Attendee | None:
    """The first attendee, in the event's order, who is not the technician, the organizer,
    a room, or one of the business's own people."""
    organizer = entry.organizer.strip().lower()
    for attendee in entry.attendees:
        email = attendee.email.strip().lower()
        if attendee.is_self or attendee.organizer or attendee.resource:
            continue
        if not _EMAIL.match(email) or email == organizer or email in ours.emails:
            continue
        if email.rpartition("@")[2] in ours.domains:
            continue
        return Attendee(email=email, name=_display_name(attendee.name))
    return None


def _phone(location: str, description: str, ours: Ours) -> tuple[str, str]:
    """The customer's number and where it was found, or ("", "").

    The location is read before the description, each from its start: the number people
    write first is the one they mean first. Among those, the first one that can take a text
    wins (the product texts the customer), else the first one; the business's own numbers
    are never the customer's.
    """
    # Loaded here: phonenumbers' metadata costs cold starts on the paths that never read
    # an event (domain/phones.py says the same).
    import phonenumbers

    textable = {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
    found: list[tuple[str, str, bool]] = []
    for where, text in (("location", location), ("description", description)):
        # Brackets as spaces: libphonenumber's matcher misses a number after a bracketed
        # word ("(cell) +1 312 555 0142"), and a bracket is never a digit of a number.
        plain = _URL.sub(" ", text).translate(_BRACKETS)
        for match in phonenumbers.PhoneNumberMatcher(
            plain, ours.region, leniency=phonenumbers.Leniency.VALID
        ):
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in ours.phones:
                found.append((e164, where, phonenumbers.number_type(match.number) in textable))
    for e164, where, can_text in found:
        if can_text:
            return e164, where
    return (found[0][0], found[0][1]) if found else ("", "")


def _without_dial_ins(text: str) -> str:
    """The description less a meeting invitation's dial-in numbers: its lines that name
    them (or dial one: "+13238494874,,123456789#"), and the numbers listed under "Dial by
    your location" up to the next line without a digit."""
    kept: list[str] = []
    listing = False
    for line in text.splitlines():
        if _DIAL_IN.search(line):
            listing = "location" in line.lower() or listing
            continue
        if listing and any(c.isdigit() for c in line):
            continue
        listing = False
        kept.append(line)
    return "\n".join(kept)


def _address(entry: CalendarEntry, ours: Ours) -> str:
    """The location as an address when it reads as a street address (or the provider says
    it is one), not a technician's home base; "" otherwise."""
    location = " ".join(_URL.sub(" ", entry.location).split()).strip(" ,;-")
    if not location:
        return ""
    if not entry.street_address and not _ADDRESS.search(location):
        return ""
    squashed = _squash(location)
    if any(own in squashed or squashed in own for own in ours.addresses):
        return ""
    return location


def _name_and_service(summary: str, description: str, attendee: Attendee | None) -> tuple[str, str]:
    """The customer's name (the attendee's display name, a "Customer: ..." line of the
    description, the summary's wording, the name part of the attendee's address, in that
    order; "" when none says) and the service (the summary, less the name it gave)."""
    summary = " ".join(summary.split())
    service = summary
    name = attendee.name if attendee and attendee.name else ""
    if not name:
        labelled = _LABELLED_NAME.search(description)
        name = _leading_person(labelled.group("name"), lower_case=True) if labelled else ""
    if not name:
        name, service = _name_in_summary(summary)
    if not name and attendee:
        name = _name_of_address(attendee.email)
    return name, service or "Appointment"


def _name_in_summary(summary: str) -> tuple[str, str]:
    """A name the summary's wording gives, and the summary without it: after "for" or
    "with" ("Tune-up for Jane Smith"), or the one segment between separators that reads as
    a person ("Water heater - Jane Smith", "Jane Smith: furnace"). A summary that is only
    two words gives no name: "Kitchen Remodel" reads like "Jane Smith", and a text that
    greets a customer by a job's name is worse than one without a name."""
    after = _NAME_AFTER.search(summary)
    if after:
        name, taken = _person_words(after.group("name"))
        if name:
            before = _tidy(summary[: after.start()])
            after_name = _tidy(" ".join(after.group("name").split()[taken:]))
            return name, " - ".join(part for part in (before, after_name) if part)
    segments = [s.strip() for s in _SEPARATORS.split(summary) if s and s.strip()]
    people = [s for s in segments if _leading_person(s) == s]
    if len(people) != 1 or len(segments) < 2:
        return "", summary
    rest = [s for s in segments if s is not people[0]]
    return people[0], _tidy(" - ".join(rest))


def _leading_person(text: str, *, lower_case: bool = False) -> str:
    """The person's name `text` starts with (see `_person_words`); "" when it starts with
    none."""
    return _person_words(text, lower_case=lower_case)[0]


def _person_words(text: str, *, lower_case: bool = False) -> tuple[str, int]:
    """The name `text` starts with, and how many of its words that took: two to four
    capitalized words of letters (apostrophes and hyphens allowed, "de", "van"... between
    them; a comma ends the name), up to a trade's word ("Jane Smith Furnace" is Jane Smith;
    "Water Heater" no one). With `lower_case` (a labelled "Customer:" line), "jane smith" is
    Jane Smith."""
    words: list[str] = []
    for word in text.split()[:6]:
        core = word.strip(",.;:")
        letters = core.replace("'", "").replace("\u2019", "").replace("-", "")
        particle = bool(words) and core in NAME_PARTICLES
        capitalized = core[:1].isupper() or (lower_case and core.islower()) or particle
        acronym = letters.isupper() and len(letters) > 1  # "AC", "HVAC"
        if not letters.isalpha() or not capitalized or acronym:
            break
        if core.lower() in SERVICE_WORDS:
            break
        words.append(core if particle else core[0].upper() + core[1:])
        if word.endswith((",", ";", ":")):
            break
    while words and words[-1] in NAME_PARTICLES:  # "Maria de" is not a name's end
        words.pop()
    if not 2 <= len([w for w in words if w not in NAME_PARTICLES]) <= 4:
        return "", 0
    return " ".join(words), len(words)


def _display_name(name: str) -> str:
    """An attendee's display name, unless it is only an address."""
    name = " ".join(name.split())
    return "" if not name or "@" in name else name


def _name_of_address(email: str) -> str:
    """An address' name part as a name: jane.smith@ is Jane Smith; jsmith@ says none."""
    local = email.partition("@")[0]
    parts = [p for p in re.split(r"[._-]", local) if p]
    if 2 <= len(parts) <= 3 and all(p.isalpha() for p in parts):
        return " ".join(p.capitalize() for p in parts)
    return ""


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" -\u2013\u2014:|/,;")


def _squash(text: str) -> str:
    """Text compared by its letters and digits only ("12 Elm St." is "12elmst")."""
    return "".join(c for c in text.casefold() if c.isalnum())


def _derived_id(key: str) -> str:
    """A stable, opaque id: the same number (email, address) is the same customer, and the
    id does not spell the number out in URLs and logs."""
    return DERIVED_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:24]


class _TextReader(HTMLParser):
    _SKIPPED = frozenset({"style", "script", "head", "title"})
    _BLOCKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # whatever a malformed head left open, the body is read
            self._skipping = 0
        elif tag in self._SKIPPED:
            self._skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif tag == "a":
            href = next((v for k, v in attrs if k == "href" and v), "")
            if href.lower().startswith("tel:"):
                self.parts.append(f" {href[4:]} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data.replace("\xa0", " "))
