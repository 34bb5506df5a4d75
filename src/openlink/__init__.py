"""OpenLink: self-hostable interest-based open chat.

Layers, imported in one direction only:
``http``/``realtime`` (transports) -> ``actions``/``queries`` (use cases) -> ``domain``
(pure rules). ``store`` and the pluggable backends (``broker``) depend only on ``domain``.
``app.create_app`` is the one place that picks concrete backends.
"""

__version__ = "0.1.0"
