"""How many of the documents' quantitative statements the policy facts capture.

    .venv/bin/python -m tools.policy_coverage [--documents DIR] [--sources DIR] [--missing]

The rule (README "Policy facts", coverage): a *quantitative statement* is a number written in the
text of a document — a run of digits (``5.084``, ``3,4%``, ``2018-2020`` counts twice, ``’70``) or
a Dutch number word (``twee`` … ``twintig``, ``dertig`` … ``vijftig``, ``honderd``, ``duizend``,
``helft``, ``een derde`` / ``twee derde`` (not the ordinal ``derde``), ``kwart``, ``vijfde``,
``tiental``, ``honderdtal``). Not counted: page numbers (a line holding only digits), footnote
lines (a number and a link) and footnote marks glued to a word (``sociaaldemocratie.3``), section,
box, table and figure numbers (``5.2.1 Maatregelen`` or ``1 Inleiding`` at the start of a line,
``kader 2.2``, ``tabel 1``, ``Figuur 1``, ``§5.2``), list numbers (``1.`` at the start of a line),
links, literature references (``(Peters, 2014)``, ``Devroe en Ponsaers (2017)``) and page
references (``2017: 9``, ``p.4``). A statement is *covered* when its position in the document
(whitespace-normalised, as the quotes are verified) lies inside the quote of a fact of that
document.

The count is mechanical: a number inside a quoted phrase is covered even if the fact records
another number of that phrase, and a number outside every quote is uncovered even if a fact
records it with a shorter quote elsewhere — ``--missing`` lists the uncovered ones to review.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent

NUMBER_WORDS = (
    "twee drie vier vijf zes zeven acht negen tien elf twaalf dertien veertien vijftien zestien "
    "zeventien achttien negentien twintig dertig veertig vijftig honderd duizend helft kwart "
    "vijfde tiental honderdtal"
).split()
DIGITS = re.compile(r"(?<![\w])[’']?\d+(?:[.,]\d+)*(?<![.,])")
WORDS = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r"|(?<=een )derde|(?<=twee )derde)\b", re.IGNORECASE)
# a footnote mark glued to the end of a word or sentence: "in 2018.1 Met", "sociaaldemocratie.3"
FOOTNOTE_MARK = re.compile(r"(?<=[a-z\.’'”)])(\d{1,2})(?=\s|$)|(?<=\d{4}\.)\d(?=\s)")
PAGE_REFERENCE = re.compile(r"\bp\.\s?\d+|(19|20)\d\d[a-z]?:\s?\d+(-\d+)?")
LINK = re.compile(r"(https?://|www\.)\S+")
REFERENCE_WORD = re.compile(r"(?i)(hoofdstuk|paragraaf|kader|tabel|table|figuur|bijlage|§)\s*$")
LITERATURE = re.compile(
    r"\([^()]*?[A-Z][a-zé]+[^()]*?,?\s(19|20)\d\d[a-z]?(;[^()]*)?\)"  # (Peters, 2014)
    r"|[A-Z][a-z]+\s\((19|20)\d\d\)"  # Ponsaers (2017)
)
HEADING = re.compile(r"^\s*(\d+(\.\d+)+\s+\S|\d{1,2}\s+[A-Z])")
LIST_NUMBER = re.compile(r"^\s*\d+\.\s")
FOOTNOTE = re.compile(r"^\s*\d+\s+(https?://|www\.)")
PAGE = re.compile(r"^\s*\d+\s*$")


@dataclass(frozen=True)
class Statement:
    document: str
    line: int
    text: str
    start: int  # in the normalised text
    end: int

    @property
    def is_word(self) -> bool:
        return not any(c.isdigit() for c in self.text)


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """The text with every whitespace run as one space (as the quote check does), and for every
    character of the original its position in the normalised text."""
    out: list[str] = []
    mapping = []
    in_space = False
    for char in text.replace("\u00a0", " "):
        if char.isspace():
            if not in_space and out:
                out.append(" ")
            in_space = True
            mapping.append(len(out) - 1 if out else 0)
            continue
        in_space = False
        mapping.append(len(out))
        out.append(char)
    return "".join(out), mapping


def statements(name: str, text: str) -> Iterator[Statement]:
    _, mapping = normalise_with_map(text)
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        skip: list[tuple[int, int]] = [(m.start(), m.end()) for m in LINK.finditer(line)]
        skip += [(m.start(), m.end()) for m in LITERATURE.finditer(line)]
        skip += [(m.start(), m.end()) for m in PAGE_REFERENCE.finditer(line)]
        skip += [(m.start(), m.end()) for m in FOOTNOTE_MARK.finditer(line)]
        if PAGE.match(line) or FOOTNOTE.match(line):
            skip.append((0, len(line)))
        for pattern in (HEADING, LIST_NUMBER):
            found = pattern.match(line)
            if found:
                skip.append((0, found.end() - 1))
        for match in [*DIGITS.finditer(line), *WORDS.finditer(line)]:
            if any(a <= match.start() < b for a, b in skip):
                continue
            if REFERENCE_WORD.search(line[: match.start()]):
                continue
            start, end = offset + match.start(), offset + match.end()
            yield Statement(name, number, match.group(0), mapping[start], mapping[end - 1] + 1)
        offset += len(line)


def quote_spans(normalised: str, quotes: list[str]) -> list[tuple[int, int]]:
    spans = []
    for quote in quotes:
        quote = re.sub(r"\s+", " ", quote.replace("\u00a0", " ")).strip()
        start = normalised.find(quote)
        while start >= 0:
            spans.append((start, start + len(quote)))
            start = normalised.find(quote, start + 1)
    return spans


def coverage(documents: Path, sources: Path) -> dict[str, tuple[int, list[Statement], list[Statement]]]:
    """Per document: (facts, statements, uncovered statements)."""
    quotes: dict[str, list[str]] = {}
    for path in sorted((sources / "policy").glob("*.yaml")):
        for fact in yaml.safe_load(path.read_text(encoding="utf-8"))["facts"]:
            quotes.setdefault(fact["source_document"], []).append(fact["source_quote"])
    result = {}
    for name in sorted(quotes):
        text = (documents / name).read_text(encoding="utf-8").removeprefix("\ufeff")
        normalised, _ = normalise_with_map(text)
        spans = quote_spans(normalised, quotes[name])
        found = list(statements(name, text))
        uncovered = [s for s in found if not any(a <= s.start and s.end <= b for a, b in spans)]
        result[name] = (len(quotes[name]), found, uncovered)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.policy_coverage")
    parser.add_argument("--documents", default=str(REPO.parent / "shared" / "seeds"))
    parser.add_argument("--sources", default=str(REPO / "sources"))
    parser.add_argument("--missing", action="store_true", help="list the uncovered statements")
    args = parser.parse_args(argv)
    result = coverage(Path(args.documents), Path(args.sources))
    print("document                    facts  statements  covered  share   (digits only: covered / all)")
    for name, (facts, found, uncovered) in result.items():
        total, covered = len(found), len(found) - len(uncovered)
        digits = [s for s in found if not s.is_word]
        digits_covered = len(digits) - len([s for s in uncovered if not s.is_word])
        print(
            f"{name:<27} {facts:>5}  {total:>10}  {covered:>7}  {covered / total:6.1%}"
            f"   ({digits_covered} / {len(digits)} = {digits_covered / len(digits):.1%})"
        )
        if args.missing:
            for s in uncovered:
                print(f"    line {s.line:>5}: {s.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
