"""Use cases that write. Each feature module follows one rhythm:

``check_*`` authorizes and validates, ``do_*`` writes inside one transaction, and
``notify_*`` publishes to the broker only after that transaction committed.
"""
