"""A handler's settings read from its environment variables, without pydantic-settings.

pydantic-settings costs about 60 ms of imports at every cold start (docs/performance.md)
for what the handlers need of it: a few strings (and whole numbers), each from the variable
of the field's name. `EnvSettings` reads them the same way: any case, a class value is the default, a
variable that is set wins even when empty, and a missing required one is an error that
names it.
"""

from __future__ import annotations

import inspect
import os
from typing import ClassVar

# Environment variables are strings; a field is one, or optional with a default, or a
# whole number (a limit, a window in seconds), read as one.
_FIELD_TYPES: tuple[object, ...] = (str, "str", str | None, "str | None")
_INT_TYPES: tuple[object, ...] = (int, "int")


class MissingSettings(RuntimeError):
    """The environment lacks a variable a handler needs: a deployment error."""


class EnvSettings:
    """Subclasses declare fields as annotations (`str`, `str | None` or `int`), defaults as
    values."""

    _fields: ClassVar[dict[str, bool]]  # field name -> required, per subclass
    _whole_numbers: ClassVar[frozenset[str]]  # the int fields

    def __init__(self) -> None:
        environ = {name.lower(): value for name, value in os.environ.items()}
        missing = []
        for name, required in self._settings_fields().items():
            if name in environ:
                setattr(self, name, self._value(name, environ[name]))
            elif required:
                missing.append(name.upper())
        if missing:
            raise MissingSettings(
                f"{type(self).__name__}: environment variable(s) not set: {', '.join(missing)}"
            )

    @classmethod
    def _value(cls, name: str, text: str) -> str | int:
        if name not in cls._whole_numbers:
            return text
        try:
            return int(text)
        except ValueError:
            raise MissingSettings(
                f"{cls.__name__}: environment variable {name.upper()} is not a whole number"
            ) from None

    @classmethod
    def _settings_fields(cls) -> dict[str, bool]:
        if "_fields" not in cls.__dict__:
            fields: dict[str, bool] = {}
            whole_numbers: set[str] = set()
            for klass in reversed(cls.__mro__):
                annotations = inspect.get_annotations(klass)
                for name, annotation in annotations.items():
                    if name.startswith("_"):
                        continue
                    if annotation in _INT_TYPES:
                        whole_numbers.add(name)
                    elif annotation not in _FIELD_TYPES:
                        raise TypeError(
                            f"{klass.__name__}.{name}: a setting is str, str | None or int,"
                            f" not {annotation}"
                        )
                    fields[name] = not hasattr(cls, name)
            cls._fields = fields
            cls._whole_numbers = frozenset(whole_numbers)
        return cls._fields

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._settings_fields())
        return f"{type(self).__name__}({values})"
