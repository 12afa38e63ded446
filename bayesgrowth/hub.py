"""The Hugging Face Hub client: construction, retries where huggingface_hub has none, clear errors.

This relies on huggingface_hub 2.x (pyproject pins ``>=2.4,<3``). There, a model listing retries each
page on 408/429/5xx and dropped connections (waiting for a rate limit to reset), but ``model_info``
retries nothing, a page whose body is not valid JSON ends the listing, and no request has a timeout
(each passes ``timeout=None``). :func:`call` and :func:`listing` retry those cases; :func:`make_api`
sets a timeout.

Failures come in three kinds. :class:`ModelUnavailable`: the Hub says this model does not exist or
may not be read (retrying cannot help: ``collect finetunes`` skips it). :class:`HubUnavailable`: the
Hub cannot be used at all (unreachable, offline mode, an unusable token, a token the Hub refuses: a
collector stops at once).
Any other :class:`~bayesgrowth.errors.HubError`: this model failed (a collector goes on with the
rest, and the same command retries it).

The token is whatever huggingface_hub finds (``HF_TOKEN``, else the file ``hf auth login`` writes):
this module only checks that it is ASCII (HTTP headers are), never prints or stores it, and error
messages are built from the status code, the model id and the endpoint's host only, never from
request headers.
"""

from __future__ import annotations

import email.utils
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from urllib.parse import urlsplit

import httpx2
from huggingface_hub import HfApi, ModelInfo, get_token, is_offline_mode
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.utils import parse_ratelimit_headers, set_client_factory

# Private, but the only way to keep huggingface_hub's request hooks (offline mode, request ids) while
# adding a timeout: list_models() takes no timeout and the default client waits forever.
from huggingface_hub.utils._http import default_client_factory

from bayesgrowth.errors import BayesGrowthError, HubError

DEFAULT_ENDPOINT = "https://huggingface.co"
TIMEOUT_S = 60.0
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_REFUSED = {
    401: "not authorised (HTTP 401): the model does not exist or is private; for a "
    "private one, set HF_TOKEN or run `hf auth login`",
    403: "access forbidden (HTTP 403): the token has no access to this model (for a gated model, "
    "accept its conditions on the Hub first)",
    404: "not found on the Hub (HTTP 404): check the model id",
}

_INVALID_TOKEN = "Invalid credentials in Authorization header"
"""What the Hub says, with HTTP 401, to every request carrying a token it does not accept (revoked,
expired, mistyped), public models included."""
_UNREACHABLE = (httpx2.ConnectError, httpx2.TimeoutException)
"""Failures that say nothing about one model: the Hub could not be reached (refused, no DNS, no
answer in time)."""
SHOWN = 3
"""How many items (failures, skipped models) a summary line names; the rest are counted."""

Log = Callable[[str], None]


class ModelUnavailable(HubError):
    """The Hub says the model does not exist or may not be read with this token (HTTP 403, 404, or
    a 401 on the model's URL, other than for a refused token): retrying cannot help.

    Attributes
    ----------
    reason
        Why, without the model id (for a list of skipped models).
    """

    def __init__(self, message: str, *, model: str, status: int | None) -> None:
        super().__init__(message, model=model, status=status)
        self.reason = message


class HubUnavailable(BayesGrowthError):
    """The Hub cannot be used at all (unreachable, offline mode, an unusable token): a collection
    stops at once, keeping what it has written. Not a :class:`~bayesgrowth.errors.HubError`, so a
    loop that goes on past one model's failure does not catch it."""


def stderr_log(message: str) -> None:
    """Print a progress line to stderr (stdout stays free for results)."""
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a transient failure.

    Attributes
    ----------
    attempts
        Tries in all, the first included.
    base_s
        Wait before the first retry; it doubles each time, up to ``cap_s``.
    cap_s
        Longest backoff wait. The wait a server asks for (see :func:`server_wait`) is honoured even
        when longer.
    """

    attempts: int = 6
    base_s: float = 1.0
    cap_s: float = 60.0

    def wait(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        backoff = min(self.cap_s, self.base_s * 2 ** (attempt - 1))
        return backoff if retry_after is None else max(retry_after, backoff)


DEFAULT_RETRY = RetryPolicy()


def make_api(endpoint: str | None = None, *, timeout_s: float = TIMEOUT_S) -> HfApi:
    """An :class:`~huggingface_hub.HfApi` for ``endpoint``, with a timeout on every request.

    Parameters
    ----------
    endpoint
        The Hub's URL. Default: ``HF_ENDPOINT`` read now (huggingface_hub reads it once, at import,
        so a later change would be missed), else ``https://huggingface.co``.
    timeout_s
        Seconds to wait for a connection or a read before the request counts as failed (and is
        retried); a finite number above 0. This sets huggingface_hub's process-wide client
        factory.

    Returns
    -------
    HfApi
        A client using huggingface_hub's usual token lookup.

    Raises
    ------
    ValueError
        When ``timeout_s`` is not a finite number above 0.
    HubUnavailable
        When ``HF_HUB_OFFLINE`` is set, the token has non-ASCII characters (no request could
        carry it; the token is not shown), or the endpoint is not an http(s) URL with a host
        (httpx would refuse every request; the URL is not shown).
    """
    if is_offline_mode():
        raise HubUnavailable(
            "HF_HUB_OFFLINE is set: huggingface_hub makes no request in offline mode; unset it to "
            "collect from the Hub"
        )
    token = get_token()
    if token is not None and not token.isascii():
        raise HubUnavailable(
            "the Hugging Face token contains non-ASCII characters, so no request can carry it: "
            "set HF_TOKEN again (or run `hf auth login`), copying the token from the Hub"
        )
    if not (isinstance(timeout_s, int | float) and math.isfinite(timeout_s) and timeout_s > 0):
        raise ValueError(f"timeout_s must be a positive number of seconds, got {timeout_s!r}")
    where = "given" if endpoint else "in HF_ENDPOINT"
    endpoint = endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
    if not _is_http_url(endpoint):
        # not shown: a URL can carry a password
        raise HubUnavailable(
            f"the Hub endpoint {where} is not an http:// or https:// URL with a host "
            f"(e.g. {DEFAULT_ENDPOINT})"
        )
    set_client_factory(partial(_client_with_timeout, timeout_s))
    return HfApi(endpoint=endpoint.rstrip("/"))


def _is_http_url(text: str) -> bool:
    try:
        url = urlsplit(text)
        return (
            url.scheme in ("http", "https") and bool(url.hostname) and url.port != 0
        )  # .port checks it
    except ValueError:  # e.g. "https://[::1" or a port out of range
        return False


def _client_with_timeout(timeout_s: float) -> httpx2.Client:
    """huggingface_hub's client, whose requests time out after ``timeout_s`` unless given a timeout.

    A client-wide timeout is not enough: ``model_info`` and every listing page pass
    ``timeout=None`` with the request, which httpx reads as "no timeout". A request hook puts
    ours on each request that has none.
    """
    timeout = httpx2.Timeout(timeout_s).as_dict()

    def set_timeout(request: httpx2.Request) -> None:
        if all(v is None for v in request.extensions.get("timeout", {}).values()):
            request.extensions["timeout"] = timeout

    client = default_client_factory()
    hooks = client.event_hooks
    client.event_hooks = {**hooks, "request": [*hooks["request"], set_timeout]}
    return client


def call[T](fn: Callable[[], T], *, model: str, policy: RetryPolicy, log: Log = stderr_log) -> T:
    """Run ``fn`` (one or more Hub requests), retrying transient failures.

    Transient: HTTP 408, 429 and 5xx (waiting at least as long as the Hub asks: see
    :func:`server_wait`), dropped or timed out connections, a body that is not valid JSON.
    Permanent: any other HTTP error, raised at once.

    Parameters
    ----------
    fn
        What to run; it must be safe to run again from the start.
    model
        The model the requests are about, named in progress lines and errors.
    policy
        How often and how long to retry.
    log
        Where retry notices go.

    Returns
    -------
    T
        What ``fn`` returned.

    Raises
    ------
    ModelUnavailable
        When the Hub says the model does not exist or may not be read (HTTP 403/404, a 401 on the
        model's URL).
    HubUnavailable
        When every try failed to reach the Hub (naming its host, not the token), or the Hub refuses
        the token.
    HubError
        For other refusals (naming the model), or when every try failed otherwise.
    """
    attempt = 1
    while True:
        try:
            return fn()
        except (httpx2.HTTPError, json.JSONDecodeError) as exc:
            what, retry_after = _transient(exc, model)
            if attempt >= policy.attempts:
                raise _gave_up(exc, what, attempt, model) from None
            wait = policy.wait(attempt, retry_after)
            attempt += 1
            log(f"  {model}: {what}; retrying in {wait:.1f}s (try {attempt}/{policy.attempts})")
            time.sleep(wait)


def model_info(
    api: HfApi,
    model: str,
    expand: list[str],
    *,
    policy: RetryPolicy,
    log: Log = stderr_log,
    stored: bool = False,
) -> ModelInfo:
    """The Hub's information on ``model``, retried as :func:`call` does, under the id as given.

    The Hub answers a renamed repository under its new id, and may answer another spelling of
    an id; collecting it under the id as typed would start a second series of one model, and
    listings filtered by the typed id (``base_model:…``) could find none of its children. A model
    the store already holds (``stored``) is the exception: its series goes on under the id it
    has, and the other id is logged.

    Parameters
    ----------
    api
        The client (:func:`make_api`).
    model
        The model id as the user gave it.
    stored
        Whether the store already holds a series under ``model``.
    expand
        The properties to fetch (e.g. ``["createdAt"]``).
    policy, log
        As for :func:`call`.

    Returns
    -------
    ModelInfo
        With ``id == model`` unless ``stored``.

    Raises
    ------
    HubError
        When the Hub knows a model not ``stored`` under another id; the message names it.
        Otherwise as :func:`call`.
    """
    info = call(partial(api.model_info, model, expand=expand), model=model, policy=policy, log=log)
    if info.id != model and stored:
        log(f"  {model}: the Hub now knows it as {info.id}; its series goes on under {model}")
    elif info.id != model:
        raise HubError(
            f"the Hub knows it as {info.id} (a renamed repository or another spelling): give "
            "that id instead",
            model=model,
        )
    return info


def listing(
    fetch: Callable[[], Iterable[ModelInfo]],
    *,
    model: str,
    what: str,
    policy: RetryPolicy,
    log: Log = stderr_log,
    every: int = 1000,
) -> dict[str, ModelInfo]:
    """Every model a paginated listing yields, restarting it from page 1 after a failure.

    huggingface_hub offers no way to resume a listing at a given page, so a listing that fails for
    good on page ``n`` (after the client's own retries) is run again from the start. Models are
    keyed by id, so the pages read twice add nothing.

    Parameters
    ----------
    fetch
        Starts the listing (e.g. ``lambda: api.list_models(filter=…)``).
    model, policy, log
        As for :func:`call`.
    what
        What is listed, for progress lines (e.g. ``"fine-tunes"``).
    every
        Print a progress line each time this many more models have been seen.

    Returns
    -------
    dict
        Model id → :class:`~huggingface_hub.ModelInfo`, in the order first seen.
    """
    seen: dict[str, ModelInfo] = {}

    def run() -> dict[str, ModelInfo]:
        for info in fetch():
            if info.id not in seen:
                seen[info.id] = info
                if len(seen) % every == 0:
                    log(f"  {model}: {len(seen):,} {what} listed")
        return seen

    return call(run, model=model, policy=policy, log=log)


def summary(items: list[str], *, sep: str = "; ") -> str:
    """The first :data:`SHOWN` of ``items`` (failures, models), then how many more.

    Parameters
    ----------
    items
        What to list; each was logged on its own line as it happened.
    sep
        Between two items.

    Returns
    -------
    str
        E.g. ``"a; b; c; and 5 more (see the lines above)"``.
    """
    more = len(items) - SHOWN
    tail = [f"and {more} more (see the lines above)"] if more > 0 else []
    return sep.join(items[:SHOWN] + tail)


def _gave_up(exc: Exception, what: str, attempts: int, model: str) -> BayesGrowthError:
    """The error for a request that failed every try: the Hub unreachable, or this model failing."""
    advice = "run the same command again later: finished work is kept"
    if isinstance(exc, _UNREACHABLE):
        url = exc.request.url  # its host only: a URL can carry a password
        host = f"{url.host}:{url.port}" if url.port else url.host
        return HubUnavailable(
            f"cannot reach the Hub at {url.scheme}://{host} ({what}, {attempts} tries for "
            f"{model}); stopped; check the network or the endpoint (--endpoint, HF_ENDPOINT), then {advice}"
        )
    return HubError(
        f"the Hub kept failing ({what}) after {attempts} tries; {advice}",
        model=model,
        status=_status(exc),
    )


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None) if isinstance(exc, HfHubHTTPError) else None
    return None if response is None else response.status_code


def _transient(exc: Exception, model: str) -> tuple[str, float | None]:
    """Describe a transient failure and its wait; raise :class:`HubError` otherwise (or
    :class:`HubUnavailable` for a token the Hub refuses)."""
    if isinstance(exc, json.JSONDecodeError):
        return "malformed JSON in the response", None
    status = _status(exc)
    if status is None:
        return f"connection problem ({type(exc).__name__})", None
    if status in RETRYABLE_STATUS:
        return f"HTTP {status}", server_wait(exc.response)
    if status == 401 and _INVALID_TOKEN in (exc.server_message or ""):
        raise HubUnavailable(
            "the Hub refuses the token (HTTP 401: invalid credentials in the Authorization header): "
            "set HF_TOKEN again or run `hf auth login`, then run the same command again"
        ) from None
    message = _REFUSED.get(status, f"the Hub refused the request (HTTP {status})")
    if status in (403, 404) or isinstance(exc, RepositoryNotFoundError) or _model_401(exc):
        raise ModelUnavailable(message, model=model, status=status) from None
    raise HubError(message, model=model, status=status) from None


def _model_401(exc: HfHubHTTPError) -> bool:
    """A 401 on a model's own URL (``/api/models/ORG/NAME``): the Hub's answer, without a valid
    token, for a model that does not exist or is private. huggingface_hub reads it as "repository
    not found" only on an ``https://`` endpoint; this reads it so on any."""
    return exc.response.status_code == 401 and "/api/models/" in exc.response.request.url.path


def server_wait(response: httpx2.Response) -> float | None:
    """Seconds the Hub asks a client to wait before it tries again, or ``None``.

    The Hub answers a rate limit (HTTP 429) with ``RateLimit: "api";r=0;t=SECONDS`` (IETF draft
    ``ratelimit-headers``, version 9), not ``Retry-After``: a request before the window resets is
    refused again. As huggingface_hub does, that reset (plus a second) comes first, then
    ``Retry-After``.
    """
    limit = parse_ratelimit_headers(response.headers)
    if response.status_code == 429 and limit is not None and limit.remaining == 0:
        return float(limit.reset_in_seconds + 1)
    return _retry_after(response.headers.get("Retry-After"))


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: a number of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
