"""Outbound HTTP on a member's behalf: the one SSRF-guarded fetcher (``fetch.py``) that
avatars, covers and link previews all go through."""
