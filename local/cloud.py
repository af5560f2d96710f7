"""AWS in-process: a moto server, provisioned from the synthesized CDK template.

In front of moto sits the local Lambda runtime's Invoke API, so the state machine CDK
defines runs in moto's interpreter and its Lambda tasks run the real handlers here.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import threading
from typing import Any

import boto3
from werkzeug.serving import BaseWSGIServer, make_server

from local.lambda_runtime import LambdaInvokeApi, LocalLambdaRuntime
from local.template import ACCOUNT, REGION, Template

logger = logging.getLogger("local.cloud")


def use_local_aws(endpoint: str) -> None:
    """Points every boto3 client in this process at the local endpoint, with dummy keys."""
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "MOTO_ACCOUNT_ID": ACCOUNT,
        }
    )
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(variable, None)


class SerializedDynamoDB:
    """WSGI middleware: one DynamoDB request at a time into moto.

    DynamoDB makes each conditional write and each transaction atomic; moto's in-memory
    backend does not under concurrent threads (a transaction even deep-copies every table
    for rollback while other threads write). Serializing DynamoDB calls restores what the
    app relies on. They never call out of moto, so the lock cannot nest.
    """

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return self._app(environ, start_response)
        with self._lock:
            return list(self._app(environ, start_response))  # the whole answer, inside


def back_up_transactions_by_item() -> None:
    """Makes moto's TransactWriteItems cost what it writes, not the size of its tables.

    For rollback, moto deep-copies every table a transaction names, so each transaction
    takes time in proportion to the table: with a few hundred sessions, every state change
    costs hundreds of milliseconds and the local stack slows down the longer it runs
    (bench/load_test.py). Behind SerializedDynamoDB one call runs at a time, so backing up
    just the items the transaction writes, and putting those back, is the same rollback.
    """
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    moto_transaction = DynamoDBBackend.transact_write_items
    if getattr(moto_transaction, "by_item", False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        backups = []
        for entry in transact_items:
            kind, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if kind == "ConditionCheck" or table is None:
                continue  # writes nothing, or moto refuses the whole transaction
            if kind == "Put":
                names = [n for n in (table.hash_key_attr, table.range_key_attr) if n]
                key = {n: op["Item"][n] for n in names if n in op["Item"]}
            else:
                key = op.get("Key", {})
            try:
                backups.append((table.name, key, copy.deepcopy(self.get_item(table.name, key))))
            except Exception:  # noqa: S112 -- a bad key: moto refuses it below, writing nothing
                continue
        # moto's own table copies, during this call: no-ops.
        Table.__deepcopy__ = lambda table, memo: table  # type: ignore[attr-defined]
        try:
            moto_transaction(self, transact_items)
        except Exception:
            for table_name, key, item in reversed(backups):
                if item is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, item.to_json()["Attributes"])
            raise
        finally:
            del Table.__deepcopy__  # type: ignore[attr-defined]

    transact_write_items.by_item = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


class MotoServer:
    """moto's server in a thread, with the Lambda Invoke API answered by the local runtime."""

    def __init__(self, runtime: LocalLambdaRuntime, host: str = "127.0.0.1", port: int = 0) -> None:
        from moto.core.config import default_user_config
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        # Real execution of state machines (moto only records them by default).
        default_user_config["stepfunctions"] = {"execute_state_machine": True}
        back_up_transactions_by_item()
        moto = SerializedDynamoDB(DomainDispatcherApplication(create_backend_app))
        app = LambdaInvokeApi(runtime, moto)
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self.port = self._server.server_port
        self.endpoint = f"http://{host}:{self.port}"
        # moto's Step Functions interpreter calls Lambda on this port.
        os.environ["MOTO_PORT"] = str(self.port)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


def provision(template: Template, secret_values: dict[str, dict[str, str]]) -> None:
    """Creates what the template defines that a request path uses.

    `secret_values` gives local values for secrets, keyed by the environment variable that
    names the secret in the functions (e.g. TWILIO_SECRET_ARN).
    """
    dynamodb = boto3.client("dynamodb")
    for logical_id, resource in template.of_type("AWS::DynamoDB::Table").items():
        props = resource["Properties"]
        kwargs: dict[str, Any] = {
            "TableName": template.physical_name(logical_id),
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        indexes = [
            {
                "IndexName": i["IndexName"],
                "KeySchema": i["KeySchema"],
                "Projection": i["Projection"],
            }
            for i in props.get("GlobalSecondaryIndexes", [])
        ]
        if indexes:
            kwargs["GlobalSecondaryIndexes"] = indexes
        dynamodb.create_table(**kwargs)

    scheduler = boto3.client("scheduler")
    for logical_id in template.of_type("AWS::Scheduler::ScheduleGroup"):
        scheduler.create_schedule_group(Name=template.physical_name(logical_id))

    # Dead-letter queues: each schedule names one, so its ARN must lead to a real queue.
    sqs = boto3.client("sqs")
    for logical_id in template.of_type("AWS::SQS::Queue"):
        sqs.create_queue(QueueName=template.physical_name(logical_id))

    secret_by_name = {}
    for spec in template.functions().values():
        for variable, value in spec.environment.items():
            if variable in secret_values:
                secret_by_name[value] = secret_values[variable]
    secrets = boto3.client("secretsmanager")
    for logical_id in template.of_type("AWS::SecretsManager::Secret"):
        name = template.physical_name(logical_id)
        secrets.create_secret(Name=name, SecretString=json.dumps(secret_by_name.get(name, {})))

    stepfunctions = boto3.client("stepfunctions")
    for logical_id, resource in template.of_type("AWS::StepFunctions::StateMachine").items():
        props = resource["Properties"]
        definition = template.resolve(props["DefinitionString"])
        stepfunctions.create_state_machine(
            name=template.physical_name(logical_id),
            definition=definition if isinstance(definition, str) else json.dumps(definition),
            roleArn=str(template.resolve(props["RoleArn"])),
            type=props.get("StateMachineType", "STANDARD"),
        )
