"""``concord verify`` and ``concord witness``: checking a Concord instance without trusting it."""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Any

import typer

from concord.cli.errors import fail, run_safely

if TYPE_CHECKING:
    from concord.verify.exports import Verified

VERIFICATION_FAILED_EXIT = 1


def verify(
    records: list[str] | None = typer.Argument(
        None,
        help="What to check: a conversation's, budget's or space's record (a folder or .zip from its page, "
        "`concord export` or the API), or its address on a server (e.g. https://host/c/ID, https://host/b/ID, "
        "https://host/s/PATH): it is downloaded first. After a space's record: the exports of the places' "
        "conversations, whose decisions are then recomputed too.",
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
    """Check a record against its own tamper-evident log, without trusting the server: the log's links and
    signature, and every published figure recomputed from it (a conversation's results and files, a
    budget's outcome, a space's roll-ups and tallies). Names the first entry that does not match and
    exits 1; exit 0 when everything matches; exit 2 with one line on bad input."""
    if receipt is not None:
        run_safely(_check_receipts, receipt, server, proof)
    elif records:
        run_safely(_verify_records, records, key)
    else:
        fail("give a record to verify (a folder, a .zip or its address), or --receipt with --server or --proof")


def _verify_records(records: list[str], key: str | None) -> None:
    from concord.formats.errors import InputFileError
    from concord.verify.exports import record_kind
    from concord.verify.replay import LogMismatch

    first, *places = records
    with TemporaryDirectory() as tmp:
        root = Path(tmp)
        server, folder = _record_at(first, root / "record")
        kind = record_kind(folder)
        if places and kind != "space":
            raise InputFileError("only a space's record is followed by other exports (its places' conversations)")
        try:
            if kind == "space":
                _verify_space(folder, key, _place_exports(places, server, root))
            elif kind == "budget":
                _verify_budget(folder, key)
            else:
                _verify_conversation(folder, key)
        except LogMismatch as mismatch:
            print(f"concord: NOT VERIFIED: {mismatch}")
            raise SystemExit(VERIFICATION_FAILED_EXIT) from None


def _verify_conversation(folder: Path, key: str | None) -> None:
    from concord.verify.exports import verify_export

    _report_conversation(verify_export(folder, key))


def _report_conversation(checked: Verified) -> None:
    print(f"verified {checked.origin}: {checked.entries:,} entries ({checked.votes:,} votes), signed by {checked.key}")
    if checked.analysis is not None:
        print(f"  the analysis recomputes from the first {checked.analysis:,} entries")
    elif checked.analysis_before_log:
        print("  the analysis in conversation.json was made before the log existed: NOT checked (export again)")
    if checked.outcomes:
        print(f"  {checked.outcomes} published outcome(s) recompute")
    print(f"  {', '.join(checked.files)} are exactly what the log says")


def _verify_budget(folder: Path, key: str | None) -> None:
    from concord.verify.exports import verify_budget_export

    checked = verify_budget_export(folder, key)
    _report_conversation(checked.conversation)
    if checked.outcome:
        print(f"  budget {checked.budget}: its outcome recomputes from each voter's latest ballot in the log")
    else:
        print(
            f"  budget {checked.budget}: nothing to decide yet (no project or no ballot), and no outcome is published"
        )
    if checked.parts:
        print(
            f"  split into {', '.join(checked.parts)}: each part is a budget of its own, verified from its own record"
        )


def _verify_space(folder: Path, key: str | None, place_export: Callable[[str], Path | str]) -> None:
    from concord.verify.exports import verify_space_export

    checked = verify_space_export(folder, key, place_export)
    print(f"verified {checked.origin}: {checked.entries:,} entries, signed by {checked.key}")
    print(f"  {checked.places} space(s) below: their names, weights and populations are their own logs'")
    print(f"  {checked.tallies} reported tally(ies) are the latest the log holds, with who reported them and when")
    print(f"  {checked.proposals} roll-up(s) recompute at every level")
    for conversation in checked.conversations:
        print(f"  the decision of {conversation} recomputes from its own log")
    if checked.trusted:
        print("  taken on trust:")
        for trusted in checked.trusted:
            print(f"    - {trusted}")


def _place_exports(places: list[str], server: str | None, root: Path) -> Callable[[str], Path | str]:
    """A place's conversation export by the conversation's id: among those given (each named by its log's
    entry 0), else, verifying by address, downloaded from the same server; otherwise why there is none."""
    given: dict[str, Path] = {}
    for index, place in enumerate(places):
        _, folder = _record_at(place, root / f"place-{index}")
        conversation = None
        if (folder / "log.jsonl").is_file():
            with open(folder / "log.jsonl", "rb") as log:
                try:
                    conversation = json.loads(log.readline()).get("conversation")
                except (ValueError, AttributeError):
                    conversation = None
        if not conversation:
            fail(f"{place}: not a conversation's export with its log")
        given[conversation] = folder

    def export(conversation: str) -> Path | str:
        if conversation in given:
            return given[conversation]
        if server is None:
            return "its export was not given"
        try:
            return _downloaded(f"{server}/api/conversations/{conversation}/export", root / f"c-{conversation}")
        except _Refused as refused:
            return f"its export could not be downloaded: {refused}"

    return export


# --- records on disk and on a server ------------------------------------------------------------------

MAX_DOWNLOAD = 8 * 2**30  # a record larger than this is refused (the server may be hostile)


class _Refused(Exception):
    """The server would not give the record (private, unknown, unreachable)."""


def _record_at(where: str, target: Path) -> tuple[str | None, Path]:
    """The record's folder, and the server it came from when it was given by its address."""
    if where.startswith(("http://", "https://")):
        server, url = _export_url(where)
        try:
            return server, _downloaded(url, target)
        except _Refused as refused:
            fail(f"{where}: {refused}")
    path = Path(where)
    if not path.exists():
        fail(f"{where}: no such file or folder")
    return None, _unpacked(path, target)


def _export_url(address: str) -> tuple[str, str]:
    """The server's base URL, and where the record of what ``address`` shows can be downloaded: a
    conversation (/c/ID…, /api/conversations/ID…), a budget (/b/ID…, /api/budgets/ID…) or a space
    (/s/PATH, /api/spaces/ID…)."""
    from urllib.parse import quote, urlsplit

    parts = urlsplit(address)
    server = f"{parts.scheme}://{parts.netloc}"
    steps = [step for step in parts.path.split("/") if step]
    if len(steps) >= 2 and steps[0] == "c":
        return server, f"{server}/api/conversations/{quote(steps[1])}/export"
    if len(steps) >= 2 and steps[0] == "b":
        return server, f"{server}/api/budgets/{quote(steps[1])}/export"
    if len(steps) >= 3 and steps[0] == "api" and steps[1] in ("conversations", "budgets", "spaces"):
        return server, f"{server}/api/{steps[1]}/{quote(steps[2])}/export"
    if steps and steps[0] == "s":
        path = "/" + "/".join(steps[1:])
        try:
            found = _get(server, f"/api/spaces?path={quote(path)}")
            space = found[0]["id"]
        except (LookupError, TypeError):
            fail(f"{address}: the server lists no space at {path}")
        return server, f"{server}/api/spaces/{space}/export"
    fail(f"{address}: not the address of a conversation (/c/ID), a budget (/b/ID) or a space (/s/PATH)")


def _downloaded(url: str, target: Path) -> Path:
    """Download a record (a .zip) and unpack it; :class:`_Refused` with the server's reason if it will not."""
    from urllib.error import HTTPError, URLError
    from urllib.request import urlopen

    archive = target.with_suffix(".zip")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urlopen(url, timeout=60) as answer, open(archive, "wb") as sink:
            written = 0
            while chunk := answer.read(1 << 20):
                written += len(chunk)
                if written > MAX_DOWNLOAD:
                    raise _Refused(f"larger than {MAX_DOWNLOAD // 2**30} GiB")
                sink.write(chunk)
    except HTTPError as error:
        raise _Refused(f"the server answers {error.code}: {_reason(error)}") from None
    except (URLError, OSError) as error:
        raise _Refused(str(getattr(error, "reason", error))) from None
    return _unpacked(archive, target)


def _reason(error) -> str:
    try:
        return str(json.loads(error.read())["error"]["message"])
    except (ValueError, KeyError, TypeError, OSError):
        return str(error.reason)


def _unpacked(export: Path, target: Path) -> Path:
    """The record's folder: the folder given, or a .zip unpacked into ``target`` (its files at the top or
    in one folder, as the downloads have them; its own folders kept, nothing outside ``target``)."""
    if export.is_dir():
        return export
    if not zipfile.is_zipfile(export):
        fail(f"{export}: not a folder or a .zip of a record")
    with zipfile.ZipFile(export) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        names = [PurePosixPath(m.filename) for m in members]
        if any(name.is_absolute() or ".." in name.parts for name in names):
            fail(f"{export}: a file in it would be written outside its folder")
        tops = {name.parts[0] for name in names if len(name.parts) > 1}
        strip = len(tops) == 1 and all(len(name.parts) > 1 for name in names)
        for member, name in zip(members, names):
            relative = PurePosixPath(*name.parts[1:]) if strip else name
            if any(part.startswith(".") for part in relative.parts):
                continue
            destination = target.joinpath(*relative.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, open(destination, "wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
    return target


def _check_receipts(receipt: Path, server: str | None, proof: Path | None) -> None:
    from concord.formats.errors import InputFileError
    from concord.verify.receipts import check_receipt, check_receipts, receipts_in

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
    from concord.verify.witness import witness as check

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
