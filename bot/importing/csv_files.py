"""CSV text: which encoding, which delimiter, and its records, refusing broken quoting.

Excel saves "CSV UTF-8" with a byte-order mark and plain "CSV" in the system code page:
GBK (a subset of GB18030) on Chinese Windows, Windows-1252 on Western European Windows,
and "Unicode text" as UTF-16. Bytes that are not UTF-8 usually decode both as GB18030
and as Windows-1252, so the choice is made by which reading looks like real text.
"""

from __future__ import annotations

import csv
import io

from bot.importing.errors import UnreadableFile
from scoring import Problem

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "a comma", ";": "a semicolon", "\t": "a tab", "|": "a '|'"}
_SCORED_CHARACTERS = 64 * 1024  # read to tell GB18030 from Windows-1252
# What csv.Sniffer reads: enough rows to compare, and little enough that its regular
# expressions (quadratic on some broken quoting) stay fast.
_SNIFFED_LINES = 20
_SNIFFED_CHARACTERS = 16 * 1024


def decode(source: str, data: bytes) -> str:
    """The file's text; UnreadableFile naming the file when no known encoding fits."""
    if data.startswith(UTF16_BOMS):
        return _utf16(source, data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    chinese, western = _attempt(data, "gb18030"), _attempt(data, "cp1252")
    if chinese is not None and western is not None:
        sample = slice(0, _SCORED_CHARACTERS)  # the start tells, and big files stay quick
        plausibly_chinese = _chinese_share(chinese[sample]) >= _latin_share(western[sample])
        return chinese if plausibly_chinese else western
    if chinese is not None:
        return chinese
    if western is not None:
        return western
    message = (
        "not UTF-8, GB18030 or Windows-1252 text; cannot decode it: "
        "save it from Excel as 'CSV UTF-8'"
    )
    raise UnreadableFile(source, [Problem("encoding", message)])


def _utf16(source: str, data: bytes) -> str:
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError as error:
        message = (
            f"cannot decode UTF-16 text at byte {error.start} ({error.reason}); "
            "the file may be cut short: save it again, as 'CSV UTF-8' if you can"
        )
        raise UnreadableFile(source, [Problem("encoding", message)]) from None


def _attempt(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _chinese_share(text: str) -> float:
    """How many non-ASCII characters are common Chinese ones (in GB2312).

    Windows-1252 text read as GB18030 pairs an accented letter with the ASCII letter
    after it (``é`` + ``e`` is 閑): characters outside GB2312, whose bytes are all >= 0xA1.
    """
    wide = [character for character in text if not character.isascii()]
    return sum(_in_gb2312(character) for character in wide) / len(wide) if wide else 0.0


def _in_gb2312(character: str) -> bool:
    try:
        character.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _latin_share(text: str) -> float:
    """How many non-ASCII characters touch an ASCII letter, as accents in words do.

    Chinese read as Windows-1252 becomes runs of symbols and accented letters with no
    ASCII letter among them (华信 is ``»ªÐÅ``); Western names mix both (``Renée``).
    """
    wide = [index for index, character in enumerate(text) if not character.isascii()]
    touching = sum(
        _ascii_letter(text, index - 1) or _ascii_letter(text, index + 1) for index in wide
    )
    return touching / len(wide) if wide else 0.0


def _ascii_letter(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isascii() and text[index].isalpha()


def delimiter(text: str) -> str:
    """The delimiter of ``text``: what csv.Sniffer finds, if it splits the header.

    Counting characters in the first line goes wrong when the header quotes a comma
    (``ID;"Name, legal"``); the sniffer reads quotes and the rows below. When it finds
    nothing (a single column) or something the header does not use, the delimiter
    splitting the header into the most columns wins, a comma on a tie.
    """
    lines = text[:_SNIFFED_CHARACTERS].splitlines(keepends=True)[:_SNIFFED_LINES]
    sample = "".join(lines)
    header = next((line for line in lines if line.strip()), "")
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if sniffed is not None and _columns(header, sniffed) > 1:
        return sniffed
    return max(DELIMITERS, key=lambda candidate: _columns(header, candidate))


def _columns(line: str, candidate: str) -> int:
    return len(next(csv.reader([line], delimiter=candidate), []))


def records(source: str, text: str, separator: str) -> list[list[str]]:
    """Every record; a quote opened and never closed is an error at the row it opens.

    Strict parsing is what notices the open quote at the end of the file. It also refuses
    text after a closing quote (``"Apex" Inc``), which Excel reads as ``Apex Inc``, so
    such files are read again leniently, as Excel would.
    """
    try:
        return _parse(source, text, separator, strict=True)
    except csv.Error:
        return _parse(source, text, separator, strict=False)


def _parse(source: str, text: str, separator: str, *, strict: bool) -> list[list[str]]:
    found: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=strict)
    try:
        for record in reader:
            found.append(record)
    except csv.Error as error:
        problem = _quoting_problem(str(error))
        if problem is None:
            raise
        # Rows are records, as a spreadsheet numbers them: the broken one is the next.
        raise UnreadableFile(source, [Problem(f"row {len(found) + 1}", problem)]) from None
    return found


def _quoting_problem(error: str) -> str | None:
    if "field larger than field limit" in error:
        # The limit (131,072 characters) is kept: a cell that long is almost always a
        # quote left open, which has swallowed the rows after it.
        return (
            f'a cell longer than {csv.field_size_limit():,} characters: is a quote (") opened '
            "and never closed?"
        )
    if "unexpected end of data" in error:
        return 'a quote (") is opened and never closed: the rest of the file is in this cell'
    return None
