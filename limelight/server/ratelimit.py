"""Per-key rate limits (token bucket: rate + burst) and daily quotas (per UTC day).

Two backends behind one small interface, ``RateLimiter.hit(key) -> Decision``:

- ``MemoryRateLimiter``: counters in this process (the default; one process, or one budget per
  worker process).
- ``RedisRateLimiter``: counters in Redis, updated by one Lua script so the bucket refill, the
  quota check and both decrements are one atomic step; every server process sharing the Redis
  enforces one limit. The clock is Redis's, so processes agree on time.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from limelight.errors import RateLimited, RateLimiterUnavailable
from limelight.registry.keys import ApiKey

DAY = 86400


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # "rate" or "quota" when refused
    limit: int | None = None  # bucket size (burst)
    remaining: int | None = None  # whole tokens left
    reset: int | None = None  # seconds until the bucket is full again
    quota_limit: int | None = None
    quota_remaining: int | None = None
    quota_reset: int | None = None  # seconds until the quota resets (UTC midnight)
    retry_after: int = 0

    def headers(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.limit is not None:
            out += [
                ("X-RateLimit-Limit", str(self.limit)),
                ("X-RateLimit-Remaining", str(self.remaining)),
                ("X-RateLimit-Reset", str(self.reset)),
            ]
        if self.quota_limit is not None:
            out += [
                ("X-Quota-Limit", str(self.quota_limit)),
                ("X-Quota-Remaining", str(self.quota_remaining)),
                ("X-Quota-Reset", str(self.quota_reset)),
            ]
        if not self.allowed:
            out.append(("Retry-After", str(self.retry_after)))
        return out

    def error(self) -> RateLimited:
        if self.reason == "quota":
            message = (
                f"daily quota of {self.quota_limit} requests used up; it resets at 00:00 UTC "
                f"(in {self.retry_after} s)"
            )
        else:
            message = (
                f"rate limit exceeded ({self.limit} requests in a burst); retry in "
                f"{self.retry_after} s"
            )
        return RateLimited(message, retry_after=self.retry_after)


class RateLimiter(Protocol):
    async def hit(self, key: ApiKey) -> Decision: ...

    async def close(self) -> None: ...


def _decide(
    key: ApiKey, tokens: float, used: int, allowed: bool, reason: str, now: float
) -> Decision:
    """Turn the counters after a hit into a Decision (shared by both backends)."""
    rate, burst, quota = key.rate, key.burst, key.quota
    limit = remaining = reset = None
    if rate is not None and burst is not None:
        limit = burst
        remaining = max(0, math.floor(tokens))
        reset = math.ceil(max(0.0, burst - tokens) / rate)
    quota_reset = DAY - int(now) % DAY
    retry_after = 0
    if not allowed:
        if reason == "rate" and rate:
            retry_after = max(1, math.ceil((1 - tokens) / rate))
        else:
            retry_after = quota_reset
    return Decision(
        allowed=allowed,
        reason=reason,
        limit=limit,
        remaining=remaining,
        reset=reset,
        quota_limit=quota,
        quota_remaining=max(0, quota - used) if quota is not None else None,
        quota_reset=quota_reset if quota is not None else None,
        retry_after=retry_after,
    )


class MemoryRateLimiter:
    """Counters in this process."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, at)
        self._used: dict[str, tuple[int, int]] = {}  # key id -> (day number, used)
        self._lock = threading.Lock()

    async def hit(self, key: ApiKey) -> Decision:
        return self.hit_at(key, time.time())

    def hit_at(self, key: ApiKey, now: float) -> Decision:
        with self._lock:
            tokens = 0.0
            if key.rate is not None and key.burst is not None:
                tokens, at = self._buckets.get(key.key_id, (float(key.burst), now))
                tokens = min(float(key.burst), tokens + max(0.0, now - at) * key.rate)
            day = int(now) // DAY
            used_day, used = self._used.get(key.key_id, (day, 0))
            if used_day != day:
                used = 0
            allowed, reason = True, ""
            if key.rate is not None and tokens < 1:
                allowed, reason = False, "rate"
            elif key.quota is not None and used >= key.quota:
                allowed, reason = False, "quota"
            if allowed:
                tokens -= 1
                used += 1
            if key.rate is not None:
                self._buckets[key.key_id] = (tokens, now)
            if key.quota is not None:
                self._used[key.key_id] = (day, used)
            return _decide(key, tokens, used, allowed, reason, now)

    async def close(self) -> None:
        return None


# KEYS[1] bucket hash, KEYS[2] quota counter of the current day (by Redis's clock: ARGV[4] is
# its prefix). ARGV: rate/s (0 = none), burst, quota (0 = none), quota key prefix.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local quota = tonumber(ARGV[3])
local qkey = ARGV[4] .. math.floor(now / 86400)
local tokens = 0
if rate > 0 then
  tokens = burst
  local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
  if b[1] then
    tokens = math.min(burst, tonumber(b[1]) + math.max(0, now - tonumber(b[2])) * rate)
  end
end
local used = 0
if quota > 0 then used = tonumber(redis.call('GET', qkey) or '0') end
local allowed = 1
local reason = ''
if rate > 0 and tokens < 1 then
  allowed = 0
  reason = 'rate'
elseif quota > 0 and used >= quota then
  allowed = 0
  reason = 'quota'
end
if allowed == 1 then
  tokens = tokens - 1
  if quota > 0 then
    used = redis.call('INCR', qkey)
    if used == 1 then redis.call('EXPIRE', qkey, 90000) end
  end
end
if rate > 0 then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
  redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
end
return {allowed, tostring(tokens), used, reason, tostring(now)}
"""


class RedisRateLimiter:
    """Counters in Redis, shared by every process that uses the same URL."""

    def __init__(self, url: str, *, prefix: str = "limelight") -> None:
        import redis.asyncio as aioredis

        self.url = url
        self.prefix = prefix
        self._client: Any = aioredis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=2, decode_responses=True
        )
        self._script = self._client.register_script(_SCRIPT)

    async def hit(self, key: ApiKey) -> Decision:
        import redis

        if key.rate is None and key.quota is None:
            return Decision(allowed=True)
        args = [
            key.rate or 0,
            key.burst or 0,
            key.quota or 0,
            f"{self.prefix}:quota:{key.key_id}:",
        ]
        try:
            allowed, tokens, used, reason, now = await self._script(
                keys=[f"{self.prefix}:bucket:{key.key_id}"], args=args
            )
        except (redis.RedisError, OSError) as exc:
            raise RateLimiterUnavailable(
                f"the rate limiter's Redis cannot be reached ({type(exc).__name__}); "
                "retry shortly or check LIMELIGHT_REDIS_URL"
            ) from exc
        return _decide(key, float(tokens), int(used), bool(int(allowed)), reason, float(now))

    async def close(self) -> None:
        await self._client.aclose()


def make_rate_limiter(redis_url: str | None) -> RateLimiter:
    return RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()
