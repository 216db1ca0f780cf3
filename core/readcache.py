"""The read model's cache: a user's home screen and main lists as pre-rendered JSON.

A document is the exact bytes a GET answered, stored in the shared cache under the user, the
view's name, the path with its query string, the language and the time zone, and stamped with
the two *generation tokens* it was built from:

- the user's token (``rc:u:<id>``): deleted by every writer that changes what that user
  sees, at once and again when its transaction commits (``users_changed``; the ledger
  writer, drops, green actions, trees, friends, imports, holds, erasure, and every
  successful unsafe API request by the user);
- the epoch (``rc:epoch``): deleted when something everyone sees changes (rules, limits,
  species: ``everyone_changed``) or when a set-based writer touched too many users to name.

A token is a random 64-bit value set (``SET NX``) by the first reader that finds none, so a
deleted or evicted token never comes back with a value an old document carries: a writer only
ever deletes. One round trip (``MGET`` of epoch, token and document) decides a hit, a social
document's too on Redis (below).

Why the stamp is read BEFORE the document is built: a writer that commits while the view is
building (reading the old rows) deletes the token after its commit; the stale document is then
stored under the token read before, which no longer exists, and the next reader (who sets a
new token) never matches it. Had the stamp been read after the build, that document would have
been stored under the new token and served stale until the next write.

Documents that show other users' figures (the friends list, the leaderboard: *social*
documents) are stamped with those users' tokens too, read (``SET NX`` for missing ones) after
the build has named them and before it reads their rows (``user_tokens``), for the same
reason. Which users they are comes from the reader's friendships, under the reader's token (a
friendship made or ended deletes both users' tokens). The document names them in its header
(``<epoch>:<token>;<id>=<token>,...``), and the lookup checks them: on Redis in its one round
trip (``_CHECK_SOCIAL``, a Lua script that GETs the document and each token it names), on
another cache in a second. Any friend's write ends the reader's document at once.

Time: a document carries a *horizon*, the first moment at which the clock alone changes it
(a drop ripening or expiring, the user's local midnight for caps and streaks, an earning
leaving the leaderboard's week), and is never served at or past it;
``CANOPY_READ_CACHE_SECONDS`` bounds every document's age as well (a writer that bypasses
every hook is stale for at most that long).

``CANOPY_READ_CACHE`` (on with a cache all processes share) switches it all off: every read is
built. The views' side (the one-round-trip hit, ``cached_read``) is core/readviews.py.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import default_key_func
from django.db import transaction

logger = logging.getLogger(__name__)

EPOCH_KEY = "rc:epoch"
# Documents end up to this share of their age limit early, so that they do not all end at once.
AGE_JITTER = 0.2
# Above this many users a set-based writer deletes the epoch instead of each user's token.
_MANY_USERS = 20_000
_DEL_BATCH = 1_000


def _user_key(user_id: int) -> str:
    return f"rc:u:{user_id}"


def _doc_key(user_id: int, name: str) -> str:
    return f"rc:d:{user_id}:{name}"


def enabled() -> bool:
    return bool(getattr(settings, "CANOPY_READ_CACHE", True))


def redis_client(of=None):
    """The raw redis-py client behind a Django Redis cache (``of``, default the default
    cache), or None for any other backend."""
    inner = getattr(cache if of is None else of, "_cache", None)
    if inner is None or not hasattr(inner, "get_client"):
        return None
    return inner.get_client(write=True)


@dataclass(frozen=True)
class Lookup:
    """What one round trip found: the body of a valid document, or the stamp to build under;
    and what the caller asked to read (``values``) and count (``counts``) in the same trip."""

    body: bytes | None
    stamp: bytes | None  # b"<epoch>:<token>"; None: a token could not be set, do not store
    values: tuple = ()
    counts: tuple[tuple[int, float], ...] = ()  # (count, seconds left) per counter
    # Other users' tokens read before any build (those a social document named): a build may
    # stamp with them (``user_tokens(known=...)``); None for a token that was missing.
    others: dict[int, bytes | None] = field(default_factory=dict)


def _stamp(epoch, token) -> bytes | None:
    if epoch is None or token is None:
        return None
    return _as_bytes(epoch) + b":" + _as_bytes(token)


def _as_bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


# A social document fetched with its other users' tokens checked in Redis, in the lookup's one
# round trip: {doc, 1} when every token its header names is as it was (or it names none, or
# there is no document), else {doc, 0, token...} in the header's order (nil where missing), the
# tokens a build may stamp with. ARGV[1] is the tokens' key prefix (``_token_prefix``).
_CHECK_SOCIAL = """
local doc = redis.call('GET', KEYS[1])
if not doc then return {false, 1} end
local bar = string.find(doc, '|', 1, true)
local semi = bar and string.find(string.sub(doc, 1, bar - 1), ';', 1, true)
if not semi then return {doc, 1} end
local found, same = {doc, 0}, true
for user, token in string.gmatch(string.sub(doc, semi + 1, bar - 1), '(%d+)=([^,]+)') do
  local now = redis.call('GET', ARGV[1] .. user)
  same = same and now == token
  table.insert(found, now)
end
if same then return {doc, 1} end
return found
"""


def lookup(
    user_id: int,
    name: str,
    *,
    now: float | None = None,
    also_get: Sequence[str] = (),
    count: Sequence[tuple[str, int]] = (),
    social: bool = False,
) -> Lookup:
    """One round trip: epoch, the user's token and the document (``MGET``), plus the cache
    values ``also_get`` names (the signed-in user's copy) and the window counters ``count``
    names (the throttles: ``core.throttling``). Missing tokens are set before any build.

    A social document's other users' tokens are checked in the same round trip on Redis
    (``social``: a Lua script, ``_CHECK_SOCIAL``); otherwise (another cache, or ``social``
    not said) a second round trip reads them."""
    now = time.time() if now is None else now
    doc_key = _doc_key(user_id, name)
    keys = [EPOCH_KEY, _user_key(user_id), *also_get]
    client = redis_client()
    prefix = _token_prefix() if client is not None and social else None
    checked: list | None = None  # the script's answer: [same, token...]
    if client is not None:
        pipe = client.pipeline(transaction=False)
        pipe.mget([cache.make_key(k) for k in (keys if prefix else [*keys, doc_key])])
        for key, duration in count:
            window_count(pipe, cache.make_key(key), duration)
        if prefix:
            pipe.eval(_CHECK_SOCIAL, 1, cache.make_key(doc_key), prefix)
        results = pipe.execute()
        if prefix:
            epoch, token, *values = results[0]
            doc, *checked = results[-1]
            doc = doc or None  # Lua's false
        else:
            epoch, token, *values, doc = results[0]
        loads = cache._cache._serializer.loads  # type: ignore[attr-defined]
        values = [None if v is None else loads(v) for v in values]
        counts = tuple(
            window_result(results[1 + 3 * i : 4 + 3 * i], duration)
            for i, (_key, duration) in enumerate(count)
        )
    else:
        found = cache.get_many([*keys, doc_key])
        epoch, token, *values = (found.get(k) for k in keys)
        doc = found.get(doc_key)
        counts = tuple(window_count_cache(cache, key, duration) for key, duration in count)
    stamp = _stamp(epoch, token)
    body = None
    others: dict[int, bytes | None] = {}
    if stamp is not None and doc is not None:
        doc_stamp, horizon, rest = _as_bytes(doc).split(b"|", 2)
        own, _, named = doc_stamp.partition(b";")
        if own == stamp and now < float(horizon):
            if not named or (checked is not None and checked[0] == 1):
                body = rest
            elif checked is not None:  # the script found a token changed: these are the tokens
                others = {
                    u: _as_bytes(t) if t else None  # nil or Lua's false: missing
                    for u, t in zip(_parse_others(named), checked[1:], strict=True)
                }
            else:  # the second round trip
                wanted = _parse_others(named)
                others = _get_tokens(list(wanted))
                if all(others[u] == t for u, t in wanted.items()):
                    body = rest
    elif stamp is None:
        stamp = _set_tokens(user_id, epoch, token)
    return Lookup(body=body, stamp=stamp, values=tuple(values), counts=counts, others=others)


def _parse_others(named: bytes) -> dict[int, bytes]:
    pairs = (item.partition(b"=") for item in named.split(b","))
    return {int(user): token for user, _, token in pairs}


def _token_prefix() -> str | None:
    """The Redis key of a user's token is this prefix and the user's id (``make_key`` puts
    the key last, as Django's own key function does); None with a key function that does not."""
    prefix = cache.make_key(_user_key(0))[:-1]
    if cache.key_func is default_key_func or cache.make_key(_user_key(10)) == f"{prefix}10":
        return prefix
    return None


def _made_user_keys(user_ids: list[int]) -> list[str]:
    """The Redis keys of these users' tokens (``cache.make_key``'s), from one call to it when
    it can (twenty calls cost a social document ~70 µs)."""
    prefix = _token_prefix()
    if prefix is None:
        return [cache.make_key(_user_key(u)) for u in user_ids]
    return [f"{prefix}{u}" for u in user_ids]


def _get_tokens(user_ids: list[int]) -> dict[int, bytes | None]:
    """The users' tokens as they are (None where missing), in one round trip."""
    client = redis_client()
    if client is not None:
        found = client.mget(_made_user_keys(user_ids))
    else:
        keys = [_user_key(u) for u in user_ids]
        got = cache.get_many(keys)
        found = [got.get(k) for k in keys]
    return {u: None if t is None else _as_bytes(t) for u, t in zip(user_ids, found, strict=True)}


def user_tokens(
    user_ids: Iterable[int], *, known: Mapping[int, bytes | None] | None = None
) -> dict[int, bytes | None]:
    """The tokens to stamp a social document with for these users, whose rows the build is
    about to read: those ``known`` (read earlier, by the lookup) as they were, the others read
    with missing ones set first (``SET NX``), in one round trip. None for a token a writer
    deleted between the set and the read: the document must not be kept."""
    user_ids = list(user_ids)
    known = known or {}
    tokens = {u: known[u] for u in user_ids if known.get(u) is not None}
    missing = [u for u in user_ids if u not in tokens]
    if not missing:
        return tokens
    found = _add_missing([_user_key(u) for u in missing], made=_made_user_keys(missing))
    for user, token in zip(missing, found, strict=True):
        tokens[user] = None if token is None else _as_bytes(token)
    return tokens


def window_count(pipe, key: str, duration: int) -> None:
    """Queue one count in ``key``'s window on a Redis pipeline: the window opens at the key's
    first count and lasts ``duration`` seconds (``EXPIRE NX`` never extends it)."""
    pipe.incr(key)
    pipe.expire(key, duration, nx=True)
    pipe.ttl(key)


def window_result(replies, duration: int) -> tuple[int, float]:
    count, _set, ttl = replies
    return int(count), float(ttl if ttl and ttl > 0 else duration)


def window_count_cache(cache_, key: str, duration: int) -> tuple[int, float]:
    """``window_count`` on any other cache (locmem in tests): the window's end is kept next to
    the count."""
    now = time.time()
    ends = cache_.get(f"{key}:ends")
    if ends is None or ends <= now:
        ends = now + duration
        cache_.set(f"{key}:ends", ends, duration)
        cache_.set(key, 0, duration)
    try:
        count = cache_.incr(key)
    except ValueError:  # expired between the two calls
        cache_.set(key, 1, duration)
        count = 1
    return count, ends - now


def _set_tokens(user_id: int, epoch, token) -> bytes | None:
    """Set the missing tokens to fresh random values (never overwriting a reader's), then read
    them back: that is the stamp."""
    epoch, token = _add_missing(
        [EPOCH_KEY, _user_key(user_id)], missing=[epoch is None, token is None]
    )
    return _stamp(epoch, token)


def _add_missing(
    keys: list[str], *, missing: list[bool] | None = None, made: list[str] | None = None
) -> list:
    """Set the ``missing`` keys (all by default) to fresh random tokens, never overwriting a
    reader's (``SET NX``), then read every key back, in one round trip. ``made``: the keys
    as ``cache.make_key`` makes them, when the caller has them."""
    missing = [True] * len(keys) if missing is None else missing
    client = redis_client()
    if client is not None:
        made = made or [cache.make_key(k) for k in keys]
        pipe = client.pipeline(transaction=False)
        for key, absent in zip(made, missing, strict=True):
            if absent:
                pipe.set(key, secrets.token_hex(8), nx=True)
        pipe.mget(made)
        return pipe.execute()[-1]
    for key, absent in zip(keys, missing, strict=True):
        if absent:
            cache.add(key, secrets.token_hex(8), timeout=None)
    found = cache.get_many(keys)
    return [found.get(k) for k in keys]


def store(
    user_id: int,
    name: str,
    *,
    stamp: bytes | None,
    body: bytes,
    horizon: float | None = None,
    others: Mapping[int, bytes | None] | None = None,
    now: float | None = None,
) -> None:
    """Keep ``body`` under ``stamp`` (and ``others``, the other users' tokens a social document
    was built under: ``user_tokens``) until ``horizon`` (epoch seconds) or the age limit,
    whichever comes first.

    The age limit is shortened by up to ``AGE_JITTER`` at random, never lengthened: documents
    built together (a burst of logins, or the benchmark's warm-up) would otherwise all end in
    the same second and be rebuilt at once, a spike in the p99. The clock's own horizon is
    kept exactly."""
    named = {u: t for u, t in (others or {}).items() if t is not None}
    if stamp is None or len(named) != len(others or {}):
        return  # a token was deleted as it was read: a writer is at work
    now = time.time() if now is None else now
    age = settings.CANOPY_READ_CACHE_SECONDS
    limit = now + age * (1.0 - AGE_JITTER * random.random())
    horizon = limit if horizon is None else min(horizon, limit)
    ttl = int(horizon - now) + 1
    if horizon <= now:
        return
    if named:
        stamp += b";" + b",".join(b"%d=%b" % (u, t) for u, t in sorted(named.items()))
    doc = stamp + b"|" + repr(horizon).encode() + b"|" + body
    client = redis_client()
    if client is not None:
        client.set(cache.make_key(_doc_key(user_id, name)), doc, ex=ttl)
    else:
        cache.set(_doc_key(user_id, name), doc, timeout=ttl)


def _forget_now(keys: list[str]) -> None:
    client = redis_client()
    if client is not None:
        made = [cache.make_key(k) for k in keys]
        pipe = client.pipeline(transaction=False)
        for start in range(0, len(made), _DEL_BATCH):
            pipe.delete(*made[start : start + _DEL_BATCH])
        pipe.execute()
    else:
        cache.delete_many(keys)


def users_changed(user_ids: Iterable[int | None]) -> None:
    """What these users see has changed: their documents are dropped at once and again once
    the current transaction commits. All of them in one round trip each."""
    ids = sorted({int(u) for u in user_ids if u is not None})
    if not ids:
        return
    if len(ids) > _MANY_USERS:
        everyone_changed()
        return
    _forget_twice([_user_key(u) for u in ids])


def user_changed(user_id: int | None) -> None:
    users_changed([user_id])


def users_changed_range(first: int, last: int) -> None:
    """A set-based writer changed users ``first``..``last`` (a scoring chunk): each token, or
    the epoch when the range is wider than ``_MANY_USERS``."""
    if last - first + 1 > _MANY_USERS:
        everyone_changed()
    else:
        users_changed(range(first, last + 1))


def everyone_changed() -> None:
    """Something every user sees changed: every document is dropped after commit."""
    _forget_twice([EPOCH_KEY])


def _forget_twice(keys: list[str]) -> None:
    """Delete the tokens now and again once the transaction commits: a reader between the two
    builds from the rows before the commit, under a token the second delete removes."""
    if not transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _forget_now(keys), robust=True)  # at once: committed
        return
    try:
        _forget_now(keys)
    except Exception:  # the cache is down: the commit's delete tries again
        logger.warning("read cache: could not drop %d tokens", len(keys), exc_info=True)
    transaction.on_commit(lambda: _forget_now(keys), robust=True)


# Rows whose save or delete changes what the users they name see. Set-based writers (scoring,
# imports, ``QuerySet.update``) send no signals and call ``users_changed`` themselves.
_USER_FIELDS = ("user", "owner", "from_user", "to_user", "user_low", "user_high")
# Rows every user's documents are built from (rules and caps, levels, species and forests).
EVERYONE_MODELS = frozenset(
    {
        "forest.energylimits",
        "forest.levelthreshold",
        "forest.greenactionrule",
        "forest.rulematcher",
        "catalogue.species",
        "catalogue.brandforest",
        "catalogue.sponsor",
        "catalogue.campaign",
    }
)
_plans: dict[type, tuple[str, ...] | None] = {}


def _plan(model) -> tuple[str, ...] | None:
    """The ``*_id`` attributes naming users on ``model``; () for everyone; None for nobody."""
    if model not in _plans:
        opts = model._meta
        if opts.label_lower in EVERYONE_MODELS:
            _plans[model] = ()
        else:
            names = {f.name: f for f in opts.concrete_fields}
            attnames = tuple(
                names[n].attname
                for n in _USER_FIELDS
                if n in names
                and names[n].is_relation
                and names[n].related_model is not None
                and names[n].related_model._meta.label == settings.AUTH_USER_MODEL
            )
            if opts.label == settings.AUTH_USER_MODEL:
                attnames = ("pk",)
            _plans[model] = attnames or None
    return _plans[model]


def row_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """post_save / post_delete: drop the documents of the users the row names."""
    if raw or not enabled():
        return
    plan = _plan(sender)
    if plan is None:
        return
    if plan == ():
        everyone_changed()
    else:
        users_changed(getattr(instance, attname, None) for attname in plan)


# Deletes are watched only on these few small tables: a post_delete receiver costs every
# cascade through its model Django's fast delete (the rows would be loaded one by one).
DELETES_WATCHED = frozenset({"accounts.friendship", "forest.energyhold", *EVERYONE_MODELS})


def connect_signals() -> None:
    """Watch every model whose rows name a user (saves) and the few above (deletes)."""
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save

    for model in apps.get_models():
        if _plan(model) is None:
            continue
        label = model._meta.label_lower
        post_save.connect(row_changed, sender=model, dispatch_uid=f"readcache.saved.{label}")
        if label in DELETES_WATCHED:
            post_delete.connect(row_changed, sender=model, dispatch_uid=f"readcache.del.{label}")
