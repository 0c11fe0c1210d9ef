"""Bearer-token authentication: global tokens work for every app_id, app tokens only for their own app_id."""

from __future__ import annotations

import hmac

from rtc_egress.api.errors import ApiError
from rtc_egress.runtime.config import ApiConfig

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="rtc-egress"'}


class TokenAuth:
    """No token configured at all = open API (development); otherwise every task route needs a bearer token."""

    def __init__(self, api: ApiConfig) -> None:
        self._global = [t.get_secret_value().encode() for t in api.auth_tokens]
        self._per_app = {app: [t.get_secret_value().encode() for t in ts] for app, ts in api.app_tokens.items()}
        self.enabled = bool(self._global or any(self._per_app.values()))

    def check(self, authorization: str | None, app_id: str) -> None:
        """Raise a 401 ApiError unless ``authorization`` carries a token valid for ``app_id``."""
        if not self.enabled:
            return
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "authorization: a bearer token is required", headers=_CHALLENGE)
        given = token.strip().encode()
        ok = False
        # Compare with every candidate (no early exit), in constant time each.
        for candidate in (*self._global, *self._per_app.get(app_id, ())):
            ok |= hmac.compare_digest(given, candidate)
        if not ok:
            raise ApiError(
                401,
                "authorization: the bearer token is not valid for this app_id",
                headers={"WWW-Authenticate": 'Bearer realm="rtc-egress", error="invalid_token"'},
            )
