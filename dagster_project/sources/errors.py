"""Problems with source files: one line each, naming the file, the line and the column."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_PROBLEMS_PER_FILE = 100


class SourceValidationError(Exception):
    """Raised when a source file breaks its contract; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        files = sorted({p.split(",")[0].split(":")[0] for p in self.problems})
        super().__init__(
            f"{len(self.problems)} problem(s) in the source files ({', '.join(files)}):\n"
            + "\n".join(self.problems)
        )


# phases of one line, in the order their problems are listed
SHAPE, END_OF_FILE, VALUE, DUPLICATE = range(4)


@dataclass
class FileProblems:
    """The problems of one file, listed in file order (line, then phase, then as added)."""

    name: str
    limit: int = MAX_PROBLEMS_PER_FILE
    entries: list[tuple[int, int, int, str]] = field(default_factory=list)
    uncounted: int = 0  # problems known to exist but not added (beyond a query's LIMIT)

    def add(
        self, message: str, line: int | None = None, column: str | None = None, phase: int = VALUE
    ) -> None:
        where = [self.name]
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column}")
        self.entries.append((line or 0, phase, len(self.entries), ", ".join(where) + ": " + message))

    def __bool__(self) -> bool:
        return bool(self.entries) or self.uncounted > 0

    def all(self) -> list[str]:
        """The first ``limit`` problems in file order, and how many more there are."""
        ordered = [text for *_, text in sorted(self.entries)]
        shown = ordered[: self.limit]
        more = len(ordered) - len(shown) + self.uncounted
        if more:
            shown.append(f"{self.name}: ... and {more} more problem(s) in this file")
        return shown
