"""A link is texted again at most MAX_RESENDS times: a lost text, not a flood."""

from __future__ import annotations

import pytest

from reschedule_dispatch.domain.errors import Conflict
from reschedule_dispatch.services.session_actions import MAX_RESENDS, ResendLink

BASE = "https://api.example"


def test_a_link_is_resent_at_most_three_times_and_then_refused_with_nothing_sent(world):
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    resend = ResendLink(
        sessions=world.sessions,
        businesses=world.businesses,
        sms=world.sms,
        clock=world.clock,
        contacts=world.contacts,
    )
    for _ in range(MAX_RESENDS):
        resend("acme", "d@acme.example", sent.session.id, BASE)
    texts = len(world.sms.sent)
    with pytest.raises(Conflict, match=f"already resent {MAX_RESENDS} times"):
        resend("acme", "d@acme.example", sent.session.id, BASE)
    assert len(world.sms.sent) == texts == 1 + MAX_RESENDS
    timeline = [e.type for e in world.sessions.timeline(sent.session.id)]
    assert timeline.count("resent") == MAX_RESENDS
