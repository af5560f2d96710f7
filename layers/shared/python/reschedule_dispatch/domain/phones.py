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
