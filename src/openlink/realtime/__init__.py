"""Real time: the WebSocket gateway, the per-node hub of local sockets, and frame encoding.

One socket per client carries every room the account is in. Durable room events are
ordered by rev and gap-filled from the database; the broker only speeds them along.
"""
