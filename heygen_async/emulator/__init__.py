"""An embedded emulator of LowCodeAPI in front of HeyGen, on 127.0.0.1: for the demo, tests and benchmarks.

::

    from heygen_async.emulator import Emulator, ManualClock

    async with Emulator(clock=ManualClock()) as emulator:
        async with emulator.client() as client:
            job = await client.videos.generate([...])
            await emulator.advance(60)                 # renders finish, webhooks fire
            video = await client.videos.status(job.video_id)

HeyGen's v3 API is served in direct mode only (``emulator.url``, ``x-api-key``; the gateway defines no v3
route): every operation of its OpenAPI document, with ``Idempotency-Key`` replays, the per-key concurrency cap,
bulk statuses, job state machines on the same clock, and webhook deliveries signed in ``Heygen-Signature``.

Also ``heygen-async emulator --port 8080`` (or ``python -m heygen_async.emulator``), and a pytest fixture in
``heygen_async.emulator.pytest_plugin``.
"""

from ._config import OLD_FORMAT_ONLY, EmulatorConfig
from ._faults import FAULT_KINDS, Faults
from ._server import DEFAULT_TIME_SCALE, Emulator, run_emulator
from ._timeline import Clock, ManualClock, ScaledClock
from ._webhooks import Delivery, sign

__all__ = [
    "DEFAULT_TIME_SCALE",
    "FAULT_KINDS",
    "OLD_FORMAT_ONLY",
    "Clock",
    "Delivery",
    "Emulator",
    "EmulatorConfig",
    "Faults",
    "ManualClock",
    "ScaledClock",
    "run_emulator",
    "sign",
]
