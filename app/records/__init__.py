"""The records side: what the centre's event log says afterwards (KPIs, incident records, reports).

Reads the server's event store read-only through SQLAlchemy (SQLite or PostgreSQL);
never imports the server package and never Qt. See ``docs/kpi.md`` and ``docs/records.md``.
"""
