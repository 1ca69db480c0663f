"""Benchmarks of dispatch120: command round trip, durable events/s, seat start-up.

Run ``python -m bench`` (or ``make bench``); see ``bench/README.md`` for what
each figure means. Benchmarks are not tests: nothing here asserts a time.
Everything talks to a real ``dispatch120-server`` subprocess on 127.0.0.1
with a temporary database, and the seat start-up runs the real composition
root in a subprocess under ``QT_QPA_PLATFORM=offscreen``.
"""
