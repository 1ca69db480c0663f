"""Road routing (issue 5): the road graph built at ``map import``, snapping, travel times.

* :mod:`app.routing.graph` — build/save/load the graph (``roads.graph.npz``);
* :mod:`app.routing.snap` — a position → the nearest road segment;
* :mod:`app.routing.engine` — the :class:`~app.routing.engine.Router` seam and the
  default :class:`~app.routing.engine.GraphRouter` (``scipy.sparse.csgraph.dijkstra``);
* :mod:`app.routing.cli` — ``dispatch120 route``.

Qt-free, pure computation on the calling thread.
"""
