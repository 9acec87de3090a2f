"""Reading files safely: limits, file types and text encodings.

Nothing here raises for bad input. Each function returns either text or a
``LoadFailure`` that names what went wrong and where, which the caller turns
into an IAM001 finding.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

from mfalint.positions import LineIndex, Position, Span

__all__ = ["Limits", "LoadFailure", "read_bytes", "decode_bytes", "DEFAULT_LIMITS"]


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile or broken input from exhausting the machine."""

    max_file_size: int = 16 * 1024 * 1024  # bytes
    max_depth: int = 100  # nesting levels of mappings and sequences
    max_nodes: int = 500_000  # nodes after YAML alias expansion


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class LoadFailure(Exception):
    """A file that cannot be read or parsed, with the place of the fault."""

    message: str
    span: Span = Span.point(1, 1)


def read_bytes(path: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Read a regular file, rejecting directories, FIFOs, devices and oversized files.

    Raises LoadFailure with a message that states what to do.
    """
    try:
        info = os.stat(path)
    except OSError as error:
        raise LoadFailure(_describe_os_error(error)) from None
    if stat.S_ISDIR(info.st_mode):
        raise LoadFailure("is a directory, not a policy file; pass the files inside it, or the directory without a file suffix")
    if not stat.S_ISREG(info.st_mode):
        raise LoadFailure("is not a regular file (a FIFO, socket or device); only regular files are read")
    if info.st_size > limits.max_file_size:
        raise LoadFailure(
            f"file is {info.st_size:,} bytes, over the limit of {limits.max_file_size:,} bytes; "
            "raise max-file-size in the configuration to read it"
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.max_file_size + 1)
    except OSError as error:
        raise LoadFailure(_describe_os_error(error)) from None
    if len(data) > limits.max_file_size:
        raise LoadFailure(f"file is over the limit of {limits.max_file_size:,} bytes; raise max-file-size to read it")
    return data


def _describe_os_error(error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "cannot be read: too many levels of symbolic links (a symbolic link loop)"
    if error.errno == errno.ENOENT:
        return "cannot be read: no such file (a broken symbolic link?)"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read: permission denied"
    reason = error.strerror or str(error)
    return f"cannot be read: {reason[:1].lower()}{reason[1:]}"


_UTF16_32_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def decode_bytes(data: bytes) -> str:
    """Decode UTF-8 text, dropping a UTF-8 byte order mark.

    Raises LoadFailure for UTF-16 or UTF-32 text, binary data and invalid
    UTF-8, at the position of the first bad byte.
    """
    for bom, name in _UTF16_32_BOMS:
        if data.startswith(bom):
            raise LoadFailure(f"file is {name} encoded; IAM policy files must be UTF-8, so convert it to UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")
    if nul != -1:
        prefix = data[:nul].decode("utf-8", errors="replace")
        position = LineIndex(prefix).position_of_offset(len(prefix))
        raise LoadFailure(
            "file contains NUL bytes, so it is binary data or text in an encoding other than UTF-8",
            Span(position, position),
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        prefix = data[: error.start].decode("utf-8", errors="replace")
        position = LineIndex(prefix).position_of_offset(len(prefix))
        bad = data[error.start : error.start + 1].hex()
        raise LoadFailure(
            f"invalid UTF-8: byte 0x{bad} cannot be decoded; save the file as UTF-8",
            Span(position, Position(position.line, position.column + 1)),
        ) from None
    return text
