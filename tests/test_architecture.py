"""The house rules, checked on the source itself: packages small enough to read, imports that go one way
(counting those inside functions and under ``TYPE_CHECKING``, which hold a cycle open as surely as any
other), front doors that never touch the database's rows, use cases that hand records up, and
migrations that are frozen history."""

from __future__ import annotations

import ast
import builtins
import dataclasses
import importlib
import inspect
import pkgutil
import typing
from collections import defaultdict
from pathlib import Path

import pytest

import concord
import concord.service

SOURCE = Path(concord.__file__).parent
MIGRATIONS = SOURCE / "store" / "migrations" / "versions"

# What each part of Concord may import (besides itself). Front doors (cli, web) → use cases (service) →
# the pure and storage layers; ``verify`` reads files and logs only, as anyone without the server would.
MAY_IMPORT: dict[str, set[str]] = {
    "__main__": {"cli"},
    "cli": {"web", "sms", "service", "verify", "report", "formats", "engine", "ledger", "store", "languages", "states"},
    "web": {"sms", "service", "report", "engine", "languages", "states"},
    "sms": {"service", "languages", "states"},  # the SMS front door: gateways' callbacks, mounted by web
    "service": {"report", "formats", "engine", "ledger", "store", "languages", "states"},
    "verify": {"report", "formats", "engine", "ledger", "languages", "states"},
    "report": {"engine", "formats", "ledger", "languages", "states"},
    "formats": {"engine", "ledger", "languages", "states"},
    "store": {"languages", "states"},
    "ledger": set(),
    "engine": set(),
    "languages": set(),
    "states": set(),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in SOURCE.rglob("*.py"):
        parts = ["concord", *path.relative_to(SOURCE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _target(name: str) -> str | None:
    """The Concord module an import names (``from a.b import c`` names module ``a.b.c`` or ``a.b``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> set[str]:
    """Every Concord module ``module`` imports, wherever in the file the import stands."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names = [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            if name.startswith("concord") and (target := _target(name)) and target != module:
                found.add(target)
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items() if not path.is_relative_to(MIGRATIONS)}


def _part(module: str) -> str:
    return module.split(".")[1] if "." in module else "__main__"


def test_no_package_holds_more_than_15_modules_side_by_side() -> None:
    crowded = {}
    for folder in [SOURCE, *(p.parent for p in SOURCE.rglob("__init__.py"))]:
        modules = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
        if len(modules) > 15:
            crowded[str(folder.relative_to(SOURCE))] = len(modules)
    assert crowded == {}


def test_migration_history_is_not_counted_as_a_package_and_imports_nothing_of_concord() -> None:
    assert not (MIGRATIONS / "__init__.py").exists()
    for path in MIGRATIONS.glob("*.py"):
        assert _imports(f"migration.{path.stem}", path) == set(), path.name


def test_no_import_cycle_among_concords_modules() -> None:
    """Tarjan's strongly connected components over every import, deferred ones included."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in GRAPH.get(module, ()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert cycles == []


def test_imports_go_one_way() -> None:
    wrong = defaultdict(set)
    for module, targets in GRAPH.items():
        for target in targets:
            if _part(target) != _part(module) and _part(target) not in MAY_IMPORT[_part(module)]:
                wrong[module].add(target)
    assert dict(wrong) == {}


def test_the_web_layer_imports_nothing_of_the_store() -> None:
    assert "store" not in MAY_IMPORT["web"]
    assert any(_part(t) == "service" for m, ts in GRAPH.items() if _part(m) == "web" for t in ts)


def _row_classes() -> dict[str, type]:
    from concord.store import models

    return {
        name: value
        for name, value in vars(models).items()
        if inspect.isclass(value) and issubclass(value, models.Base) and value is not models.Base
    }


ROWS = _row_classes()


def _use_cases() -> list[tuple[str, typing.Callable[..., object]]]:
    """Every public function of ``concord.service`` that takes the running service first: a use case."""
    found = []
    for info in pkgutil.walk_packages(concord.service.__path__, "concord.service."):
        module = importlib.import_module(info.name)
        for name, function in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(function) or function.__module__ != info.name:
                continue
            parameters = list(inspect.signature(function).parameters)
            if parameters[:1] == ["runtime"]:
                found.append((f"{info.name}.{name}", function))
    return found


class _Anything:
    def __class_getitem__(cls, item: object) -> type[_Anything]:
        return cls


class _Names(dict):
    """A module's names, then the rows by name (a module may import them only for type checking), then
    anything: what else it imports only for type checking is no row."""

    def __init__(self, module_names: dict[str, object]) -> None:
        super().__init__()
        self.module_names = module_names

    def __missing__(self, key: str) -> object:
        if key in self.module_names:
            return self.module_names[key]
        if key in ROWS:
            return ROWS[key]
        if hasattr(builtins, key):
            return getattr(builtins, key)
        if key.startswith("__"):
            raise KeyError(key)
        return _Anything


def _evaluate(annotation: object, module_names: dict[str, object]) -> object:
    if isinstance(annotation, str):
        return eval(annotation, {"__builtins__": __builtins__}, _Names(module_names))  # the source's own annotation
    return annotation


def _mentions(annotation: object, classes: set[type], seen: set[int]) -> bool:
    if id(annotation) in seen:
        return False
    seen.add(id(annotation))
    if annotation in classes:
        return True
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        module = importlib.import_module(annotation.__module__)
        hints = [_evaluate(field.type, vars(module)) for field in dataclasses.fields(annotation)]
        return any(_mentions(hint, classes, seen) for hint in hints)
    return any(_mentions(arg, classes, seen) for arg in typing.get_args(annotation))


def test_use_cases_hand_records_up_never_database_rows() -> None:
    """A row outside its session is a trap (lazy loads, writes that are never flushed); a record is what
    the use case means to say. Dataclasses returned are searched through, field by field."""
    use_cases = _use_cases()
    assert len(use_cases) > 50
    rows = set(ROWS.values())
    returning_rows = sorted(
        name
        for name, function in use_cases
        if _mentions(_evaluate(inspect.get_annotations(function).get("return"), function.__globals__), rows, set())
    )
    assert returning_rows == []


@pytest.mark.parametrize("part", sorted(MAY_IMPORT))
def test_every_part_named_exists(part: str) -> None:
    assert any(_part(module) == part for module in MODULES)
