"""Long-running work: everything that runs beside requests, under one supervisor.

The :class:`~openlink.services.supervisor.Supervisor` owns every background task of the
process: one-shot work spawned by use cases (a bot's answer, a live translation, a
prune) and the loops of the services (the bot scheduler, the search indexer, the hub's
presence and catch-up). Each service has ``start`` and ``stop``; ``app.create_app``
starts them in order and stops them in reverse, then the supervisor drains what is left.
"""
