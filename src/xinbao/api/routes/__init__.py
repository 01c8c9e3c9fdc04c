"""The API's operations, one module per part of the job. Each operation: access helper first,
then one service or query, then the declared output shape."""

from __future__ import annotations

from typing import Any

from ninja.params import P, PathEx

from xinbao.api.schemas import MAX_ID, Error

ObjectId = PathEx[int, P(ge=1, le=MAX_ID, description="编号")]

# Refusals every operation may answer; writes may also meet a conflict (409).
READ_ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 422, 429), Error)
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 409: Error}
