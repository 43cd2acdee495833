"""The runtime: wires the API client, scheduler, store, validator and monitor into one pipeline.

Use it as ``async with Runtime(settings) as rt: summary = await rt.run(until_done=True)``.
``Runtime`` (``core``) is a thin composition of parts that share one ``RuntimeState``
(``state``): ``ScheduleReader`` (``schedule``), ``VersionKeeper`` (``versions``, with the
archive's ``ArchiveKeeper``), ``PushLink`` (``pushing``), ``Monitoring`` (``monitoring``),
``Jobs`` (``jobs``), the records both readers write (``recording``) and the run's summary
(``summary``). No part inherits from another; each is handed the state (and the parts it
calls) when the runtime is entered.
"""

from mlbdash.ingest.runtime.core import Runtime

__all__ = ["Runtime"]
