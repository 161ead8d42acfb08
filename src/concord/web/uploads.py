"""Receiving an upload (a Pol.is export) safely: the sender's right to import into the space is
checked before a byte of the upload is read, the form may hold one file and a few fields, its CSRF
token is checked then (it travels inside the form: the routes that call this are declared
:func:`concord.web.context.form_upload`), and the file is read whole only within the limit the
request guards enforced on its declared length."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import UploadFile

from concord.service.conversations import exchange
from concord.service.errors import Invalid
from concord.web.context import upload_form

UPLOAD_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The export as a .zip"},
                        "topic": {"type": "string", "maxLength": 300, "description": "Instead of the export's"},
                    },
                }
            }
        },
    }
}


@dataclass(frozen=True)
class Upload:
    data: bytes
    topic: str | None


async def received_upload(request: Request, space_id: int) -> Upload:
    form = await upload_form(
        request, lambda service, who: exchange.check_import_allowed(service, who, space_id), max_files=1, max_fields=4
    )
    file, topic = form.get("file"), form.get("topic")
    if not isinstance(file, UploadFile):
        raise Invalid("attach the Pol.is export (.zip) as the form field 'file'")
    return Upload(await file.read(), str(topic) if isinstance(topic, str) and topic else None)
