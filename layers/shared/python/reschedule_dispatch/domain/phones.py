"""Phone numbers as E.164, the form every number is stored and compared in."""

from __future__ import annotations


def to_e164(text: str, region: str) -> str | None:
    """The number as E.164 (a national number read in `region`'s plan, e.g. "US"); None when
    it is not a possible phone number."""
    # Loaded here, by the few paths that read a typed or provider's number: phonenumbers'
    # metadata is about 18 ms of import that the other paths should not pay at cold start.
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def country_code(e164: str) -> int | None:
    """The country calling code of an E.164 number (1 for the US and Canada); None when it
    is not a possible number."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    if number.country_code is None or not phonenumbers.is_possible_number(number):
        return None
    return int(number.country_code)


def region_of(e164: str) -> str:
    """The region whose national numbers a business's own number implies ("US" when unknown):
    how a number typed without its country code is read."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "US"
    return phonenumbers.region_code_for_number(number) or "US"
