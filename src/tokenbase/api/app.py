"""The FastAPI application factory.

    app = create_app(Platform(load_settings()))          # worker thread included
    uvicorn.run(app, host="127.0.0.1", port=8000)

OpenAPI is at /openapi.json; the Swagger UI at /docs and ReDoc at /redoc are served from
assets shipped in the `fastapi-offline` package, so they work without internet access.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from .. import __version__
from ..agents.tools import known_tools
from ..kb.platform import Platform
from .errors import install_error_handlers
from .metrics import ApiMetrics
from .middleware import RequestContext
from .ratelimit import TokenBuckets
from .routes import (
    agent_templates,
    agents,
    agents_admin,
    ask,
    auth,
    chunks,
    departments,
    document_pages,
    documents,
    governance,
    guard,
    health,
    jobs,
    keys,
    knowledge_bases,
    ledger,
    openai_compat,
    prompts,
    search,
    tools,
    users,
    voice,
)
from .state import AppState
from .worker import IngestWorker

ROUTERS = (
    health.router,
    auth.router,
    knowledge_bases.router,
    documents.router,
    document_pages.router,
    chunks.router,
    jobs.router,
    search.router,
    ask.router,
    users.router,
    departments.router,
    keys.router,
    ledger.router,
    governance.router,
    guard.router,
    prompts.router,
    agents.router,
    agents_admin.router,
    agent_templates.router,
    openai_compat.router,
    voice.router,
    tools.router,
)

# Leave room for multipart framing around the files themselves.
_MULTIPART_OVERHEAD = 1 << 20


def _operation_id(route: APIRoute) -> str:
    return route.operation_id or route.name


def create_app(platform: Platform, *, worker: bool = True, web: bool = False) -> FastAPI:
    """An app serving `platform`. With `worker`, a background thread runs ingest jobs (one per
    app; start it with the app's lifespan, i.e. under uvicorn or `with TestClient(app)`)."""
    settings = platform.settings
    ingest_worker = IngestWorker(platform, settings.server.worker_poll_s) if worker else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        platform.searcher  # noqa: B018 - build the shared searcher before requests race for it
        if ingest_worker is not None:
            ingest_worker.start()
        try:
            yield
        finally:
            if ingest_worker is not None:
                ingest_worker.stop()

    app = FastAPIOffline(
        title="TokenBase",
        version=__version__,
        description="Knowledge bases with cited answers. Authenticate with an API key "
        "(`Authorization: Bearer tb_…`) or the session cookie set by POST /auth/login. "
        'Every error is `{"error": {"code", "message", "details"}}`.',
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    known_tools(settings)  # a broken [[agents.http_tools]] entry fails now, not mid-answer
    state = AppState(
        platform=platform,
        metrics=ApiMetrics(platform.db.engine),
        buckets=TokenBuckets(settings.server.rate_limit_per_minute),
        worker=ingest_worker,
    )
    app.state.tb = state
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(
        RequestContext,
        max_body_bytes=state.max_upload_bytes + _MULTIPART_OVERHEAD,
        observe=state.metrics.observe,
    )
    if web:  # the browser UI at /ui (NiceGUI is process-global: one app per process)
        from ..web import mount_web

        mount_web(app)
    return app
