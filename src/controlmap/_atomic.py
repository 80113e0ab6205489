"""Atomic output: a file is replaced only by a complete one.

Used by every writer of controlmap (:mod:`controlmap.io`, :mod:`controlmap.render`,
the CLI), so a failed or interrupted write leaves the old file untouched and no debris.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import ControlMapError, OutputError, one_line

__all__ = ["atomic_output"]


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path; on success move it onto ``path`` in one step.

    The temporary file lives in a hidden folder beside the target (same file system,
    so the final ``os.replace`` is atomic); the folder and anything a writer left in
    it (GeoPackage journals) are removed whatever happens.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_output(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{target}: folder {folder} does not exist")
    _check_name_length(target, folder)  # first: a stat of too long a name fails
    if target.is_dir():
        raise OutputError(f"{target}: is a folder")
    try:
        # A short name of our own: the target's name may already be as long as allowed.
        workdir = Path(tempfile.mkdtemp(prefix=".controlmap-", suffix=".tmp", dir=folder))
    except OSError as exc:
        raise OutputError(f"{target}: cannot write in {folder}: {exc.strerror or exc}") from None
    try:
        temporary = workdir / target.name
        try:
            yield temporary
        except ControlMapError:
            raise
        except OSError as exc:  # a full disk, a quota, an I/O error while writing
            reason = exc.strerror or one_line(exc)
            kept = " (the existing file is kept)" if target.exists() else ""
            raise OutputError(f"{target}: cannot write: {reason}{kept}") from None
        if not temporary.exists():
            raise OutputError(f"{target}: the writer produced no file")
        _keep_mode(target, temporary)
        try:
            os.replace(temporary, target)
        except OSError as exc:
            raise OutputError(f"{target}: cannot replace: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _check_name_length(target: Path, folder: Path) -> None:
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):  # no such query on this system: let the OS decide
        return
    size = len(os.fsencode(target.name))
    if size > limit:
        raise OutputError(
            f"{target}: the file name is {size} bytes; the file system allows {limit}"
        )


def _keep_mode(target: Path, temporary: Path) -> None:
    """Give the new file the permissions of the one it replaces (a 0600 file stays 0600)."""
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"{target}: cannot read its permissions: {exc.strerror}") from None
    os.chmod(temporary, mode)
