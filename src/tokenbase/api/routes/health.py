"""Liveness/readiness and Prometheus metrics (both open: they reveal counts, not content)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..deps import State
from ..errors import ApiError

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="health")
def health(state: State) -> dict:
    """200 when the database answers; 503 otherwise."""
    try:
        with state.platform.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise ApiError(503, "unavailable", "the database does not answer") from exc
    worker = state.worker
    return {"status": "ok", "database": "ok", "worker": "running" if worker else "off"}


@router.get("/metrics", operation_id="metrics", response_class=Response)
def metrics(state: State) -> Response:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
