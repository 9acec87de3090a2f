"""Positions and spans in source text.

People and the command line see 1-based lines and 1-based columns counted in
Unicode code points. The language server needs 0-based lines and columns in
UTF-16 code units (or UTF-8 bytes, if the client asks for them). Every
conversion between those forms lives in this module.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

__all__ = ["Position", "Span", "LineIndex", "line_starts"]


@dataclass(frozen=True, order=True, slots=True)
class Position:
    """A place in a text: 1-based line, 1-based column in code points."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Span:
    """A range of text from ``start`` up to, but not including, ``end``."""

    start: Position
    end: Position

    @classmethod
    def point(cls, line: int, column: int) -> Span:
        position = Position(line, column)
        return cls(position, position)


def line_starts(text: str) -> list[int]:
    """Return the code-point offset where each line of ``text`` starts; the first is 0."""
    starts = [0]
    index = text.find("\n")
    while index != -1:
        starts.append(index + 1)
        index = text.find("\n", index + 1)
    return starts


class LineIndex:
    """Line starts of one text, for converting offsets and encodings."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts = line_starts(text)
        self._ascii = text.isascii()
        self._byte_starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        """The code-point offset where each line starts; do not modify it."""
        return self._starts

    def line_text(self, line: int) -> str:
        """Return line ``line`` (1-based) without its line ending."""
        if line < 1 or line > len(self._starts):
            return ""
        start = self._starts[line - 1]
        end = self._starts[line] - 1 if line < len(self._starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    def position_of_offset(self, offset: int) -> Position:
        """Convert a code-point offset into the text to a Position."""
        offset = max(0, min(offset, len(self.text)))
        row = bisect_right(self._starts, offset) - 1
        return Position(row + 1, offset - self._starts[row] + 1)

    def position_of_point(self, row: int, byte_column: int) -> Position:
        """Convert a 0-based row and a UTF-8 byte column (tree-sitter) to a Position."""
        if self._ascii:
            return Position(row + 1, byte_column + 1)
        line = self.line_text(row + 1)
        prefix = line.encode("utf-8")[:byte_column].decode("utf-8", errors="ignore")
        return Position(row + 1, len(prefix) + 1)

    def to_lsp(self, position: Position, encoding: str = "utf-16") -> tuple[int, int]:
        """Convert a Position to a 0-based (line, character) pair for LSP.

        ``encoding`` is the position encoding the client negotiated:
        ``utf-16`` (the LSP default), ``utf-8`` or ``utf-32``.
        """
        prefix = self.line_text(position.line)[: position.column - 1]
        if encoding == "utf-32":
            width = len(prefix)
        elif encoding == "utf-8":
            width = len(prefix.encode("utf-8"))
        else:
            width = len(prefix.encode("utf-16-le")) // 2
        return position.line - 1, width

    def from_lsp(self, line: int, character: int, encoding: str = "utf-16") -> Position:
        """Convert a 0-based LSP (line, character) pair back to a Position."""
        text = self.line_text(line + 1)
        if encoding == "utf-32":
            return Position(line + 1, min(character, len(text)) + 1)
        codec = "utf-8" if encoding == "utf-8" else "utf-16-le"
        unit = 1 if encoding == "utf-8" else 2
        encoded = text.encode(codec)[: character * unit]
        return Position(line + 1, len(encoded.decode(codec, errors="ignore")) + 1)
