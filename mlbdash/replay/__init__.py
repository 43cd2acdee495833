"""The replay server: recorded MLB data over HTTP on loopback, in virtual time, with faults.

``start_replay_server`` runs it inside the caller's event loop; ``replay_subprocess`` runs
``mlbdash replay serve`` in its own process; ``demo_server_options`` lays out the bundled slate.
"""

from mlbdash.replay.demo import demo_data_path, demo_server_options, demo_today
from mlbdash.replay.faults import FaultSpec, FaultSpecError, parse_fault_spec
from mlbdash.replay.process import ReplayProcess, replay_subprocess
from mlbdash.replay.server import ReplayServer, make_options, start_replay_server
from mlbdash.replay.world import ReplayOptions

__all__ = [
    "FaultSpec",
    "FaultSpecError",
    "ReplayOptions",
    "ReplayProcess",
    "ReplayServer",
    "demo_data_path",
    "demo_server_options",
    "demo_today",
    "make_options",
    "parse_fault_spec",
    "replay_subprocess",
    "start_replay_server",
]
