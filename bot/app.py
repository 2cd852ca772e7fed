"""Assembly: services from settings, and the one factory that builds the Bolt App (tests call it too)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import timedelta
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.listener.listener_completion_handler import ListenerCompletionHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

from bot.clock import Clock, utc_now
from bot.config import Settings
from bot.digest import DigestService, escalation_sent
from bot.glossary_lookups import LookupBuffer
from bot.glossary_service import GlossaryService
from bot.home import HomeService
from bot.jargon_watch import JargonWatchService
from bot.liaison import LiaisonService
from bot.lunchlearn import LunchLearnService
from bot.newproject import NewProjectService
from bot.newproject_rules import agenda_item
from bot.notify import Dispatcher
from bot.people import PeopleService
from bot.sending_state import SendingState
from bot.server import DATABASE_OUTAGE, database_outage_response, failure_response, is_database_outage
from bot.services import Services
from bot.sitdown import SitdownService
from bot.vendors import VendorService
from handlers import blocks as bk
from handlers import digest_messages
from handlers.envelope import EnvelopeCheck, is_slack_url
from handlers.features import register_all
from handlers.jargon import JargonMessages
from handlers.jargon_watch import JargonWatchMessages
from handlers.liaison import LiaisonMessages
from handlers.lunchlearn import LunchLearnMessages
from handlers.lunchlearn import renderers as lunchlearn_renderers
from handlers.newproject import NewProjectMessages
from handlers.newproject import renderers as newproject_renderers
from handlers.observed import FAILURE, ObservedApp
from handlers.prompt_ack import PromptExecutor
from handlers.sitdown import SitdownMessages
from handlers.slack_calls import SlackClient
from handlers.vendors import renderers as vendors_renderers
from handlers.vendors_messages import VendorMessages
from storage import db

log = logging.getLogger(__name__)

SLACK_TIMEOUT_SECONDS = 10


def web_client(settings: Settings, *, for_outbox: bool = False) -> WebClient:
    """A Web API client honouring SLACK_API_URL. The outbox's also retries a 500 once, with backoff;
    its longer waits (429 Retry-After) are stored on the outbox row instead of slept."""
    handlers: list[Any] = [ConnectionErrorRetryHandler(max_retry_count=1)]
    if for_outbox:
        handlers.append(
            ServerErrorRetryHandler(max_retry_count=1, interval_calculator=BackoffRetryIntervalCalculator(0.5))
        )
    options: dict[str, Any] = {
        "token": settings.bot_token,
        "timeout": SLACK_TIMEOUT_SECONDS,
        "retry_handlers": handlers,
    }
    if settings.api_url:
        options["base_url"] = settings.api_url
    return SlackClient(upload_also_allowed=settings.api_url, **options)


def token_works(client: WebClient) -> bool:
    """Whether Slack takes the bot token (auth.test); an error or no answer: not now, the next check asks again."""
    try:
        client.auth_test()
    except SlackApiError as error:
        log.debug("auth.test refused the token: %s", error.response.get("error"))
        return False
    except Exception as error:  # Slack unreachable
        log.debug("auth.test failed: %s", type(error).__name__)
        return False
    return True


def build_services(settings: Settings, *, clock: Clock = utc_now, migrate: bool = True) -> Services:
    engine = db.create_engine_for(settings.database_url)
    if migrate:
        db.upgrade(engine)
    sessions = db.make_session_factory(engine)
    dispatcher = Dispatcher(
        sessions, web_client(settings, for_outbox=True), clock, lease=timedelta(seconds=settings.outbox_lease_seconds)
    )
    wake = dispatcher.wake_soon
    client = web_client(settings)
    sending = SendingState(sessions, clock, wake, token_works=lambda: token_works(client))
    dispatcher.may_send = sending.may_send
    glossary = GlossaryService(
        sessions,
        clock,
        JargonMessages(),
        channels={
            "it": settings.it_intake_channel,
            "marketing": settings.marketing_channel,
            "joint": settings.joint_channel,
        },
        admins=settings.admins,
        wake_outbox=wake,
        lookups=LookupBuffer(
            sessions, clock, flush_seconds=settings.lookup_flush_seconds, max_rows=settings.lookup_buffer_rows
        ),
    )
    newproject = NewProjectService(sessions, clock, settings, NewProjectMessages(), wake)
    sitdown = SitdownService(sessions, clock, settings, SitdownMessages(), wake)
    lunchlearn = LunchLearnService(sessions, clock, settings, LunchLearnMessages(), wake)
    dispatcher.renderers.update(lunchlearn_renderers(lunchlearn))
    dispatcher.renderers.update(newproject_renderers(newproject))
    vendors = VendorService(sessions, clock, settings, VendorMessages(), wake)
    newproject.in_submission.append(vendors.record_intake)
    dispatcher.renderers.update(vendors_renderers(vendors))
    newproject.on_submitted.append(
        lambda intake: sitdown.add_to_next_agenda(agenda_item(intake), intake.owner, source="newproject")
    )
    liaison = LiaisonService(sessions, clock, settings, LiaisonMessages(), wake)
    digest = DigestService(sessions, clock, settings, wake, sides=liaison.sides_by_pool)
    dispatcher.renderers.update(digest_messages.renderers(digest))
    dispatcher.senders.update(digest_messages.senders())
    dispatcher.on_sent += [digest.after_sent, escalation_sent]
    return Services(
        settings,
        clock,
        engine,
        sessions,
        client,
        dispatcher,
        glossary,
        newproject=newproject,
        sitdown=sitdown,
        lunchlearn=lunchlearn,
        liaison=liaison,
        home=HomeService(sessions, clock, wake),
        people=PeopleService(sessions, clock, wake),
        sending=sending,
        vendors=vendors,
        digest=digest,
        jargon_watch=JargonWatchService(sessions, clock, settings, JargonWatchMessages(), glossary, wake),
    )


def health_check(services: Services) -> Callable[[], dict[str, Any]]:
    """/healthz's check: the database answers (else it raises, and /healthz says 503), and whether the bot may
    send (stopped after app_uninstalled or tokens_revoked: said in the body, still 200)."""

    def check() -> dict[str, Any]:
        db.ping(services.engine)
        return services.sending.health()

    return check


def create_app(
    services: Services, *, token_verification: bool = True, listener_executor: Executor | None = None
) -> App:
    """`listener_executor` runs what listeners do after their acknowledgement (Bolt's default: 5 threads);
    the tests pass one that tells when that work has finished, so they wait on it instead of polling."""
    app = ObservedApp(
        name="bridgebot",  # unnamed, Bolt names the app after its caller's file, read with inspect.stack(): 0.1 s
        signing_secret=services.settings.signing_secret or "socket-mode-does-not-sign",
        client=services.client,
        token_verification_enabled=token_verification,
        # The Bolt dev server is not used; HTTP goes through bot.server's WSGI app.
        process_before_response=False,
        listener_executor=PromptExecutor(listener_executor),
    )
    api_url = services.settings.api_url

    def report_failure(
        error: Exception, body: dict[str, Any], request: BoltRequest, response: BoltResponse | None
    ) -> BoltResponse | None:
        if response is None and request.context.ack.response is not None:
            request.context[KEPT_ACKNOWLEDGEMENT] = request.context.ack.response
        if request.context.ack.response is None:  # failed before acknowledging: the request's outcome
            request.context[FAILURE] = "database_outage" if is_database_outage(error) else "error"
        return _report_failure(error, body, response, api_url=api_url)

    app.error(report_failure)
    app.listener_runner.listener_completion_handler = _KeepTheAcknowledgement()
    bk.use_form_key(services.settings.signing_secret or services.settings.bot_token)
    app.middleware(EnvelopeCheck(services.settings.api_url))
    register_all(app, services)
    return app


KEPT_ACKNOWLEDGEMENT = "bridgebot_kept_acknowledgement"


class _KeepTheAcknowledgement(ListenerCompletionHandler):
    """Bolt's thread runner replaces an acknowledgement already made with None when the listener raises after
    it; unless the waiting request thread saw it first, Slack then gets nothing for 3 s and a 404. The error
    handler keeps the acknowledgement, and this puts it back once the listener has finished."""

    def handle(self, request: BoltRequest, response: BoltResponse | None) -> None:
        kept = request.context.get(KEPT_ACKNOWLEDGEMENT)
        if kept is not None and request.context.ack.response is None:
            request.context.ack.response = kept


SORRY = "⚠️ Something went wrong on my side and nothing was changed. Please try again in a moment."


def _report_failure(
    error: Exception, body: dict[str, Any], response: BoltResponse | None, *, api_url: str | None
) -> BoltResponse | None:
    """No silent failures: log it, and tell the person through response_url when Slack gave one."""
    if is_database_outage(error):
        log.warning("listener failed, the database is unreachable: %s", str(error).splitlines()[0])
        if response is not None:  # not acknowledged yet: the acknowledgement itself says "try again"
            return database_outage_response(body)
        _tell(body, DATABASE_OUTAGE, api_url)
        return None
    log.exception("listener failed: %s", type(error).__name__)
    if response is not None:  # not acknowledged yet: the acknowledgement itself apologises
        return failure_response(body, SORRY)
    _tell(body, SORRY, api_url)
    return None


def _tell(body: dict[str, Any], text: str, api_url: str | None) -> None:
    """The apology goes only to a response_url that points at Slack (handlers.envelope.is_slack_url)."""
    if not isinstance(body, dict):
        return
    urls = [body.get("response_url")]
    if isinstance(body.get("response_urls"), list):
        urls += [r.get("response_url") for r in body["response_urls"] if isinstance(r, dict)]
    response_url = next((url for url in urls if is_slack_url(url, also_allowed=api_url)), None)
    if response_url:
        try:
            WebhookClient(response_url, timeout=SLACK_TIMEOUT_SECONDS).send(text=text, response_type="ephemeral")
        except Exception:  # the apology is best effort; the failure is already logged
            log.warning("could not tell the user about the failure")
