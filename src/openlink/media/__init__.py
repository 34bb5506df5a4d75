"""Media in chat (photos, video, voice, files): where their bytes are kept
(``storage/``: the blob contract, the local filesystem and S3-compatible object storage)
and how an upload becomes what a room is served (``process/``: the type found from the
bytes, the checks, the variants and placeholders, in a bounded pool of worker processes).
"""
