"""Link-guessing counters in the app table (moto, provisioned from the template)."""

from __future__ import annotations

import boto3
import pytest

from local.template import Template
from reschedule_dispatch.adapters.dynamodb_guesses import DynamoGuessThrottle
from reschedule_dispatch.domain.errors import NotFound, TooManyGuesses
from reschedule_dispatch.domain.guessing import GuessLimit
from reschedule_dispatch.domain.links import new_token
from reschedule_dispatch.services.customer_links import CustomerLinks
from reschedule_dispatch.services.link_guessing import LinkGuessing
from tests.integration.conftest import ROOT

GUESSER, CUSTOMER = "203.0.113.7", "198.51.100.20"


def _table(world):
    return boto3.resource("dynamodb").Table(world.env["APP_TABLE_NAME"])


def _items(world) -> list[dict]:
    return list(_table(world).scan()["Items"])


def test_counts_add_up_per_client_and_window(world):
    # One UpdateItem ADD per unknown link: DynamoDB applies each atomically. (moto's
    # in-memory table does not, so this counts calls in sequence: a threaded count here
    # would test moto, and flake.)
    counts = DynamoGuessThrottle(_table(world))
    assert counts.unknown_links("client-a", 1_000) == 0
    answers = [counts.add_unknown_link("client-a", 1_000, 1_600) for _ in range(12)]
    assert answers == list(range(1, 13))  # each call answers the count it made
    assert counts.unknown_links("client-a", 1_000) == 12
    assert counts.add_unknown_link("client-a", 1_000, 1_600) == 13
    # Another window, another client: counted apart
    assert counts.unknown_links("client-a", 1_300) == 0
    assert counts.unknown_links("client-b", 1_000) == 0


def test_a_counter_carries_the_tables_ttl_attribute(world):
    DynamoGuessThrottle(_table(world)).add_unknown_link("client-a", 1_000, 1_600)
    [item] = [i for i in _items(world) if i["pk"].startswith("GUESSES#")]
    assert item["sk"] == "WINDOW#1000"
    assert item[_ttl_attribute()] == 1_600


def _ttl_attribute() -> str:
    """The app table's TTL attribute, as the CDK app declares it (moto keeps no TTL)."""
    tables = Template.load(ROOT / "cdk.out").of_type("AWS::DynamoDB::Table")
    [attribute] = [
        table["Properties"]["TimeToLiveSpecification"]["AttributeName"]
        for table in tables.values()
        if "TimeToLiveSpecification" in table["Properties"]
    ]
    return str(attribute)


def _links(world, limit: GuessLimit) -> CustomerLinks:
    guessing = LinkGuessing(
        counts=DynamoGuessThrottle(_table(world)), clock=world.clock, limit=limit
    )
    return CustomerLinks(
        sessions=world.sessions,
        provider=world.provider,
        businesses=world.businesses,
        workflow=world.workflow,
        clock=world.clock,
        guessing=guessing,
    )


def test_a_guesser_is_stopped_and_a_customer_is_not(world):
    # Given a sent link, and the items in the table before anyone guesses
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, "https://x")
    token = sent.link.rsplit("/", 1)[1]
    links = _links(world, GuessLimit(unknown_links=5, window_seconds=300))
    before = [i for i in _items(world) if not i["pk"].startswith("GUESSES#")]
    # When a client tries five unknown links
    for _ in range(5):
        with pytest.raises(NotFound):
            links.page(new_token(), client=GUESSER)
    # Then its next request is refused, even with the real token
    with pytest.raises(TooManyGuesses):
        links.page(token, client=GUESSER)
    # While the customer, from elsewhere, opens their link as often as they like
    for _ in range(6):
        assert links.page(token, client=CUSTOMER).session.id == sent.session.id
    # And the guessing wrote one counter, keyed without the address, and nothing else
    after = _items(world)
    counters = [i for i in after if i["pk"].startswith("GUESSES#")]
    assert [int(c["unknown_links"]) for c in counters] == [5]
    assert GUESSER not in str(counters)
    assert [i for i in after if not i["pk"].startswith("GUESSES#")] == before
    # Until the window ends
    world.clock.advance(seconds=300)
    assert links.page(token, client=GUESSER).session.id == sent.session.id
