"""A tiny reader for gettext .po files: enough to check our own catalogue, no dependency."""

import re
from dataclasses import dataclass, field
from pathlib import Path

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"\s*$')
_CONTINUATION = re.compile(r'^"(.*)"\s*$')


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    is_obsolete: bool = False

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def is_translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())

    @property
    def key(self) -> str:
        """The key a compiled .mo uses: context EOT msgid (plural entries: the singular)."""
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


def parse_po(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        entry = Entry()
        current: str | None = None
        for raw in block.splitlines():
            line = raw.strip()
            if line.startswith("#~"):
                entry.is_obsolete = True
                line = line[2:].strip()
            elif line.startswith("#,"):
                entry.flags.update(f.strip() for f in line[2:].split(","))
                continue
            elif line.startswith("#:"):
                entry.references.extend(line[2:].split())
                continue
            elif line.startswith("#") or not line:
                continue
            if match := _KEYWORD.match(line):
                current, text = match.group(1), _unescape(match.group(2))
            elif (match := _CONTINUATION.match(line)) and current:
                text = _unescape(match.group(1))
            else:
                raise ValueError(f"{path}: cannot read line {raw!r}")
            if current == "msgid":
                entry.msgid += text
            elif current == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + text
            elif current == "msgctxt":
                entry.msgctxt = (entry.msgctxt or "") + text
            else:
                index = int(current[7:-1]) if current.startswith("msgstr[") else 0
                entry.msgstr[index] = entry.msgstr.get(index, "") + text
        if current is not None:
            entries.append(entry)
    return entries
