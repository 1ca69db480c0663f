"""Simulation mode: a training server with a scripted phone switch and simulated ambulances.

Nothing here runs in the seat's GUI process. The seat calls
:func:`app.sim.launcher.start_training`, which starts ``python -m app.sim serve``
(:mod:`app.sim.runner`) as a child process; the runner starts the real server
(``python -m server_stub serve``) as its own child on a fresh training database,
then drives the simulated switch (:mod:`app.sim.switch`) and ambulances
(:mod:`app.sim.ambulance`) over the same websocket protocol that real phone
switches and ambulance terminals speak.

The simulators are written "sans I/O" (as websockets' protocol layer is): their
logic takes a :class:`~app.domain.state.State` and a time and returns commands,
so tests drive them with a :class:`~app.sim.clock.ManualClock` and no sockets.
"""
