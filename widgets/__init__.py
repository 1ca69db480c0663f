"""The seat's Qt widgets (GUI thread only). They render ``app.seat.store.SeatStore`` and act
through the named commands of ``app.seat.commands``; they keep no copy of the truth.

* ``main_window`` — the seat window; ``status_banner``, ``message_area``, ``call_panel``,
  ``incident_form``, ``incident_queue``, ``unit_board`` — its panels;
* ``labels`` — core enums and error codes -> translated words and colours;
* ``qt_bridge`` — the sync thread -> GUI thread hop; ``clock`` — elapsed times;
* ``i18n_runtime`` — loading and switching translations; ``style`` — the look;
* ``seat_app`` — Qt start-up pieces for the composition root (``app/__main__.py``).
"""
