"""``concord verify`` and ``concord witness``: checking a Concord instance without trusting it."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import typer

from concord.cli.errors import fail, run_safely

VERIFICATION_FAILED_EXIT = 1


def verify(
    export: Path | None = typer.Argument(
        None, help="An export (folder or .zip from `concord export` or the moderation page) to check."
    ),
    key: str | None = typer.Option(
        None, help="The verifier key the log must be signed with (name+id+key), e.g. as published by the space."
    ),
    receipt: Path | None = typer.Option(
        None, help="A receipts file (from the receipts page) to check instead: each vote is in the log."
    ),
    server: str | None = typer.Option(None, help="With --receipt: the server to ask for proofs (its base URL)."),
    proof: Path | None = typer.Option(None, help="With --receipt: a proof saved from the server (…/log/proof)."),
) -> None:
    """Check an export against its own tamper-evident log, with no access to the server: the log's
    links and signature, every published result recomputed, every file exactly what the log says.
    Names the first entry that does not match and exits 1; exit 0 when everything matches."""
    if receipt is not None:
        run_safely(_check_receipts, receipt, server, proof)
    elif export is not None:
        run_safely(_verify_export, export, key)
    else:
        fail("give an export to verify, or --receipt with --server or --proof")


def _verify_export(export: Path, key: str | None) -> None:
    from concord.service.replay import LogMismatch
    from concord.service.verification import verify_export

    with TemporaryDirectory() as tmp:
        folder = _unpacked(export, Path(tmp))
        try:
            checked = verify_export(folder, key)
        except LogMismatch as mismatch:
            print(f"concord: NOT VERIFIED: {mismatch}")
            raise SystemExit(VERIFICATION_FAILED_EXIT) from None
    print(f"verified {checked.origin}: {checked.entries:,} entries ({checked.votes:,} votes), signed by {checked.key}")
    if checked.analysis is not None:
        print(f"  the analysis recomputes from the first {checked.analysis:,} entries")
    elif checked.analysis_before_log:
        print("  the analysis in conversation.json was made before the log existed: NOT checked (export again)")
    if checked.outcomes:
        print(f"  {checked.outcomes} published outcome(s) recompute")
    print(f"  {', '.join(checked.files)} are exactly what the log says")


def _unpacked(export: Path, tmp: Path) -> Path:
    """The export's folder: the folder given, or a .zip unpacked (its files at the top or in one folder)."""
    if export.is_dir():
        return export
    if not zipfile.is_zipfile(export):
        fail(f"{export}: not a folder or a .zip of an export")
    with zipfile.ZipFile(export) as archive:
        for member in archive.infolist():
            name = Path(member.filename).name
            if not member.is_dir() and name and not name.startswith("."):
                (tmp / name).write_bytes(archive.read(member))
    return tmp


def _check_receipts(receipt: Path, server: str | None, proof: Path | None) -> None:
    from concord.formats.errors import InputFileError
    from concord.service.receipts import check_receipt, check_receipts, receipts_in

    document = _json_file(receipt)
    if server is not None:
        checks = check_receipts(document, lambda path: _get(server, path))
    elif proof is not None:
        _, key, receipts = receipts_in(document)
        saved = _json_file(proof)
        matching = [r for r in receipts if r["entry"] == saved.get("entry")]
        if not matching:
            raise InputFileError(f"{proof}: a proof of entry {saved.get('entry')}, which no receipt names")
        checks = [check_receipt(matching[0], key, saved)]
    else:
        fail("--receipt needs --server (to ask for the proofs) or --proof (a proof saved earlier)")
    for check in checks:
        if check.included:
            print(f"entry {check.entry}: included in the signed checkpoint of {check.size:,} entries")
        else:
            print(f"entry {check.entry}: NOT VERIFIED: {check.problem}")
    if not all(check.included for check in checks):
        raise SystemExit(VERIFICATION_FAILED_EXIT)


def witness(
    server: str = typer.Argument(..., help="The Concord server to watch (its base URL)."),
    state: Path = typer.Option(
        Path("concord-witness.json"), help="Where this witness keeps the checkpoints it has seen."
    ),
    every: float | None = typer.Option(None, help="Check again every this many seconds (default: once)."),
) -> None:
    """Watch a server's logs: every checkpoint must extend the last one this witness saw. Reports any
    log whose history was rewritten, cut or re-signed, and exits 1 if there is one."""
    from concord.service.witness import witness as check

    if every is not None and not 1 <= every <= 86_400:  # NaN fails this too
        fail("--every is a number of seconds from 1 to 86400")
    while True:
        report = run_safely(check, lambda path: _get(server, path), state)
        print(f"{report.seen} logs: {report.new} new, {report.grew} grew, {len(report.alarms)} inconsistent")
        for alarm in report.alarms:
            print(f"  ALARM {alarm}")
        if report.alarms:
            raise SystemExit(VERIFICATION_FAILED_EXIT)
        if every is None:
            return
        time.sleep(every)


def _json_file(path: Path) -> Any:
    from concord.formats.errors import InputFileError

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputFileError(f"{path}: not JSON ({error})") from None


def _get(server: str, path: str) -> Any:
    """A GET of the server's JSON API (standard library only: a verifier needs nothing of the server's)."""
    from urllib.error import URLError
    from urllib.request import urlopen

    from concord.formats.errors import InputFileError

    url = server.rstrip("/") + path
    try:
        with urlopen(url, timeout=30) as answer:
            return json.loads(answer.read())
    except (URLError, OSError, json.JSONDecodeError) as error:
        raise InputFileError(f"{url}: {getattr(error, 'reason', error)}") from None
