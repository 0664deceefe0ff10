"""Column exclusions: what a name in ``exclude_columns`` means, the check of every name, and the removal of excluded
fields from nested lists stored as JSON.

Use it to keep personal data (e-mail addresses, phone numbers, names) out of the warehouse. Names are lowercase, as
loaded (docs/TABLES.md lists every table's columns):

* ``email`` - that column in every table, and that field at any depth inside every JSON column (so a contact
  person's e-mail inside ``customers.contact_persons`` goes too);
* ``customers.email`` - the top-level column of one table only (``customers.contact_persons`` drops that JSON
  column as a whole);
* ``customers.contact_persons.email`` - one field inside one JSON column of one table (one more ``.field`` per level
  of nesting);
* ``undeclared:<any of these>`` - a column or field this version does not declare (schema drift: Netvisor sent
  an element that is not in docs/TABLES.md). Every other name must be declared, so a typo such as
  ``customers.emial`` is an error instead of a column that silently keeps landing.

Key columns cannot be excluded (rows could not be merged without them). Excluded values never reach Arrow: they are
skipped when a batch becomes a table, and removed from nested values before those become JSON text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from netvisor_sync.catalog import ENTRIES
from netvisor_sync.columns import HARD_DELETE, ORGANISATION, declared_types, nested_shapes
from netvisor_sync.errors import ConfigError
from netvisor_sync.parse.shape import Shape
from netvisor_sync.validation import where_to_set

UNDECLARED = "undeclared:"
_NAME = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")
#: a field path inside a JSON column -> what to remove there: ``None`` the field itself, a tree a level deeper
Tree = dict[str, "Tree | None"]
Scrub = Callable[[Any], Any]


@dataclass(frozen=True)
class Exclusions:
    """Checked ``exclude_columns`` names, by what they reach (see the module docstring)."""

    names: frozenset[str] = frozenset()
    everywhere: frozenset[str] = field(init=False, compare=False)
    columns: frozenset[tuple[str, str]] = field(init=False, compare=False)
    nested: Mapping[tuple[str, str], Tree] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        everywhere: set[str] = set()
        columns: set[tuple[str, str]] = set()
        nested: dict[tuple[str, str], Tree] = {}
        for name in self.names:
            parts = name.removeprefix(UNDECLARED).split(".")
            if len(parts) == 1:
                everywhere.add(parts[0])
            elif len(parts) == 2:
                columns.add((parts[0], parts[1]))
            else:
                _plant(nested.setdefault((parts[0], parts[1]), {}), parts[2:])
        object.__setattr__(self, "everywhere", frozenset(everywhere))
        object.__setattr__(self, "columns", frozenset(columns))
        object.__setattr__(self, "nested", nested)

    def __bool__(self) -> bool:
        return bool(self.names)

    def excluded(self, table: str, column: str) -> bool:
        """Whether the top-level ``column`` of ``table`` is never loaded."""
        return column in self.everywhere or (table, column) in self.columns

    def excluded_from(self, table: str) -> frozenset[str]:
        """The top-level columns never loaded into ``table``."""
        return self.everywhere | {column for owner, column in self.columns if owner == table}

    def scrubbers(self, table: str, json_columns: Iterable[str]) -> dict[str, Scrub]:
        """For each of ``table``'s JSON columns that loses fields: a function from its value to the value without them.

        Bare names reach every JSON column, at any depth; ``table.column.field`` names only their column.
        """
        result: dict[str, Scrub] = {}
        for column in json_columns:
            tree = self.nested.get((table, column))
            if tree is None and not self.everywhere:
                continue
            result[column] = _scrubber(tree or {}, self.everywhere)
        return result


def _plant(tree: Tree, path: list[str]) -> None:
    head, rest = path[0], path[1:]
    if not rest:
        tree[head] = None
        return
    below = tree.get(head, {})
    if below is None:  # the whole field goes already
        return
    tree[head] = below
    _plant(below, rest)


#: one level of a compiled tree: the keys to drop there, and the levels below by key
_Level = tuple[frozenset[str], dict[str, "_Level"]]


def _compile(tree: Tree, everywhere: frozenset[str]) -> _Level:
    drop = everywhere | {key for key, below in tree.items() if below is None}
    return drop, {key: _compile(below, everywhere) for key, below in tree.items() if below is not None}


def _scrubber(tree: Tree, everywhere: frozenset[str]) -> Scrub:
    top = _compile(tree, everywhere)
    elsewhere: _Level = (everywhere, {})

    def scrub(value: Any, level: _Level = top) -> Any:
        if isinstance(value, list):
            return [scrub(item, level) for item in value] if value else value
        if not isinstance(value, dict):
            return value
        drop, below = level
        if value.keys().isdisjoint(drop) and not any(isinstance(item, list | dict) for item in value.values()):
            return value  # nothing to remove (the common case): the parser's dict as it is, never changed later
        return {
            key: scrub(item, below.get(key, elsewhere)) if isinstance(item, list | dict) else item
            for key, item in value.items()
            if key not in drop
        }

    return scrub


# ------------------------------------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class _Declared:
    """What can be named: every table's columns, keys and JSON columns (with the shapes of their items)."""

    columns: Mapping[str, tuple[str, ...]]
    keys: Mapping[str, frozenset[str]]
    nested: Mapping[str, Mapping[str, Shape]]

    def anywhere(self) -> set[str]:
        names = {column for columns in self.columns.values() for column in columns}
        for shapes in self.nested.values():
            for shape in shapes.values():
                names |= _fields(shape)
        return names


def _fields(shape: Shape) -> set[str]:
    names = set(shape.columns) | set(shape.children)
    for child in shape.children.values():
        names |= _fields(child)
    return names


@cache
def _declared() -> _Declared:
    columns: dict[str, tuple[str, ...]] = {}
    keys: dict[str, frozenset[str]] = {}
    nested: dict[str, Mapping[str, Shape]] = {}
    for entry in ENTRIES:
        types = declared_types(entry)
        keys[entry.table] = frozenset({ORGANISATION, HARD_DELETE, *entry.key})
        for child in entry.children:
            keys[child.table] = frozenset({ORGANISATION, HARD_DELETE, child.parent_key, child.position})
        for table, table_types in types.items():
            columns[table] = tuple(dict.fromkeys([ORGANISATION, *sorted(keys[table] - {HARD_DELETE}), *table_types]))
        nested.update(nested_shapes(entry))
    return _Declared(columns, keys, nested)


def check_exclusions(names: Iterable[str], *, option: str = "exclude_columns") -> Exclusions:
    """Check ``exclude_columns`` names against the declared columns and build :class:`Exclusions`.

    ``option`` is how the user gave them (``exclude_columns`` or ``--exclude-columns``), for the messages.

    Raises:
        ConfigError: a malformed name, an unknown table, column or nested field (with the valid ones), or a key
            column; the message says where to set the option.
    """
    declared = _declared()
    checked = []
    for raw in names:
        name = raw.strip()
        if name:
            _check(name, declared, option)
            checked.append(name)
    return Exclusions(frozenset(checked))


def _check(name: str, declared: _Declared, option: str) -> None:
    undeclared = name.startswith(UNDECLARED)
    text = name.removeprefix(UNDECLARED)
    if not _NAME.match(text):
        _fail(
            option,
            f"{name[:60]!r} is not a column name; write `column` (every table), `table.column` or "
            "`table.column.field` (a field inside a JSON column) in lowercase, e.g. customers.email.",
        )
    parts = text.split(".")
    if len(parts) == 1:
        if parts[0] in {key for keys in declared.keys.values() for key in keys}:
            _fail(option, f"{name!r} is a key column and cannot be excluded.")
        if not undeclared and parts[0] not in declared.anywhere():
            _unknown(option, name, parts[0], sorted(declared.anywhere()), "any table (nor a field inside JSON)")
        return
    table, column = parts[0], parts[1]
    if table not in declared.columns:
        close = difflib.get_close_matches(table, sorted(declared.columns), n=1)
        guess = f" Did you mean {close[0]!r}?" if close else ""
        known = ", ".join(sorted(declared.columns))
        _fail(option, f"{name!r} names the table {table!r}, which netvisor-sync does not load.{guess} Tables: {known}.")
    if len(parts) == 2:
        if column in declared.keys[table]:
            _fail(option, f"{name!r} is a key column of {table} and cannot be excluded.")
        if not undeclared and column not in declared.columns[table]:
            valid = [f"{c} (JSON)" if c in declared.nested.get(table, {}) else c for c in declared.columns[table]]
            _unknown(option, name, column, valid, table, prefix=f"{table}.")
        return
    shapes = declared.nested.get(table, {})
    if column not in shapes:
        json_columns = ", ".join(shapes) or "none"
        _fail(
            option,
            f"{name!r}: {column!r} is not a JSON column of {table}, so it has no fields to exclude. JSON columns of "
            f"{table}: {json_columns}.",
        )
    if not undeclared:
        _check_path(name, shapes[column], parts[2:], f"{table}.{column}", option)


def _check_path(name: str, shape: Shape, path: list[str], where: str, option: str) -> None:
    head, rest = path[0], path[1:]
    if rest and head in shape.children:
        _check_path(name, shape.children[head], rest, f"{where}.{head}", option)
        return
    if rest and head in shape.columns:
        _fail(option, f"{name!r}: {where}.{head} holds a value, not a nested list with fields of its own.")
    if head in shape.columns or head in shape.children:
        return
    fields = [*shape.columns, *(f"{child} (nested list)" for child in shape.children)]
    _unknown(option, name, head, fields, f"the JSON column {where}", prefix=f"{where}.", noun="field")


def _unknown(
    option: str, name: str, part: str, valid: list[str], where: str, *, prefix: str = "", noun: str = "column"
) -> None:
    close = difflib.get_close_matches(part, [v.split(" ")[0] for v in valid], n=1)
    guess = f" Did you mean {prefix + close[0]!r}?" if close else ""
    if prefix:
        listing = f" {noun.capitalize()}s of {where}: {', '.join(valid)}."
    else:
        listing = " docs/TABLES.md lists every table's columns."
    _fail(
        option,
        f"{name!r} is not a {noun} of {where}.{guess}{listing} A {noun} this version does not declare (schema "
        f"drift: not in docs/TABLES.md) is excluded as {UNDECLARED}{name}.",
    )


def _fail(option: str, problem: str) -> None:
    raise ConfigError(f"{option}: {problem} {where_to_set('exclude_columns', option='--exclude-columns')}")
