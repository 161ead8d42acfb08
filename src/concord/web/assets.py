"""Static files for slow networks: each is named after a digest of its content
(``/static/concord.1f2e3d4c5b.css``), so it can be cached for a year and a changed file is fetched
again at once; the plain name still works, revalidated each time. Compression is the app's (gzip)."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from fastapi.responses import Response
from starlette.types import Receive, Scope, Send

STATIC = Path(__file__).resolve().parent / "static"
YEAR = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"


class Assets:
    """The files of ``folder``, read once at start-up, served as an ASGI app (mounted at /static)."""

    def __init__(self, folder: Path = STATIC) -> None:
        self._files: dict[str, tuple[bytes, str]] = {}  # served name → (content, cache policy)
        self._urls: dict[str, str] = {}
        for path in sorted(folder.iterdir()):
            if not path.is_file():
                continue
            content = path.read_bytes()
            digest = hashlib.sha256(content).hexdigest()[:10]
            versioned = f"{path.stem}.{digest}{path.suffix}"
            self._files[versioned] = (content, YEAR)
            self._files[path.name] = (content, REVALIDATE)
            self._urls[path.name] = f"/static/{versioned}"

    def url(self, name: str) -> str:
        """The address of a static file, by its plain name, that changes whenever the file does."""
        return self._urls[name]

    def response(self, name: str) -> Response:
        if name not in self._files:
            return Response(status_code=404)
        content, policy = self._files[name]
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if media_type.startswith("text/") or media_type.endswith(("javascript", "svg+xml")):
            media_type += "; charset=utf-8"
        return Response(content, media_type=media_type, headers={"Cache-Control": policy})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.response(scope["path"].rsplit("/", 1)[-1])
        await response(scope, receive, send)
