"""A typed plugin registry, one per extension point (payments, identity providers ...).

Each plugin lives in ``<app>/contrib/<name>/`` and registers itself under a stable
identifier; configuration picks the identifier, code asks the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

P = TypeVar("P")


class Registry(Generic[P]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._plugins: dict[str, P] = {}

    def register(self, identifier: str) -> Callable[[type[P]], type[P]]:
        def decorator(cls: type[P]) -> type[P]:
            if identifier in self._plugins:
                raise ValueError(f"{self.kind} plugin {identifier!r} is already registered")
            self._plugins[identifier] = cls()
            return cls

        return decorator

    def __getitem__(self, identifier: str) -> P:
        try:
            return self._plugins[identifier]
        except KeyError:
            raise LookupError(f"unknown {self.kind} plugin {identifier!r}") from None

    def __contains__(self, identifier: object) -> bool:
        return identifier in self._plugins

    def __iter__(self) -> Iterator[tuple[str, P]]:
        return iter(self._plugins.items())
