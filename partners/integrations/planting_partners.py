"""Adapters to planting partners: one ``submit`` per order, keyed by the order's idempotency key.

``SandboxPlantingPartner`` answers locally and deterministically (demo and tests).
``HttpPlantingPartner`` has the shape of Ecologi's purchase API: a JSON POST with a bearer
token and an ``Idempotency-Key`` header, so a retried request never buys a second tree. Its
transport is injectable; tests replay recorded responses and never touch the network.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

# Seconds for one partner call; the submit task runs a batch sequentially, so keep it short.
HTTP_TIMEOUT = 10


@dataclass(frozen=True)
class PlantingRequest:
    idempotency_key: str
    species_code: str
    species_latin: str
    forest_name: str
    quantity: int = 1


@dataclass(frozen=True)
class PlantingResult:
    reference: str
    raw: dict


class PlantingPartnerError(Exception):
    """The partner did not accept the order. ``transient``: worth retrying later."""

    def __init__(self, message: str, *, transient: bool, status: int | None = None):
        super().__init__(message)
        self.transient = transient
        self.status = status


class PlantingAdapter(Protocol):
    def submit(self, request: PlantingRequest) -> PlantingResult: ...


class SandboxPlantingPartner:
    """Accepts everything; the reference is derived from the key, so a retry gets the same."""

    def submit(self, request: PlantingRequest) -> PlantingResult:
        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:12].upper()
        reference = f"SBX-{digest}"
        return PlantingResult(reference=reference, raw={"reference": reference, "sandbox": True})


# (method, url, headers, body, timeout) -> (status, body)
Transport = Callable[[str, str, dict[str, str], bytes, float], tuple[int, bytes]]


def urllib_transport(
    method: str, url: str, headers: dict[str, str], body: bytes, timeout: float
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class HttpPlantingPartner:
    """Ecologi-style: ``POST {base}/impact/trees`` with ``{"number": n, "name": ...}``."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        transport: Transport | None = None,
        timeout: float = HTTP_TIMEOUT,
    ):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.transport = transport or urllib_transport
        self.timeout = timeout

    def submit(self, request: PlantingRequest) -> PlantingResult:
        body = json.dumps(
            {
                "number": request.quantity,
                "name": request.forest_name,
                "species": request.species_latin,
                "reference": request.idempotency_key,
            }
        ).encode()
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": request.idempotency_key,
        }
        try:
            status, raw = self.transport(
                "POST", f"{self.base_url}/impact/trees", headers, body, self.timeout
            )
        except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
            raise PlantingPartnerError(f"partner unreachable: {exc}", transient=True) from exc
        if status >= 500 or status in (408, 429):
            raise PlantingPartnerError(f"partner answered {status}", transient=True, status=status)
        if status >= 400:
            detail = raw[:200].decode("utf-8", "replace")
            raise PlantingPartnerError(
                f"partner refused ({status}): {detail}", transient=False, status=status
            )
        try:
            data = json.loads(raw or b"{}")
        except ValueError as exc:
            raise PlantingPartnerError("partner sent invalid JSON", transient=True) from exc
        if not isinstance(data, dict):
            raise PlantingPartnerError("partner sent an unexpected body", transient=True)
        reference = data.get("id") or data.get("treeUrl") or data.get("reference")
        if not reference:
            raise PlantingPartnerError("partner sent no reference", transient=True)
        return PlantingResult(reference=str(reference), raw=data)


def adapter_for(partner) -> PlantingAdapter:
    """The adapter for a PlantingPartner row. The API key comes from the environment."""
    if partner.kind == "http":
        api_key = os.environ.get(partner.api_key_env, "") if partner.api_key_env else ""
        return HttpPlantingPartner(base_url=partner.api_base_url, api_key=api_key)
    return SandboxPlantingPartner()
