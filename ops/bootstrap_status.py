"""Is the account and region the AWS credentials point at bootstrapped for CDK? (`make deploy`)

Reads the SSM parameter the CDK CLI itself checks, ``/cdk-bootstrap/<qualifier>/version``
(the qualifier from cdk.json's ``@aws-cdk/core:bootstrapQualifier``, else CDK's default).

Exit status: 0 bootstrapped (recent enough for this app's template); 3 not bootstrapped, or
older than the template requires (``make deploy`` then runs ``cdk bootstrap``, which creates
or upgrades it); 2 cannot tell (no credentials, no region, access denied): nothing to
bootstrap until that is fixed. Never bootstraps on its own, so an account bootstrapped
with its own options (a permissions boundary, trusted accounts) is not redone with defaults.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_QUALIFIER = "hnb659fds"
# DefaultStackSynthesizer's minimum: the template's CheckBootstrapVersion rule refuses 1-5.
MIN_VERSION = 6
BOOTSTRAPPED, CANNOT_TELL, NOT_BOOTSTRAPPED = 0, 2, 3


def qualifier(cdk_json: Path = ROOT / "cdk.json") -> str:
    context = json.loads(cdk_json.read_text()).get("context", {})
    return str(context.get("@aws-cdk/core:bootstrapQualifier") or DEFAULT_QUALIFIER)


def region() -> str | None:
    """As the CDK CLI picks it: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region
    (boto3 alone ignores AWS_REGION)."""
    return (
        os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or boto3.session.Session().region_name
    )


def status(ssm: Any, name: str, out: TextIO) -> int:
    try:
        value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ParameterNotFound":
            print(f"not bootstrapped: no {name}", file=out)
            return NOT_BOOTSTRAPPED
        print(f"cannot tell whether CDK is bootstrapped: {error}", file=out)
        return CANNOT_TELL
    except BotoCoreError as error:  # no credentials, no endpoint
        print(f"cannot tell whether CDK is bootstrapped: {error}", file=out)
        return CANNOT_TELL
    if not str(value).isdigit() or int(value) < MIN_VERSION:
        print(
            f"bootstrap version {value} is older than {MIN_VERSION}: it needs upgrading", file=out
        )
        return NOT_BOOTSTRAPPED
    print(f"bootstrapped (version {value})", file=out)
    return BOOTSTRAPPED


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    del argv  # no options
    where = region()
    if not where:
        print("cannot tell whether CDK is bootstrapped: no region (set AWS_REGION)", file=out)
        return CANNOT_TELL
    print(f"CDK bootstrap in {where}: ", end="", file=out)
    ssm = boto3.client("ssm", region_name=where)
    return status(ssm, f"/cdk-bootstrap/{qualifier()}/version", out)


if __name__ == "__main__":
    sys.exit(main())
