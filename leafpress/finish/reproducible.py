"""Byte-identical PDFs for identical input, on any machine and in any time zone."""

from __future__ import annotations

import hashlib
import re

_RANDOM_DOCUMENT_ID = re.compile(rb"xmp\.did:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
_FILE_ID = re.compile(rb"/ID \[\(([0-9a-f]{32})\) \(([0-9a-f]{32})\)\]")


def stable_document_id(data: bytes) -> bytes:
    """Replace the random XMP DocumentID WeasyPrint gives PDF/X-4 with one derived from the content.

    The file identifier (/ID) is a hash of the file, so it inherits the
    randomness and is replaced too. Both are digests of the file with them
    blanked, written in place at the same length, so byte offsets (and the
    xref table) stay valid and the same input always gives the same bytes.
    """
    document_id = _RANDOM_DOCUMENT_ID.search(data)
    if document_id is None:
        return data
    random_parts = [document_id.group(1)]
    if file_id := _FILE_ID.search(data):
        random_parts += [file_id.group(1), file_id.group(2)]
    blanked = data
    for part in random_parts:
        blanked = blanked.replace(part, b"0" * len(part))
    digest = hashlib.sha256(blanked).hexdigest()
    stable = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}".encode("ascii")
    data = data.replace(document_id.group(1), stable)
    if file_id:
        data = data.replace(file_id.group(1), digest[32:64].encode("ascii"))
        data = data.replace(file_id.group(2), digest[32:64].encode("ascii"))
    return data
