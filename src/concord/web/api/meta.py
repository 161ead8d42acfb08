"""About the service itself."""

from __future__ import annotations

from concord.web.api.routing import api_router

router = api_router("meta")


@router.get("/health")
def health() -> dict:
    return {"status": "ok"}
