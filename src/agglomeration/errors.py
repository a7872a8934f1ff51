"""The package's errors: one base class, one subclass per kind of problem.

Every error the library raises on purpose is an :class:`AgglomerationError`, so that a caller (or
an analysis step) can tell an expected problem (bad input, a tampered file, a spec that does not
fit the data) from a bug. Each subclass also derives from the built-in exception a caller would
expect (``ValueError`` for bad values, ``KeyError`` for a missing column, ``OSError`` for a failed
download, ``RuntimeError`` for a failed optimisation), so ``except ValueError`` keeps working.

Messages name the column, the value and the fix, e.g.::

    ColumnMissingError: spec 'county_baseline' names column(s) ['log_densty'] that are not in
    the data; available columns: [...]

The hierarchy::

    AgglomerationError
    ├── InputError (ValueError)             bad argument values or data values
    │   ├── ColumnMissingError (KeyError)   a named column is not in the frame
    │   ├── ColumnTypeError (TypeError)     a column has the wrong dtype
    │   ├── SpecError                       an invalid specification, grid or table declaration
    │   └── EstimationError                 a spec that cannot be estimated on these data
    ├── DataIntegrityError (ValueError)     raw or built data are not what the project expects
    │   ├── ChecksumError                   a raw file's sha256 differs from SHA256SUMS
    │   ├── RawDataError                    a raw file's columns, keys or codes are wrong
    │   └── PanelSchemaError                a built panel fails its schema
    ├── DownloadError (OSError)             a raw file could not be fetched
    └── ConvergenceError (RuntimeError)     a numerical optimisation failed from every start
"""

from __future__ import annotations

__all__ = [
    "AgglomerationError",
    "ChecksumError",
    "ColumnMissingError",
    "ColumnTypeError",
    "ConvergenceError",
    "DataIntegrityError",
    "DownloadError",
    "EstimationError",
    "InputError",
    "PanelSchemaError",
    "RawDataError",
    "SpecError",
]


class AgglomerationError(Exception):
    """Base class of every error the package raises on purpose."""


class InputError(AgglomerationError, ValueError):
    """An argument or a data value is not allowed; the message names it and the fix."""


class ColumnMissingError(InputError, KeyError):
    """A column named by a spec, a measure or an argument is not in the data."""

    def __str__(self) -> str:
        # KeyError's str() quotes its argument; print the message as written.
        return str(self.args[0]) if self.args else ""


class ColumnTypeError(InputError, TypeError):
    """A column has a dtype the operation cannot use (e.g. a numeric regressor stored as text)."""


class SpecError(InputError):
    """A specification (spec, variance, grid axis, table declaration) is invalid."""


class EstimationError(InputError):
    """A valid specification cannot be estimated on these data (e.g. nothing left, collinear)."""


class DataIntegrityError(AgglomerationError, ValueError):
    """Raw or built data are not what the project expects.

    Attributes
    ----------
    problems : tuple
        Structured problems, one per file where the raiser has them (e.g. the
        ``RawFileProblem`` records of :func:`agglomeration.data.verify`); empty otherwise.
    """

    def __init__(self, message: str, problems: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class ChecksumError(DataIntegrityError):
    """A file's SHA-256 differs from the one recorded in ``SHA256SUMS``.

    Attributes
    ----------
    name : str
        The file name as listed in ``SHA256SUMS``.
    expected, actual : str
        Expected and actual SHA-256 (lower-case hex).
    source : str
        Where the bytes came from (mirror path or URL), or the local path.
    """

    def __init__(
        self,
        name: str,
        expected: str,
        actual: str,
        source: str,
        fix: str,
        problems: tuple[object, ...] = (),
    ) -> None:
        super().__init__(
            f"checksum mismatch for raw file {name!r} from {source}: expected sha256 {expected}, "
            f"got {actual}. {fix}",
            problems,
        )
        self.name = name
        self.expected = expected
        self.actual = actual
        self.source = source


class RawDataError(DataIntegrityError):
    """A raw file does not have the structure the project expects (columns, keys, values)."""


class PanelSchemaError(DataIntegrityError):
    """A built panel fails its schema (types, keys, ranges)."""


class DownloadError(AgglomerationError, OSError):
    """A download failed (HTTP error, unreachable server, connection closed early).

    Attributes
    ----------
    url : str
        The URL that failed.
    """

    def __init__(self, url: str, reason: str, fix: str = "") -> None:
        super().__init__(f"download of {url} failed: {reason}. Nothing was written for this file. {fix}".rstrip())
        self.url = url


class ConvergenceError(AgglomerationError, RuntimeError):
    """A numerical optimisation failed from every starting value."""
