"""The ASGI application: ``create_app()`` wires settings, kit, domain routers and the job runner."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import structlog
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from innkeeper import __version__
from innkeeper.audit.router import audit_routes
from innkeeper.billing.router import admin as wallet_admin_router
from innkeeper.billing.router import router as wallet_router
from innkeeper.bookings.router import router as bookings_router
from innkeeper.catalog.resources_router import router as resources_router
from innkeeper.catalog.router import router as catalog_router
from innkeeper.config import Settings, get_settings
from innkeeper.content.router import router as content_router
from innkeeper.context import AppContext
from innkeeper.engagement.router import router as engagement_router
from innkeeper.engagement.tickets_router import router as tickets_router
from innkeeper.extras.router import router as extras_router
from innkeeper.identity.deps import property_action, require_platform_admin, write_rate_limit
from innkeeper.identity.permissions import Action
from innkeeper.identity.recovery_router import router as recovery_router
from innkeeper.identity.router import router as identity_router
from innkeeper.integrations.router import router as integrations_router
from innkeeper.inventory.hourly_router import public_router as slots_router
from innkeeper.inventory.hourly_router import router as hourly_router
from innkeeper.inventory.router import router as inventory_router
from innkeeper.kit.http import install_error_handlers, install_middleware
from innkeeper.kit.jobs import JobRunner
from innkeeper.kit.logging import configure_logging
from innkeeper.kit.ops_router import admin_router
from innkeeper.kit.ops_router import router as ops_router
from innkeeper.kit.problems import document_problems
from innkeeper.kit.routing import PrefixRouter
from innkeeper.kit.telemetry import install_observability
from innkeeper.notifications.router import router as outbox_router
from innkeeper.payments.router import admin as payments_admin_router
from innkeeper.payments.router import router as payments_router
from innkeeper.payments.router import webhook_router
from innkeeper.pricing.hourly_router import router as resource_rates_router
from innkeeper.pricing.router import router as pricing_router
from innkeeper.reports.router import admin as reports_admin_router
from innkeeper.reports.router import router as reports_router
from innkeeper.search.resources_router import router as resource_search_router
from innkeeper.search.router import router as search_router
from innkeeper.web.api_docs import router as api_docs_router
from innkeeper.web.checkout import router as checkout_router
from innkeeper.web.errors import install as install_web_error_pages
from innkeeper.web.guest.router import router as guest_web_router
from innkeeper.web.router import router as web_router
from innkeeper.web.staff.router import router as staff_web_router

WEB_DIR = Path(__file__).parent / "web"
log = structlog.get_logger(__name__)


def build_runner(ctx: AppContext) -> JobRunner:
    s = ctx.settings
    return JobRunner(
        ctx.db,
        services={"app": ctx},
        poll_interval=s.job_poll_interval_seconds,
        lease_seconds=s.job_lease_seconds,
        max_attempts=s.job_max_attempts,
    )


#: young-generation threshold of a serving process (CPython's default is 700): a request allocates
#: thousands of objects, so the default ran a collection on nearly every request
SERVING_GC_THRESHOLD = (50_000, 20, 20)


def tune_gc_for_serving() -> None:
    """Move everything alive after start-up (modules, routes, compiled statements, the app) out of the
    collector's sight, and collect the young generation less often. A full collection then scans only
    what requests left behind: under load it paused a worker for ~190 ms (a p99 spike at any rate) and
    the collector took ~3 % of its CPU. Only for serving processes: frozen objects are never collected,
    so a process that builds and drops many apps (the test suite) must not freeze."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_GC_THRESHOLD)


def create_app(
    settings: Settings | None = None, *, run_jobs: bool | None = None, serving: bool = False
) -> FastAPI:
    """The application; ``serving=True`` (what ``innkeeper serve`` runs, see :func:`serve_app`) also
    tunes the garbage collector when the process starts serving."""
    settings = settings or get_settings()
    configure_logging(level=settings.log_level, json=settings.json_logs)
    ctx = AppContext.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the context attached to the app now, not the one built above: the test suite reuses one built
        # app for many tests, attaching a fresh context (its own database) to it for each
        ctx: AppContext = app.state.ctx
        settings = ctx.settings
        in_process = settings.run_jobs_in_process if run_jobs is None else run_jobs
        stop = asyncio.Event()
        runner_task = None
        if in_process:
            app.state.runner = build_runner(ctx)
            runner_task = asyncio.create_task(app.state.runner.run_forever(stop))
        log.info(
            "app.started",
            env=settings.env.value,
            database=ctx.db.engine.dialect.name,
            redis=bool(settings.redis_url),
            jobs="in-process" if in_process else "external",
        )
        if serving:
            tune_gc_for_serving()
        try:
            yield
        finally:
            stop.set()
            if runner_task is not None:
                with suppress(asyncio.CancelledError):
                    await asyncio.wait_for(runner_task, timeout=10)
            await ctx.close()

    app = FastAPI(
        title="Innkeeper API",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # /docs is web.api_docs: Swagger UI from /static, no CDN (ReDoc, CDN-only, is off)
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.ctx = ctx
    app.state.db = ctx.db
    app.state.templates = Jinja2Templates(directory=WEB_DIR / "templates")
    install_error_handlers(app, redis=bool(settings.redis_url))
    install_web_error_pages(app)  # browsers get pages (404, 500), API clients problem+json
    document_problems(app)
    install_middleware(
        app,
        max_body_bytes=settings.max_body_bytes,
        trusted_proxies=settings.trusted_proxies,
        allowed_hosts=settings.allowed_hosts,
        cors_origins=settings.cors_origins,
        hsts=settings.is_production,
    )
    install_observability(settings, db=ctx.db, app=app)  # traces, error reporting: off unless configured

    api = PrefixRouter(prefix="/api/v1", dependencies=[Depends(write_rate_limit)])
    # Routes are matched in order, one by one: the busiest public paths (search, bookings) come first;
    # a PrefixRouter lets every other path (the site's pages) skip the API's routes in one test.
    # Their paths overlap no other router's (a test checks every route resolves to its own endpoint).
    api.include_router(search_router)
    api.include_router(resource_search_router)
    api.include_router(slots_router)
    api.include_router(bookings_router)
    api.include_router(identity_router)
    api.include_router(catalog_router)
    api.include_router(inventory_router)
    api.include_router(resources_router)
    api.include_router(hourly_router)
    api.include_router(pricing_router)
    api.include_router(resource_rates_router)
    api.include_router(admin_router(require_platform_admin))
    api.include_router(payments_router)
    api.include_router(payments_admin_router)
    api.include_router(wallet_router)
    api.include_router(wallet_admin_router)
    api.include_router(reports_router)
    api.include_router(reports_admin_router)
    api.include_router(extras_router)
    api.include_router(engagement_router)
    api.include_router(tickets_router)
    api.include_router(content_router)
    api.include_router(recovery_router)
    api.include_router(integrations_router)
    api.include_router(audit_routes(require_platform_admin, property_action(Action.audit_view)))
    api.freeze()
    app.include_router(api)
    app.include_router(webhook_router, prefix="/api/v1")
    app.include_router(ops_router)
    app.include_router(outbox_router)
    app.include_router(web_router)
    app.include_router(guest_web_router)
    app.include_router(staff_web_router)
    app.include_router(api_docs_router)
    app.include_router(checkout_router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    return app


def serve_app() -> FastAPI:
    """The factory ``innkeeper serve`` hands to uvicorn: one app per worker process, GC tuned."""
    return create_app(serving=True)
