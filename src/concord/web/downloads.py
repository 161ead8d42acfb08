"""File downloads (exports), answered the same way by the API and the pages."""

from __future__ import annotations

from fastapi.responses import Response

from concord.service.conversations.exchange import Download


def download_response(download: Download) -> Response:
    return Response(
        download.data,
        media_type=download.media_type,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )
