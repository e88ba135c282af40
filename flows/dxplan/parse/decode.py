"""Detect the encoding of an input file and decode it (UTF-8 with/without BOM, CP932)."""

from __future__ import annotations

from dxplan.models import ParseError

_BOM = b"\xef\xbb\xbf"
#: every byte except the control characters counted by looks_binary (TAB LF FF CR allowed)
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 32 and b not in (9, 10, 12, 13)))


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters: not a text file."""
    head = data[:65536]
    if b"\x00" in head:
        return True
    ctrl = len(head.translate(None, _NOT_CONTROL))  # the control bytes only (C speed)
    return ctrl > max(8, len(head) // 100)


def decode(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``; encoding is ``utf-8-sig``, ``utf-8`` or ``cp932``."""
    if not data or not data.strip():
        raise ParseError("the file is empty")
    if data.startswith(_BOM):
        try:
            return data[len(_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as e:
            if e.start >= len(data) - 3 - len(_BOM) and "end of data" in e.reason:
                raise ParseError(
                    "the file is truncated: it ends in the middle of a UTF-8 character"
                ) from e
            raise ParseError(
                f"the file starts with a UTF-8 BOM but is not valid UTF-8 ({e})"
            ) from e
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ParseError("the file is UTF-16; save it as UTF-8 or Shift_JIS (CP932)")
    if looks_binary(data):
        raise ParseError("the file is binary, not a text report (found NUL or control bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        if e.start >= len(data) - 3 and "end of data" in e.reason:
            raise ParseError(
                "the file is truncated: it ends in the middle of a UTF-8 character"
            ) from e
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError as e:
        raise ParseError(
            "the file is neither UTF-8 nor Shift_JIS/CP932 text "
            f"(undecodable byte at offset {e.start})"
        ) from e
    return text, "cp932"
