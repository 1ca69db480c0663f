"""Road routing: the road graph built at ``map import``, snapping, travel times.

* :mod:`app.routing.graph` — build/save/load the graph (``roads.graph.npz``);
* :mod:`app.routing.snap` — a position → the nearest road segment;
* :mod:`app.routing.engine` — the :class:`~app.routing.engine.Router` seam and the
  default :class:`~app.routing.engine.GraphRouter` (``scipy.sparse.csgraph.dijkstra``);
* :mod:`app.routing.planner` — simulated ambulances drive the graph.

Qt-free, pure computation on the calling thread. Routing knows no city directories and
never imports :mod:`app.mapdata` (which builds the graph at import and finds cities;
``dispatch120 route`` is :mod:`app.mapdata.route_cli`).
"""
