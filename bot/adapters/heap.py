"""Short garbage-collection pauses for a long-running chat server.

Nearly everything made while starting (modules, translation catalogs, templates,
compiled models, the web application) lives as long as the process. Left to the cyclic
collector, every full collection walks all of it again, and the event loop, with every
answer under way, waits meanwhile: a couple of hundred milliseconds in a large process.
Frozen once the server is up, it is out of the collector's way, and collections look at
what requests made, which is what they can free.
"""

from __future__ import annotations

import gc

_settled = False


def settle_after_startup() -> None:
    """Collect what starting left over and freeze the rest; once per process (later
    calls, as when a process serves several adapters, do nothing)."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()
    gc.freeze()
