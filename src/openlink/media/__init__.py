"""Media messages: photos, videos, voice messages and files.

``process/`` turns an uploaded file into what the instance serves: the type found from the
bytes, the checks, the variants (thumbnails, a transcoded video, Opus voice) and the
placeholders (blurhash, waveform), in a bounded pool of worker processes.
"""
