"""Blob storage for media: the contract (``base.py``), the local filesystem (``local.py``,
the default) and S3-compatible object storage (``s3.py``), chosen by a setting."""

from __future__ import annotations

from openlink.config import Settings
from openlink.errors import OpenLinkError
from openlink.media.storage.base import BlobInfo, BlobNotFound, BlobStore, read_all
from openlink.media.storage.local import LocalBlobStore

__all__ = ["BlobInfo", "BlobNotFound", "BlobStore", "LocalBlobStore", "create", "read_all"]


def create(settings: Settings) -> BlobStore:
    """The store ``OPENLINK_MEDIA_STORAGE`` names: ``local`` or ``s3``."""
    if settings.media_storage == "local":
        return LocalBlobStore(settings.effective_media_dir() / "blobs")
    if settings.media_storage == "s3":
        try:
            from openlink.media.storage.s3 import S3BlobStore, S3Options
        except ImportError as exc:  # pragma: no cover - obstore is a dependency
            raise OpenLinkError(f"the s3 media storage needs obstore: {exc}") from exc
        if not settings.media_s3_bucket:
            raise ValueError("OPENLINK_MEDIA_STORAGE=s3 needs OPENLINK_MEDIA_S3_BUCKET")
        return S3BlobStore(
            S3Options(
                bucket=settings.media_s3_bucket,
                endpoint=settings.media_s3_endpoint,
                region=settings.media_s3_region,
                access_key_id=settings.media_s3_access_key_id,
                secret_access_key=settings.media_s3_secret_access_key.get_secret_value(),
                prefix=settings.media_s3_prefix,
                virtual_hosted=settings.media_s3_virtual_hosted,
            )
        )
    raise ValueError(f"unknown media storage {settings.media_storage!r}: local or s3")
