"""Media in chat (photos, video, voice, files): where their bytes are kept
(``storage/``: the blob contract, the local filesystem and S3-compatible object storage)
and how an upload becomes the variants a room is served (``process/``)."""
