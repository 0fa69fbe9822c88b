"""The PDF a signer is asked to sign, as page images they can read on a phone, with the
business's signature field marked. Rendered once per PDF and kept on disk under its SHA-256:
the same bytes always give the same pages, and a new revision gets a new folder."""

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from partnerships.documents.engine import preview
from partnerships.documents.engine.fields import BUSINESS_FIELD


@dataclass(frozen=True)
class PageView:
    """One page as the signer's page shows it; sizes in PDF points."""

    number: int  # 1-based
    width: float
    height: float
    sign_here: preview.FieldBox | None  # on this page only


def _folder(sha256: str) -> Path:
    if len(sha256) != 64 or not all(char in "0123456789abcdef" for char in sha256):
        raise ValueError("not a SHA-256")
    return Path(settings.SIGNING_PAGE_IMAGES_DIR) / sha256


def _write_atomically(path: Path, content: bytes) -> None:
    """Two requests rendering the same page at once both write whole files; the last wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(handle, "wb") as file:
        file.write(content)
    os.replace(temporary, path)


def pages(pdf: bytes, sha256: str) -> list[PageView]:
    """The pages of `pdf`, with the business's signature field on its page."""
    stored = _folder(sha256) / "layout.json"
    if stored.exists():
        described = json.loads(stored.read_text())
    else:
        layout = preview.layout(pdf)
        box = preview.field_box(pdf, BUSINESS_FIELD)
        described = {
            "sizes": [list(size) for size in layout.page_sizes],
            "sign_here": None if box is None else box.__dict__,
        }
        _write_atomically(stored, json.dumps(described).encode())
    box = preview.FieldBox(**described["sign_here"]) if described["sign_here"] else None
    return [
        PageView(
            number=index + 1,
            width=width,
            height=height,
            sign_here=box if box is not None and box.page == index else None,
        )
        for index, (width, height) in enumerate(described["sizes"])
    ]


def page_image(pdf: bytes, sha256: str, number: int) -> bytes:
    """Page `number` (1-based) of `pdf` as a PNG, rendered on first use."""
    stored = _folder(sha256) / f"page-{number}.png"
    if stored.exists():
        return stored.read_bytes()
    image = preview.page_png(pdf, number - 1)
    _write_atomically(stored, image)
    return image
