"""Exceptions of our own: raised deep, turned into a message and exit status 2 at the CLI edge."""

from __future__ import annotations


class LoopscapeError(Exception):
    """Base class of every error loopscape raises on purpose."""


class SpecError(LoopscapeError):
    """A specification is invalid: names the file, the path inside it, what was found and what was expected."""

    def __init__(self, path: str, found: object, expected: str, file: str | None = None) -> None:
        self.file = file
        self.path = path
        self.found = found
        self.expected = expected
        super().__init__(self.message())

    def message(self) -> str:
        where = f"{self.file}: " if self.file else ""
        found = self.found if isinstance(self.found, str) else repr(self.found)
        return f"{where}{self.path}: found {found}, expected {self.expected}"

    def in_file(self, file: str) -> SpecError:
        """The same error, attributed to `file` (readers add it once they know where a spec came from)."""
        return SpecError(self.path, self.found, self.expected, file=self.file or file)

    def under(self, prefix: str) -> SpecError:
        """The same error with its path nested under `prefix` (e.g. 'architecture')."""
        path = (
            f"{prefix}.{self.path}" if self.path and not self.path.startswith("[") else f"{prefix}{self.path}"
        )
        return SpecError(path, self.found, self.expected, file=self.file)


class MappingError(SpecError):
    """A mapping does not fit its workload or architecture (factors, fan-out, capacity, cuts)."""


def is_interrupt(exc: BaseException) -> bool:
    """Whether `exc` is Ctrl-C: a KeyboardInterrupt, or an error it caused (numba's dispatcher turns one that
    lands while it loads a compiled kernel into a SystemError)."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return True
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return False
