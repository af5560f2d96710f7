"""Composition root: what each function builds, and from what.

- settings.py: each function's environment variables, as one model per family;
- dependencies.py: what one process shares, built once (clock, AWS clients and tables,
  secrets, senders, business directory, connected providers, schedule mirror, routes);
- family.py: a function's services, each built on its first request;
- parts.py: what more than one family builds;
- console.py, customer.py, confirm.py, messaging.py, providers.py: the families, one class
  per function (a handler holds one instance at module level).

Nothing here runs at import time. Services are constructed with keyword arguments only.
"""

from reschedule_dispatch.composition.dependencies import Dependencies, dependencies, start

__all__ = ["Dependencies", "dependencies", "start"]
