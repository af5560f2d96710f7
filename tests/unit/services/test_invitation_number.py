"""The number a dispatcher types for a move's invitation."""

from __future__ import annotations

import pytest

from reschedule_dispatch.domain.business import BusinessSettings
from reschedule_dispatch.domain.errors import Unprocessable
from reschedule_dispatch.services.dispatcher_move import invitation_number
from tests.builders import business


def test_a_national_number_is_read_in_the_business_own_country():
    assert invitation_number(business(), "(312) 555-0177") == "+13125550177"
    uk = business(phone="+442079460000", time_zone="Europe/London")
    assert invitation_number(uk, "020 7946 0958") == "+442079460958"


def test_a_number_abroad_is_refused_unless_the_business_texts_abroad():
    with pytest.raises(Unprocessable, match=r"own country \(\+1\) only"):
        invitation_number(business(), "+44 20 7946 0958")
    abroad = business(settings=BusinessSettings(text_other_countries=True))
    assert invitation_number(abroad, "+44 20 7946 0958") == "+442079460958"


def test_a_number_that_cannot_be_one_is_refused():
    with pytest.raises(Unprocessable, match="not valid"):
        invitation_number(business(), "12")
