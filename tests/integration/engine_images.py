"""Clean-up shared by the real-engine tests: remove only images a test built itself."""

from __future__ import annotations


def discard_untagged(client, image_id: str | None) -> None:
    """Remove an image this test built, only while nothing tags it (never touch others' images)."""
    if not image_id:
        return
    try:
        if not client.inspect_image(image_id).get("RepoTags"):
            client.remove_image(image_id)
    except Exception:  # noqa: BLE001 - in use, shared or already gone: leave it
        pass
