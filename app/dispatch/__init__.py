"""Dispatch decisions: unit recommendation, coverage cost, the pending queue.

* :mod:`app.dispatch.recommend` — rank available units for an incident;
* :mod:`app.dispatch.coverage` — station areas left uncovered if a unit goes;
* :mod:`app.dispatch.pending` — incidents waiting for a suitable unit, and which one a
  freed unit should go to.

Pure, Qt-free, no text (widgets translate the enums).
"""
