"""``POST /api/v1/claims``: a consumer redeems a sponsor's claim code (partners.services.claims).

Consumer JWT (or session) authentication like the rest of the consumer API. Throttled hard:
every request counts against a per-user and a per-IP rate, and failed attempts (a code that
does not exist) against much lower hourly budgets, so guessing codes gets nowhere even though
80-bit codes could not be guessed anyway.
"""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import APIView

from core import throttling
from core.api import error_response
from partners.api import schema
from partners.api.serializers.claims import ClaimInputSerializer, ClaimResultSerializer
from partners.services.claims import ClaimError, claim_code_redeem


class ClaimUserThrottle(throttling.UserRateThrottle):
    """Every claim request, per user."""

    scope = "claims_user"
    rate = "20/minute"


class ClaimIpThrottle(throttling.AnonRateThrottle):
    """Every claim request, per client IP, whoever is signed in (AnonRateThrottle keys by IP)."""

    scope = "claims_ip"
    rate = "60/minute"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class _FailureThrottle(throttling.SimpleRateThrottle):
    """Counts only failed attempts (``record_failure``); refuses once the budget is used up."""

    num_requests: int  # set from the rate by SimpleRateThrottle.__init__
    duration: int

    def allow_request(self, request, view) -> bool:
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return True

    def record_failure(self, request, view) -> None:
        key = self.get_cache_key(request, view)
        if key is None:
            return
        now = self.timer()
        history = [t for t in self.cache.get(key, []) if t > now - self.duration]
        history.insert(0, now)
        self.cache.set(key, history, self.duration)


class ClaimFailureUserThrottle(_FailureThrottle):
    scope = "claims_failed_user"
    rate = "10/hour"

    def get_cache_key(self, request, view) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class ClaimFailureIpThrottle(_FailureThrottle):
    scope = "claims_failed_ip"
    rate = "30/hour"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ClaimRedeemApi(APIView):
    throttle_classes = [
        ClaimUserThrottle,
        ClaimIpThrottle,
        ClaimFailureUserThrottle,
        ClaimFailureIpThrottle,
    ]

    @schema.claim_redeem
    def post(self, request) -> Response:
        data = ClaimInputSerializer(data=request.data)
        if not data.is_valid():
            self._record_failure(request)
            return Response(data.errors, status=400)
        try:
            claimed = claim_code_redeem(user_id=request.user.id, code=data.validated_data["code"])
        except ClaimError as exc:
            if exc.code == "invalid_code":
                self._record_failure(request)
            return error_response(str(exc), code=exc.code, status_code=exc.status)
        drop = claimed.drop
        body = ClaimResultSerializer(
            {
                "drop_id": drop.pk,
                "grams": drop.grams,
                "ripe_at": drop.ripe_at,
                "expires_at": drop.expires_at,
                "sponsor": claimed.sponsor_name,
                "campaign": claimed.campaign_name,
            }
        ).data
        return Response(body, status=201)

    def _record_failure(self, request) -> None:
        for throttle in self.get_throttles():
            if isinstance(throttle, _FailureThrottle):
                throttle.record_failure(request, self)
