"""Demo data beyond accounts: each feature adds its part here so `seed_demo` stays one command."""

from __future__ import annotations

from collections.abc import Iterator


def seed_demo_extras(*, users: dict, sponsor) -> Iterator[str]:
    """Yield progress lines while creating the demo's feeds, rules and forests."""
    yield from ()
