"""What Cognito answers, as the team's services understand it (botocore's Stubber plays
Cognito's documented error codes)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from reschedule_dispatch.adapters.cognito_identities import CognitoIdentities
from reschedule_dispatch.domain.errors import Conflict, Unprocessable


@pytest.fixture
def cognito():
    client = boto3.client("cognito-idp", region_name="us-east-1")
    with Stubber(client) as stub:
        yield client, stub


@pytest.mark.parametrize(
    ("code", "refused"),
    [("UsernameExistsException", Conflict), ("InvalidParameterException", Unprocessable)],
)
def test_an_invitation_cognito_refuses_is_a_clear_refusal(cognito, code, refused):
    client, stub = cognito
    stub.add_client_error("admin_create_user", service_error_code=code)
    if code == "UsernameExistsException":  # someone else's account: another business
        other = [{"Name": "custom:business_id", "Value": "b-2"}]
        stub.add_response("admin_get_user", {"Username": "x", "UserAttributes": other})
    with pytest.raises(refused, match=r"ana@acme\.example"):
        CognitoIdentities(client, "us-east-1_pool").invite("ana@acme.example", "b-1", "admin")


@pytest.mark.parametrize("code", ["UserNotFoundException", "InvalidParameterException"])
def test_removing_an_account_that_cannot_exist_is_nothing_to_do(cognito, code):
    client, stub = cognito
    stub.add_client_error("admin_delete_user", service_error_code=code)
    CognitoIdentities(client, "us-east-1_pool").remove("ghost@acme.example")
    stub.assert_no_pending_responses()


def test_any_other_answer_is_raised_as_cognito_gave_it(cognito):
    client, stub = cognito
    stub.add_client_error("admin_delete_user", service_error_code="TooManyRequestsException")
    with pytest.raises(client.exceptions.TooManyRequestsException):
        CognitoIdentities(client, "us-east-1_pool").remove("ana@acme.example")


def test_an_invitation_retried_after_it_got_through_is_the_same_account(cognito):
    # Given a first request that made the account but whose answer was lost
    client, stub = cognito
    stub.add_client_error("admin_create_user", service_error_code="UsernameExistsException")
    attributes = [
        {"Name": "custom:business_id", "Value": "b-1"},
        {"Name": "custom:role", "Value": "dispatcher"},
    ]
    stub.add_response(
        "admin_get_user", {"Username": "dan@acme.example", "UserAttributes": attributes}
    )

    # Then the retry is the same account, not a clash that would hide it
    CognitoIdentities(client, "us-east-1_pool").invite("dan@acme.example", "b-1", "dispatcher")
    stub.assert_no_pending_responses()
