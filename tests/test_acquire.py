"""Tests for agglomeration.data.acquire: copy, download, verification, atomicity.

Checksums are checked against independent references: the published NIST/FIPS 180-2 SHA-256
test vectors, hashlib over the whole byte string, and (for the real data) the committed
data_raw/SHA256SUMS which was produced with coreutils `sha256sum`.
"""

from __future__ import annotations

import filecmp
import hashlib
import re
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from agglomeration.data.acquire import (
    MIRROR_ENV_VAR,
    ChecksumError,
    DataIntegrityError,
    DownloadError,
    acquire,
    default_mirror,
    file_sha256,
    read_checksums,
    verify,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
REPO_SUMS = REPO_ROOT / "data_raw" / "SHA256SUMS"

# FIPS 180-2 / NIST CSRC example vectors (independent of hashlib)
SHA_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
SHA_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
SHA_448BIT = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
MSG_448BIT = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
SHA_MILLION_A = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"


def _bytes(n: int, seed: int) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size=n, dtype=np.uint8).tobytes()


# three synthetic raw files; "big.bin" spans several 1 MiB streaming chunks (3 MiB + 17 bytes)
FILES: dict[str, bytes] = {
    "abc.csv": b"abc",
    "empty.csv": b"",
    "big.bin": _bytes(3 * (1 << 20) + 17, seed=20261122),
}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_sums(path: Path, files: dict[str, bytes]) -> Path:
    path.write_text("".join(f"{_sha(b)}  {n}\n" for n, b in files.items()))
    return path


def _leftovers(dest: Path) -> list[str]:
    """Temporary or hidden files acquire might have left behind."""
    return sorted(p.name for p in dest.iterdir() if p.name.startswith(".") or ".part" in p.name)


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    m = tmp_path / "mirror"
    m.mkdir()
    for name, data in FILES.items():
        (m / name).write_bytes(data)
    return m


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    d = tmp_path / "data_raw"
    d.mkdir()
    _write_sums(d / "SHA256SUMS", FILES)
    return d


# ---------------------------------------------------------------------------------------------
# checksum parsing and hashing


def test_file_sha256_matches_published_vectors(tmp_path: Path) -> None:
    cases = {
        "abc": (b"abc", SHA_ABC),
        "empty": (b"", SHA_EMPTY),
        "448": (MSG_448BIT, SHA_448BIT),
        "million": (b"a" * 1_000_000, SHA_MILLION_A),
    }
    for name, (data, digest) in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        assert file_sha256(p) == digest
    # across several 1 MiB chunks: equal to hashlib over the whole byte string
    p = tmp_path / "big"
    p.write_bytes(FILES["big.bin"])
    assert file_sha256(p) == _sha(FILES["big.bin"])


def test_read_checksums_formats_and_errors(tmp_path: Path) -> None:
    p = tmp_path / "SHA256SUMS"
    # text mode (two spaces), binary mode (" *"), upper-case hex, comments and blank lines
    p.write_text(
        f"# comment\n\n{SHA_ABC}  abc.csv\n{SHA_EMPTY} *empty.csv\n{SHA_448BIT.upper()}  x y.txt\n"
    )
    assert read_checksums(p) == {"abc.csv": SHA_ABC, "empty.csv": SHA_EMPTY, "x y.txt": SHA_448BIT}

    p.write_text(f"{SHA_ABC}  abc.csv\n{SHA_ABC[:-1]}  short.csv\n")
    with pytest.raises(ValueError, match=r"line 2: .*short\.csv"):
        read_checksums(p)
    p.write_text(f"{SHA_ABC}  abc.csv\n{SHA_EMPTY}  abc.csv\n")
    with pytest.raises(ValueError, match=r"line 2: 'abc\.csv' is listed twice"):
        read_checksums(p)
    p.write_text(f"{SHA_ABC}  ../etc/passwd\n")
    with pytest.raises(ValueError, match="not a plain file name"):
        read_checksums(p)
    p.write_text("# nothing\n")
    with pytest.raises(ValueError, match="lists no files"):
        read_checksums(p)
    with pytest.raises(FileNotFoundError, match="restore it from git"):
        read_checksums(tmp_path / "absent")


def test_repo_checksums_match_mirror_checksums(raw_dir: Path) -> None:
    """The committed SHA256SUMS lists the 18 raw files, one line each, in sha256sum format."""
    sums = read_checksums(REPO_SUMS)
    assert len(sums) == 18
    assert all(name.endswith(".csv") for name in sums)
    if (raw_dir / "SHA256SUMS").is_file():
        assert sums == read_checksums(raw_dir / "SHA256SUMS")


# ---------------------------------------------------------------------------------------------
# copy from a mirror folder


def test_copy_from_mirror_then_skip(mirror: Path, dest: Path) -> None:
    rep = acquire(dest, mirror=mirror)
    assert [r.name for r in rep.files] == list(FILES)
    assert [r.action for r in rep.files] == ["copied"] * 3
    for r in rep.files:
        data = FILES[r.name]
        assert (dest / r.name).read_bytes() == data
        assert r.bytes == len(data)
        assert r.sha256 == _sha(data)
        assert r.replaced_sha256 is None
    assert rep.files[0].sha256 == SHA_ABC
    assert rep.source == str(mirror)
    assert _leftovers(dest) == []
    assert (dest / "big.bin").stat().st_mode & 0o777 == 0o644

    # second run: nothing copied. Prove it by corrupting the mirror: a copy would now fail.
    (mirror / "big.bin").write_bytes(b"changed")
    rep2 = acquire(dest, mirror=mirror)
    assert [r.action for r in rep2.files] == ["skipped-valid"] * 3
    assert rep2.count("skipped-valid") == 3 and rep2.count("copied") == 0
    assert (dest / "big.bin").read_bytes() == FILES["big.bin"]


def test_mirror_missing_file_names_file_mirror_and_fix(mirror: Path, dest: Path) -> None:
    (mirror / "empty.csv").unlink()
    with pytest.raises(FileNotFoundError) as ei:
        acquire(dest, mirror=mirror)
    msg = str(ei.value)
    assert "'empty.csv'" in msg and str(mirror) in msg and MIRROR_ENV_VAR in msg
    # files are processed in SHA256SUMS order: abc.csv (before) was completed, nothing after
    assert sorted(p.name for p in dest.iterdir()) == ["SHA256SUMS", "abc.csv"]


def test_mirror_corrupted_file_raises_and_leaves_nothing(mirror: Path, dest: Path) -> None:
    bad = bytearray(FILES["big.bin"])
    bad[2_000_000] ^= 0xFF  # flip one byte in the third chunk
    (mirror / "big.bin").write_bytes(bytes(bad))
    with pytest.raises(ChecksumError) as ei:
        acquire(dest, mirror=mirror)
    e = ei.value
    assert isinstance(e, ValueError)
    assert e.name == "big.bin"
    assert e.expected == _sha(FILES["big.bin"])
    assert e.actual == _sha(bytes(bad))
    assert e.expected in str(e) and e.actual in str(e) and "SHA256SUMS" in str(e)
    assert not (dest / "big.bin").exists()
    assert _leftovers(dest) == []


def test_missing_mirror_folder(tmp_path: Path, dest: Path) -> None:
    with pytest.raises(FileNotFoundError, match=rf"does not exist.*{MIRROR_ENV_VAR}"):
        acquire(dest, mirror=tmp_path / "nowhere")


def test_preexisting_corrupted_file_is_replaced(mirror: Path, dest: Path) -> None:
    (dest / "abc.csv").write_bytes(b"abd")
    (dest / "big.bin").write_bytes(FILES["big.bin"])  # already valid
    rep = acquire(dest, mirror=mirror)
    by = {r.name: r for r in rep.files}
    assert by["abc.csv"].action == "copied"
    assert by["abc.csv"].replaced_sha256 == _sha(b"abd")
    assert by["big.bin"].action == "skipped-valid"
    assert rep.replaced == ("abc.csv",)
    assert (dest / "abc.csv").read_bytes() == b"abc"
    assert "replaced invalid" in rep.summary()


def test_files_subset_and_argument_errors(mirror: Path, dest: Path) -> None:
    rep = acquire(dest, mirror=mirror, files=["abc.csv"])
    assert [r.name for r in rep.files] == ["abc.csv"]
    assert not (dest / "big.bin").exists()
    with pytest.raises(ValueError, match=r"without a checksum: \['nope.csv'\]"):
        acquire(dest, mirror=mirror, files=["nope.csv"])
    with pytest.raises(ValueError, match="is a string"):
        acquire(dest, mirror=mirror, files="abc.csv")
    with pytest.raises(ValueError, match="needs a source"):
        acquire(dest)
    with pytest.raises(ValueError, match="scheme 'ftp'"):
        acquire(dest, base_url="ftp://example.org/data/")
    with pytest.raises(ValueError, match="not a 64-digit hex"):
        acquire(dest, mirror=mirror, checksums={"abc.csv": "xyz"})


def test_checksums_mapping_and_explicit_path(mirror: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"  # dest created on the fly, no SHA256SUMS inside it
    rep = acquire(out, mirror=mirror, checksums={"abc.csv": SHA_ABC})
    assert rep.files[0].action == "copied"
    with pytest.raises(ChecksumError):
        acquire(tmp_path / "out2", mirror=mirror, checksums={"abc.csv": SHA_EMPTY})
    sums = _write_sums(tmp_path / "sums.txt", {"empty.csv": b""})
    rep = acquire(tmp_path / "out3", mirror=mirror, checksums=sums)
    assert [(r.name, r.sha256) for r in rep.files] == [("empty.csv", SHA_EMPTY)]


def test_file_url(mirror: Path, dest: Path) -> None:
    base = mirror.as_uri()  # no trailing slash: acquire adds it
    rep = acquire(dest, base_url=base)
    assert [r.action for r in rep.files] == ["downloaded"] * 3
    assert rep.files[0].source == base + "/abc.csv"
    assert all((dest / n).read_bytes() == b for n, b in FILES.items())
    (mirror / "abc.csv").unlink()
    (dest / "abc.csv").unlink()
    with pytest.raises(DownloadError, match="abc.csv"):
        acquire(dest, base_url=base)
    assert _leftovers(dest) == []


def test_default_mirror(tmp_path: Path) -> None:
    root = tmp_path / "main"
    assert default_mirror(root, environ={}) == tmp_path / "shared" / "data_raw"
    assert default_mirror(root, environ={MIRROR_ENV_VAR: "  "}) == tmp_path / "shared" / "data_raw"
    assert default_mirror(root, environ={MIRROR_ENV_VAR: "/srv/m"}) == Path("/srv/m")
    assert default_mirror(root, environ={MIRROR_ENV_VAR: "rel/m"}) == root / "rel" / "m"


# ---------------------------------------------------------------------------------------------
# verify


def test_verify(mirror: Path, dest: Path) -> None:
    acquire(dest, mirror=mirror)
    assert verify(dest) == []
    (dest / "abc.csv").write_bytes(b"abd")
    with pytest.raises(ChecksumError) as ei:
        verify(dest, raise_on_problem=True)
    assert ei.value.expected == SHA_ABC and ei.value.actual == _sha(b"abd")
    assert "nox -s data" in str(ei.value)
    (dest / "empty.csv").unlink()
    problems = verify(dest)
    assert [(p.name, p.kind, p.actual) for p in problems] == [
        ("abc.csv", "mismatch", _sha(b"abd")),
        ("empty.csv", "missing", None),
    ]
    with pytest.raises(DataIntegrityError) as ei2:
        verify(dest, raise_on_problem=True)
    msg = str(ei2.value)
    assert "2 of 3 raw files" in msg and "abc.csv" in msg and "empty.csv: missing" in msg
    assert len(ei2.value.problems) == 2
    assert verify(dest, files=["big.bin"]) == []


# ---------------------------------------------------------------------------------------------
# download over HTTP from a local server on 127.0.0.1


@dataclass
class MirrorServer:
    root: Path
    base_url: str = ""
    requests: list[str] = field(default_factory=list)
    truncate: set[str] = field(default_factory=set)

    def count(self, name: str) -> int:
        return self.requests.count(name)


def _handler(state: MirrorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            name = urllib.parse.unquote(self.path.lstrip("/"))
            state.requests.append(name)
            path = state.root / name
            if "/" in name or not path.is_file():
                self.send_error(404, "Not Found")
                return
            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if name in state.truncate:
                # announce N bytes, send N/2, then close the connection
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def server(mirror: Path) -> Iterator[MirrorServer]:
    state = MirrorServer(root=mirror)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.mark.network
def test_download_then_skip_without_requests(server: MirrorServer, dest: Path) -> None:
    rep = acquire(dest, base_url=server.base_url, timeout=10)
    assert [r.action for r in rep.files] == ["downloaded"] * 3
    assert all((dest / n).read_bytes() == b for n, b in FILES.items())
    assert sorted(server.requests) == sorted(FILES)
    assert _leftovers(dest) == []
    rep2 = acquire(dest, base_url=server.base_url, timeout=10)
    assert [r.action for r in rep2.files] == ["skipped-valid"] * 3
    assert len(server.requests) == 3  # no new request
    # base_url wins over mirror when both are given
    (dest / "abc.csv").unlink()
    rep3 = acquire(dest, mirror=server.root, base_url=server.base_url, timeout=10)
    assert rep3.source == server.base_url and rep3.files[0].action == "downloaded"
    assert server.count("abc.csv") == 2


@pytest.mark.network
def test_download_corrupted_file(server: MirrorServer, dest: Path) -> None:
    (server.root / "empty.csv").write_bytes(b"\n")  # the server now serves one stray byte
    with pytest.raises(ChecksumError) as ei:
        acquire(dest, base_url=server.base_url, timeout=10)
    e = ei.value
    assert e.name == "empty.csv" and e.expected == SHA_EMPTY and e.actual == _sha(b"\n")
    assert e.source == server.base_url + "empty.csv" and e.source in str(e)
    assert not (dest / "empty.csv").exists()
    assert _leftovers(dest) == []


@pytest.mark.network
def test_download_cut_off_halfway(server: MirrorServer, dest: Path) -> None:
    server.truncate.add("big.bin")
    (dest / "big.bin").write_bytes(b"old")  # an invalid earlier copy: must stay untouched
    with pytest.raises(DownloadError) as ei:
        acquire(dest, base_url=server.base_url, timeout=10)
    url = server.base_url + "big.bin"
    assert ei.value.url == url and url in str(ei.value)
    # 3 MiB + 17 bytes announced, half of it (1,572,872 bytes) received
    assert f"Content-Length {len(FILES['big.bin'])}" in str(ei.value)
    assert f"{len(FILES['big.bin']) // 2:,d} bytes" in str(ei.value)
    assert (dest / "big.bin").read_bytes() == b"old"
    assert _leftovers(dest) == []
    assert verify(dest, files=["big.bin"])[0].kind == "mismatch"


@pytest.mark.network
def test_download_404_names_url(server: MirrorServer, dest: Path) -> None:
    (server.root / "abc.csv").unlink()
    with pytest.raises(DownloadError, match=r"HTTP 404") as ei:
        acquire(dest, base_url=server.base_url, timeout=10)
    assert ei.value.url == server.base_url + "abc.csv"
    assert server.base_url + "abc.csv" in str(ei.value)
    assert _leftovers(dest) == [] and not (dest / "abc.csv").exists()


@pytest.mark.network
def test_download_replaces_preexisting_corrupted(server: MirrorServer, dest: Path) -> None:
    bad = FILES["big.bin"][:-1] + b"\x00"
    (dest / "big.bin").write_bytes(bad)
    (dest / "abc.csv").write_bytes(b"abc")
    rep = acquire(dest, base_url=server.base_url, timeout=10)
    by = {r.name: r for r in rep.files}
    assert by["big.bin"].action == "downloaded" and by["big.bin"].replaced_sha256 == _sha(bad)
    assert by["abc.csv"].action == "skipped-valid"
    assert server.count("abc.csv") == 0 and server.count("big.bin") == 1
    assert (dest / "big.bin").read_bytes() == FILES["big.bin"]


# ---------------------------------------------------------------------------------------------
# the real data


def test_acquire_real_mirror(tmp_path: Path, raw_dir: Path) -> None:
    dest = tmp_path / "data_raw"
    rep = acquire(dest, mirror=raw_dir, checksums=REPO_SUMS)
    assert len(rep.files) == 18 and rep.count("copied") == 18
    expected = read_checksums(REPO_SUMS)
    for r in rep.files:
        # byte-identical to the mirror, and hashlib over the whole copy agrees with SHA256SUMS
        assert filecmp.cmp(dest / r.name, raw_dir / r.name, shallow=False)
        assert _sha((dest / r.name).read_bytes()) == expected[r.name] == r.sha256
    assert sum(r.bytes for r in rep.files) == sum(
        (raw_dir / n).stat().st_size for n in expected
    )
    assert verify(dest, REPO_SUMS) == []
    assert _leftovers(dest) == []


# ---------------------------------------------------------------------------------------------
# the provenance README agrees with SHA256SUMS (and, where present, with the real files)


def _readme_checksum_table() -> dict[str, tuple[int, str]]:
    text = (REPO_ROOT / "data_raw" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \| ([\d,]+) \| `([0-9a-f]{64})` \|$", text, flags=re.M)
    return {name: (int(size.replace(",", "")), digest) for name, size, digest in rows}


def test_readme_checksum_table_matches_sha256sums(raw_dir: Path) -> None:
    table = _readme_checksum_table()
    sums = read_checksums(REPO_SUMS)
    assert {n: d for n, (_, d) in table.items()} == sums
    text = (REPO_ROOT / "data_raw" / "README.md").read_text(encoding="utf-8")
    total = sum(size for size, _ in table.values())
    assert f"Total: 18 files, {total:,d} bytes." in text
    # every raw file has its own row in a "Details on each data source" table
    for name in sums:
        assert re.search(rf"^\| `{re.escape(name)}` \| [\d,]+ \| [^`|]", text, flags=re.M), name
    assert {n: s for n, (s, _) in table.items()} == {
        n: (raw_dir / n).stat().st_size for n in sums
    }


def test_readme_row_counts_match_real_files(raw_dir: Path) -> None:
    """Data rows quoted in the README (from the manifest) equal the rows pandas reads."""
    import pandas as pd

    text = (REPO_ROOT / "data_raw" / "README.md").read_text(encoding="utf-8")
    quoted = {
        name: int(rows.replace(",", ""))
        for name, rows in re.findall(r"^\| `([^`]+\.csv)` \| ([\d,]+) \| [^`|]", text, flags=re.M)
    }
    assert len(quoted) == 18
    for name, rows in quoted.items():
        assert len(pd.read_csv(raw_dir / name, dtype=str)) == rows, name


def test_stale_temporary_files_are_removed_and_reported(mirror: Path, dest: Path) -> None:
    # what a run killed mid-transfer (SIGKILL, power loss) would leave behind
    (dest / ".big.bin.k3j9x.part").write_bytes(b"half")
    (dest / ".unrelated.part").write_bytes(b"keep")  # not a listed file's temp name: untouched
    rep = acquire(dest, mirror=mirror)
    assert rep.removed_stale == (".big.bin.k3j9x.part",)
    assert _leftovers(dest) == [".unrelated.part"]
    assert "stale temporary files removed: 1" in rep.summary()
