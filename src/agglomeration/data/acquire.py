"""Acquire the raw data files and verify them byte for byte against ``SHA256SUMS``.

The project's raw files are never committed. ``data_raw/`` in the repository holds the
provenance statement (``README.md``), the manifest and ``SHA256SUMS``; :func:`acquire` fills it
with the files, either by copying them from a data mirror folder or by downloading them from a
base URL (``http``, ``https`` or ``file``), and :func:`verify` checks a folder before anything is
built from it, so that no builder ever runs on a missing or altered raw file.

Guarantees of :func:`acquire`:

- every file is streamed into a temporary file in the destination folder, hashed while it is
  written, checked against its expected SHA-256 and only then moved into place with
  :func:`os.replace` (atomic on POSIX). A corrupted, truncated or failed transfer never leaves a
  partial or unverified file behind: the temporary file is deleted and an error is raised;
- a file already present whose checksum matches is skipped; one present but not matching is
  acquired again and the report says which checksum it replaced. Nothing is silently kept;
- errors name the file, the source (mirror folder or URL), the expected and actual checksums
  where there are any, and what to do.

The library does not know project paths: the caller passes the destination and either the mirror
or the base URL. :func:`default_mirror` resolves the conventional mirror location for a project
root (the ``AGGLOMERATION_DATA_MIRROR`` environment variable, else ``../shared/data_raw``).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import http.client
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from agglomeration.errors import ChecksumError, DataIntegrityError, DownloadError, InputError

__all__ = [
    "MIRROR_ENV_VAR",
    "AcquireReport",
    "ChecksumError",
    "DataIntegrityError",
    "DownloadError",
    "FileRecord",
    "RawFileProblem",
    "acquire",
    "default_mirror",
    "file_sha256",
    "read_checksums",
    "verify",
]

MIRROR_ENV_VAR: str = "AGGLOMERATION_DATA_MIRROR"
"""Environment variable that overrides the default data mirror folder."""

CHECKSUMS_NAME: str = "SHA256SUMS"
"""Name of the checksum file that :func:`acquire` and :func:`verify` read by default."""

_CHUNK = 1 << 20  # 1 MiB per read/write while streaming
_TMP_SUFFIX = ".part"
_SHA256_LINE = re.compile(r"^(?P<hash>[0-9a-fA-F]{64}) [ *](?P<name>.+)$")
_URL_SCHEMES = ("http", "https", "file")

Action = Literal["copied", "downloaded", "skipped-valid"]


# ---------------------------------------------------------------------------------------------
# errors


def _checksum_error(name: str, expected: str, actual: str, source: str, fix: str) -> ChecksumError:
    problem = RawFileProblem(name=name, kind="mismatch", expected=expected, actual=actual)
    return ChecksumError(name, expected, actual, source, fix, (problem,))


def _download_error(url: str, reason: str) -> DownloadError:
    return DownloadError(
        url,
        reason,
        "Retry, check the base URL, or copy the files from a data mirror folder instead "
        f"(set {MIRROR_ENV_VAR} or pass a mirror).",
    )


# ---------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class FileRecord:
    """What :func:`acquire` did with one file.

    Attributes
    ----------
    name : str
        File name as listed in ``SHA256SUMS``.
    action : {"copied", "downloaded", "skipped-valid"}
        ``skipped-valid``: the file was already present with the right checksum.
    bytes : int
        Size of the file now in place.
    sha256 : str
        Its SHA-256 (equal to the expected one, by construction).
    source : str
        Mirror path or URL the bytes came from; the local path for ``skipped-valid``.
    replaced_sha256 : str or None
        SHA-256 of a file that was present in the destination but did not match and was replaced;
        None if there was no such file.
    """

    name: str
    action: Action
    bytes: int
    sha256: str
    source: str
    replaced_sha256: str | None = None


@dataclass(frozen=True)
class AcquireReport:
    """Result of :func:`acquire`.

    Attributes
    ----------
    dest : pathlib.Path
        Destination folder.
    source : str
        The mirror folder or the base URL used.
    files : tuple of FileRecord
        One record per file, in the order of ``SHA256SUMS`` (or of ``files``).
    removed_stale : tuple of str
        Temporary files (``.<name>.*.part``) left by an earlier run that was killed mid-transfer
        and removed by this one.
    """

    dest: Path
    source: str
    files: tuple[FileRecord, ...]
    removed_stale: tuple[str, ...] = ()

    def count(self, action: Action) -> int:
        """Return the number of files with the given action."""
        return sum(r.action == action for r in self.files)

    @property
    def replaced(self) -> tuple[str, ...]:
        """Names of files that were present but invalid and have been replaced."""
        return tuple(r.name for r in self.files if r.replaced_sha256 is not None)

    def summary(self) -> str:
        """Return a human-readable multi-line summary, one line per file."""
        lines = [f"{len(self.files)} raw files in {self.dest} (source: {self.source})"]
        for r in self.files:
            extra = (
                f" (replaced invalid file with sha256 {r.replaced_sha256})"
                if r.replaced_sha256
                else ""
            )
            lines.append(
                f"  {r.action:<13} {r.name}  {r.bytes:>10,d} bytes  sha256 {r.sha256}{extra}"
            )
        counts = ", ".join(
            f"{a}: {self.count(a)}" for a in ("copied", "downloaded", "skipped-valid")
        )
        lines.append(
            f"  {counts}; replaced invalid: {len(self.replaced)}; "
            f"stale temporary files removed: {len(self.removed_stale)}"
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class RawFileProblem:
    """One problem found by :func:`verify`.

    Attributes
    ----------
    name : str
        File name as listed in ``SHA256SUMS``.
    kind : {"missing", "mismatch"}
        The file is absent, or present with a different SHA-256.
    expected : str
        Expected SHA-256.
    actual : str or None
        Actual SHA-256 (None if missing).
    """

    name: str
    kind: Literal["missing", "mismatch"]
    expected: str
    actual: str | None

    def message(self) -> str:
        """Return a one-line description of the problem."""
        if self.kind == "missing":
            return f"{self.name}: missing (expected sha256 {self.expected})"
        return f"{self.name}: sha256 {self.actual} but expected {self.expected}"


# ---------------------------------------------------------------------------------------------
# helpers


def default_mirror(project_root: Path, environ: Mapping[str, str] | None = None) -> Path:
    """Return the data mirror folder for a project.

    Parameters
    ----------
    project_root : pathlib.Path
        The project's root folder (where ``noxfile.py`` lives).
    environ : mapping, optional
        Environment to read; default :data:`os.environ`.

    Returns
    -------
    pathlib.Path
        ``$AGGLOMERATION_DATA_MIRROR`` if set and non-empty (``~`` expanded; a relative path is
        taken relative to ``project_root``), else ``project_root/../shared/data_raw``. The folder
        is not required to exist; :func:`acquire` reports it if it does not.
    """
    env = os.environ if environ is None else environ
    value = env.get(MIRROR_ENV_VAR, "").strip()
    root = Path(project_root)
    if value:
        p = Path(value).expanduser()
        return p if p.is_absolute() else root / p
    return root.parent / "shared" / "data_raw"


def read_checksums(path: Path) -> dict[str, str]:
    """Read a ``sha256sum``-format checksum file.

    Parameters
    ----------
    path : pathlib.Path
        File with lines ``<64 hex digits><space><space or *><file name>``, as written by
        ``sha256sum`` (text or binary mode). Blank lines and lines starting with ``#`` are ignored.

    Returns
    -------
    dict
        File name -> lower-case hex SHA-256, in file order.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If a line is malformed, a name is not a plain file name, or a name is listed twice; the
        message gives the line number.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"checksum file {path} not found; it is committed in the project's data_raw/ folder "
            "(restore it from git) or pass checksums= explicitly."
        )
    out: dict[str, str] = {}
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _SHA256_LINE.match(line)
        if m is None:
            raise InputError(
                f"{path}, line {lineno}: {raw!r} is not '<64 hex sha256>  <file name>'; "
                "regenerate the file with `sha256sum <files> > SHA256SUMS`."
            )
        name = m.group("name")
        _check_name(name, f"{path}, line {lineno}")
        if name in out:
            raise InputError(
                f"{path}, line {lineno}: {name!r} is listed twice; keep one line per file."
            )
        out[name] = m.group("hash").lower()
    if not out:
        raise InputError(f"checksum file {path} lists no files; it must list every raw file.")
    return out


def file_sha256(path: Path) -> str:
    """Return the SHA-256 (lower-case hex) of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_name(name: str, where: str) -> None:
    if name in ("", ".", "..") or "/" in name or "\\" in name or name != name.strip():
        raise InputError(
            f"{where}: {name!r} is not a plain file name; "
            "raw files live directly in the data folder."
        )


def _resolve_checksums(dest: Path, checksums: Path | Mapping[str, str] | None) -> dict[str, str]:
    if checksums is None:
        return read_checksums(dest / CHECKSUMS_NAME)
    if isinstance(checksums, Mapping):
        out: dict[str, str] = {}
        for name, digest in checksums.items():
            _check_name(name, "checksums")
            if not re.fullmatch(r"[0-9a-fA-F]{64}", digest):
                raise InputError(
                    f"checksums[{name!r}] = {digest!r} is not a 64-digit hex SHA-256; "
                    "pass hexdigest() strings."
                )
            out[name] = digest.lower()
        if not out:
            raise InputError("checksums is empty; pass the expected SHA-256 of every raw file.")
        return out
    return read_checksums(Path(checksums))


def _select(expected: dict[str, str], files: Iterable[str] | None) -> dict[str, str]:
    if files is None:
        return expected
    if isinstance(files, str):
        raise InputError(f"files={files!r} is a string; pass a list of file names.")
    wanted = list(dict.fromkeys(files))
    unknown = [f for f in wanted if f not in expected]
    if unknown:
        raise InputError(
            f"files lists {len(unknown)} name(s) without a checksum: {unknown}; every raw file "
            f"must be listed in {CHECKSUMS_NAME} (known: {sorted(expected)})."
        )
    return {f: expected[f] for f in wanted}


@contextlib.contextmanager
def _temporary_file(dest: Path, name: str) -> Iterator[tuple[BinaryIO, Path]]:
    """Yield an open temporary file next to the target; delete it unless it was moved away."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=_TMP_SUFFIX, dir=dest)
    tmp_path = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f, tmp_path
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def _stream(src: BinaryIO, dst: BinaryIO) -> tuple[int, str]:
    h = hashlib.sha256()
    n = 0
    while True:
        chunk = src.read(_CHUNK)
        if not chunk:
            break
        dst.write(chunk)
        h.update(chunk)
        n += len(chunk)
    return n, h.hexdigest()


def _finalize(f: BinaryIO, tmp: Path, target: Path) -> None:
    f.flush()
    os.fsync(f.fileno())
    f.close()
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)


def _fix_for_mismatch(origin: str) -> str:
    return (
        f"The copy at the source is corrupted or a different version: re-download it from {origin} "
        "(see data_raw/README.md for the original source of each file), "
        f"or update {CHECKSUMS_NAME} only if the data were deliberately changed "
        "(and then document the change in data_raw/README.md). No file was written."
    )


def _copy_one(mirror: Path, dest: Path, name: str, expected: str) -> tuple[int, str]:
    src_path = mirror / name
    if not src_path.is_file():
        raise FileNotFoundError(
            f"raw file {name!r} is not in the data mirror folder {mirror}. Point to a complete "
            f"mirror (set the environment variable {MIRROR_ENV_VAR} or pass --mirror), or download "
            "the files from a base URL instead (base_url / --url)."
        )
    with _temporary_file(dest, name) as (f, tmp), open(src_path, "rb") as src:
        n, actual = _stream(src, f)
        if actual != expected:
            raise _checksum_error(
                name, expected, actual, str(src_path), _fix_for_mismatch(str(src_path))
            )
        _finalize(f, tmp, dest / name)
    return n, actual


def _download_one(
    url: str, dest: Path, name: str, expected: str, timeout: float
) -> tuple[int, str]:
    with _temporary_file(dest, name) as (f, tmp):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                length_header = resp.headers.get("Content-Length")
                n, actual = _stream(resp, f)
        except urllib.error.HTTPError as e:
            raise _download_error(url, f"HTTP {e.code} {e.reason}") from e
        except urllib.error.URLError as e:
            raise _download_error(url, f"cannot open URL ({e.reason})") from e
        except http.client.IncompleteRead as e:
            raise _download_error(url, f"connection closed early ({e!r})") from e
        except (OSError, http.client.HTTPException) as e:
            raise _download_error(url, f"{type(e).__name__}: {e}") from e
        if length_header is not None:
            try:
                declared = int(length_header)
            except ValueError:
                declared = -1
            if declared != n:
                raise _download_error(
                    url,
                    f"received {n:,d} bytes but the server announced "
                    f"Content-Length {length_header} (connection closed early or truncated)",
                )
        if actual != expected:
            raise _checksum_error(name, expected, actual, url, _fix_for_mismatch(url))
        _finalize(f, tmp, dest / name)
    return n, actual


def _check_base_url(base_url: str) -> str:
    scheme = urllib.parse.urlsplit(base_url).scheme.lower()
    if scheme not in _URL_SCHEMES:
        raise InputError(
            f"base_url={base_url!r} has scheme {scheme!r}; use one of {', '.join(_URL_SCHEMES)} "
            "(e.g. 'https://example.org/data_raw/' or 'file:///path/to/mirror/')."
        )
    return base_url if base_url.endswith("/") else base_url + "/"


# ---------------------------------------------------------------------------------------------
# public API


def acquire(
    dest: Path,
    mirror: Path | None = None,
    base_url: str | None = None,
    *,
    checksums: Path | Mapping[str, str] | None = None,
    files: Iterable[str] | None = None,
    timeout: float = 60,
) -> AcquireReport:
    """Copy or download the raw data files into ``dest`` and verify every byte.

    Parameters
    ----------
    dest : pathlib.Path
        Destination folder (the project's ``data_raw/``); created if it does not exist.
    mirror : pathlib.Path, optional
        Data mirror folder holding the files under their listed names. Used when ``base_url`` is
        not given; see :func:`default_mirror` for the conventional location.
    base_url : str, optional
        Base URL (``http``, ``https`` or ``file``) under which each file is ``base_url/<name>``.
        If both ``mirror`` and ``base_url`` are given, ``base_url`` is used (an explicit URL is the
        more specific request) and the report's ``source`` says so.
    checksums : pathlib.Path or mapping, optional
        Expected SHA-256 per file name: a ``sha256sum``-format file or a mapping. Default:
        ``dest / "SHA256SUMS"``.
    files : iterable of str, optional
        Acquire only these files (each must have a checksum). Default: every listed file.
    timeout : float
        Socket timeout in seconds for downloads.

    Returns
    -------
    AcquireReport
        Per file: action (copied, downloaded, skipped-valid), size, SHA-256, source, and the
        checksum of any invalid file that was replaced.

    Raises
    ------
    ValueError
        If neither ``mirror`` nor ``base_url`` is given, the URL scheme is unsupported, or the
        checksums are malformed.
    FileNotFoundError
        If the mirror folder, a file in it, or the checksum file is missing (names file, mirror
        and fix).
    ChecksumError
        If acquired bytes do not match the expected SHA-256 (names file, source, both checksums
        and fix). Subclass of ValueError.
    DownloadError
        If a download fails or is cut off (names the URL). Subclass of OSError.

    Notes
    -----
    Files are processed in order and the function stops at the first error; files acquired
    before it are complete and verified, and the failing file leaves nothing behind (its
    temporary ``.<name>.*.part`` file is removed, and a pre-existing file under its name is left
    as it was). Temporary files left by an earlier run that was killed outright are removed at
    the start and listed in ``removed_stale``. Do not run two acquisitions into the same folder
    at the same time.
    """
    dest = Path(dest)
    expected_all = _resolve_checksums(dest, checksums)
    expected = _select(expected_all, files)
    if base_url is not None:
        base = _check_base_url(base_url)
        source = base
    elif mirror is not None:
        mirror = Path(mirror)
        if not mirror.is_dir():
            raise FileNotFoundError(
                f"data mirror folder {mirror} does not exist. Set the environment variable "
                f"{MIRROR_ENV_VAR} (or pass --mirror) to the folder holding the raw files, or "
                "download them from a base URL instead (base_url / --url)."
            )
        source = str(mirror)
    else:
        raise InputError(
            "acquire needs a source: pass mirror= (a folder holding the raw files; see "
            f"default_mirror and {MIRROR_ENV_VAR}) or base_url= (http, https or file URL)."
        )
    dest.mkdir(parents=True, exist_ok=True)

    # temporary files of an earlier run that was killed mid-transfer (never valid data)
    stale = sorted(
        {p for name in expected for p in dest.glob(f".{glob.escape(name)}.*{_TMP_SUFFIX}")}
    )
    for p in stale:
        p.unlink()

    records: list[FileRecord] = []
    for name, digest in expected.items():
        target = dest / name
        replaced: str | None = None
        if target.is_file():
            present = file_sha256(target)
            if present == digest:
                records.append(
                    FileRecord(name, "skipped-valid", target.stat().st_size, present, str(target))
                )
                continue
            replaced = present
        if base_url is not None:
            url = base + urllib.parse.quote(name)
            n, actual = _download_one(url, dest, name, digest, timeout)
            records.append(FileRecord(name, "downloaded", n, actual, url, replaced))
        else:
            assert mirror is not None
            n, actual = _copy_one(mirror, dest, name, digest)
            records.append(FileRecord(name, "copied", n, actual, str(mirror / name), replaced))
    return AcquireReport(
        dest=dest,
        source=source,
        files=tuple(records),
        removed_stale=tuple(p.name for p in stale),
    )


def verify(
    dest: Path,
    checksums: Path | Mapping[str, str] | None = None,
    *,
    files: Iterable[str] | None = None,
    raise_on_problem: bool = False,
) -> list[RawFileProblem]:
    """Check that the raw files in ``dest`` are present and unaltered.

    Builders call this before reading anything, so that no output is ever written from a
    missing or altered raw file.

    Parameters
    ----------
    dest : pathlib.Path
        Folder holding the raw files.
    checksums : pathlib.Path or mapping, optional
        Expected SHA-256 per file; default ``dest / "SHA256SUMS"``.
    files : iterable of str, optional
        Check only these files (each must have a checksum). Default: every listed file.
    raise_on_problem : bool
        If True, raise :class:`DataIntegrityError` listing every problem instead of returning them.

    Returns
    -------
    list of RawFileProblem
        Empty if every file is present with the expected SHA-256.

    Raises
    ------
    DataIntegrityError
        With ``raise_on_problem=True`` and at least one problem; the message names every
        missing or altered file with both checksums and says how to fix it. If there is exactly
        one altered file and nothing missing, the error is a :class:`ChecksumError`.
    """
    dest = Path(dest)
    expected = _select(_resolve_checksums(dest, checksums), files)
    problems: list[RawFileProblem] = []
    for name, digest in expected.items():
        path = dest / name
        if not path.is_file():
            problems.append(RawFileProblem(name, "missing", digest, None))
            continue
        actual = file_sha256(path)
        if actual != digest:
            problems.append(RawFileProblem(name, "mismatch", digest, actual))
    if problems and raise_on_problem:
        fix = (
            "Run `nox -s data` to acquire the missing or altered files from the data mirror (set "
            f"{MIRROR_ENV_VAR} or pass --mirror / --url); update {CHECKSUMS_NAME} only if the data "
            "were deliberately changed. Nothing was built."
        )
        if len(problems) == 1 and problems[0].kind == "mismatch":
            p = problems[0]
            assert p.actual is not None
            raise _checksum_error(p.name, p.expected, p.actual, str(dest / p.name), fix)
        listing = "\n  ".join(p.message() for p in problems)
        raise DataIntegrityError(
            f"{len(problems)} of {len(expected)} raw files in {dest} are missing or altered:\n  "
            f"{listing}\n{fix}",
            tuple(problems),
        )
    return problems
