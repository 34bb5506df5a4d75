"""Load generators for OpenLink that print figures (``openlink bench ...``).

* :mod:`openlink.bench.fanout`: one room, many members on real WebSockets, a few senders;
  measures server CPU per delivery, latency, loss, duplicates and memory per connection.
* :mod:`openlink.bench.wsclient`: the lean asyncio WebSocket client the load generator uses,
  so that the figures measure the server and not the client library.
* :mod:`openlink.bench.server`: ``python -m openlink.bench.server serve ...`` runs the
  ``openlink`` command in the subprocess the benchmark measures.

See ``bench/README.md`` for how to run them and read their output.
"""
