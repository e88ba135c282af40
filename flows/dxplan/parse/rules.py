"""The parser's rules: the data files ``dxplan/rules/*.yaml`` read once into one object.

:func:`load_rules` reads every rules file of a folder and compiles it (lookup tables,
regular expressions, header words normalised like the cells they are compared with) into
a frozen :class:`Rules`. The entry point :func:`dxplan.parse.parse_bytes` takes a Rules (or
loads the package's own once, :func:`default_rules`) and passes it down to every function
that needs one; nothing below it reads a rules file. To try a changed rule, copy the
folder, edit the file and parse with ``load_rules(that_folder)``.

One field per file, two for layout.yaml (see docs/PARSER.md):

===================  ====================  ============================================
file                 field                 compiled to
===================  ====================  ============================================
char_map.yaml        ``char_map``          a ``str.translate`` table
ocr_fixes.yaml       ``ocr_fixes``         :class:`OcrFix` list, wrong/right normalised
comparators.yaml     ``comparators``       prefix and suffix words -> comparator
units.yaml           ``units``             unit suffixes (longest first), name keywords
(both above)         ``number``            the regular expression of a printed number
confusables.yaml     ``confusables``       character -> its look-alikes
directions.yaml      ``directions``        :class:`DirectionRule` list
layout.yaml          ``layout``            :class:`Layout` (header words normalised)
layout.yaml ``pdf``  ``pdf_columns``       :class:`PdfColumns` (patterns compiled)
marks.yaml           ``marks``             :class:`Marks`
organisations.yaml   ``organisations``     :class:`Organisations`
plan.yaml            ``plan``              :class:`Plan`
===================  ====================  ============================================

A Rules compares and hashes by identity, so that functions memoised on
``(rules, text)`` (``text.basic`` …) keep the results of different rules apart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dxplan.parse.text import basic_with, longest_first, nospace, squeeze

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

#: every rules file, without its .yaml
FILES = (
    "char_map", "comparators", "confusables", "directions", "layout", "marks",
    "ocr_fixes", "organisations", "plan", "units",
)  # fmt: skip


@dataclass(frozen=True)
class OcrFix:
    """One OCR misreading: ``wrong`` is replaced by ``right`` in every text field."""

    wrong: str
    right: str
    note: str


@dataclass(frozen=True)
class Comparators:
    """Qualifier words of a printed value: prefix (ほぼ, 約) and suffix (以上, 未満)."""

    prefix: Mapping[str, str]  # word -> comparator
    suffix: Mapping[str, str]


@dataclass(frozen=True)
class Units:
    suffixes: tuple[str, ...]  # unit words printed after a number, longest first
    name_keywords: tuple[tuple[str, str], ...]  # (keyword of an indicator name, unit)


@dataclass(frozen=True)
class DirectionRule:
    keyword: str
    field: str  # indicator_name | target_text | both
    direction: str  # increase | decrease | maintain


@dataclass(frozen=True)
class Layout:
    """Header words of the OCR'd report's pages (``layout.yaml``)."""

    title_words: tuple[str, ...]
    #: column and title words, normalised (NFKC, char map, no spaces), longest first
    header_words: tuple[str, ...]
    #: role -> its header words, normalised, longest first (where a column is)
    anchors: tuple[tuple[str, tuple[str, ...]], ...]
    #: role -> header words removed from the line fused with the header, as printed
    strip: Mapping[str, tuple[str, ...]]
    relisted_heads: frozenset[str]  # first characters of the 再掲 mark
    #: text column roles between 分野 and the project name, and between it and the KPI name
    before_project: tuple[str, ...] = ("item_no", "item_name", "dept", "div")
    after_project: tuple[str, ...] = ("summary", "target", "kpi_no")
    #: text columns of those two that not every report prints (found by their anchors)
    optional: frozenset[str] = frozenset()

    @property
    def left_roles(self) -> tuple[str, ...]:
        """Column roles of a data row left of the numbers, left to right."""
        return ("no", "area", *self.before_project, "project", *self.after_project, "kpi_name")

    @property
    def text_roles(self) -> tuple[str, ...]:
        """Every column role read as text (the numbers are read per page)."""
        return (*self.left_roles, "eval", "status")


@dataclass(frozen=True)
class Marks:
    """Evaluation marks (``marks.yaml``)."""

    words: Mapping[str, str]  # mark -> word (○ -> 達成)
    word_list: tuple[str, ...]  # the words, longest first as in the file
    none_marks: frozenset[str]  # cells that mean "no evaluation" ('-', '=' …)
    none_chars: frozenset[str]  # the characters of those cells
    aliases: Mapping[str, str]  # letters OCR reads for a mark (O -> ○)


@dataclass(frozen=True)
class Organisations:
    department_suffixes: tuple[str, ...]
    division_suffixes: tuple[str, ...]
    departments: tuple[str, ...]
    divisions: tuple[str, ...]


@dataclass(frozen=True)
class PdfColumns:
    """Header words of the report PDF's columns (``layout.yaml``, ``pdf``), normalised."""

    roles: tuple[tuple[str, tuple[str, ...]], ...]  # (role, words)
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # (group, words)
    leaves: Mapping[str, Mapping[str, str]]  # group -> leaf word -> role
    leaf_words: frozenset[str]
    year_patterns: tuple[re.Pattern[str], ...]
    ignore_patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Area:
    pillar: str
    area_no: int
    name: str  # normalised


@dataclass(frozen=True)
class Plan:
    areas: tuple[Area, ...]
    item_words: tuple[str, ...]  # words an item cell prints instead of (n) (計画)


@dataclass(frozen=True, eq=False)
class Rules:
    """Every rule of the parser, compiled (see the module docstring for the files)."""

    char_map: Mapping[int, str]
    ocr_fixes: tuple[OcrFix, ...]
    comparators: Comparators
    units: Units
    number: re.Pattern[str]
    confusables: Mapping[str, tuple[str, ...]]
    directions: tuple[DirectionRule, ...]
    layout: Layout
    marks: Marks
    organisations: Organisations
    pdf_columns: PdfColumns
    plan: Plan
    source: str  # the folder the files were read from


def _read(folder: Traversable | Path, name: str) -> dict[str, Any]:
    import yaml

    path = folder.joinpath(f"{name}.yaml")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, when built with it
    data = yaml.load(path.read_text("utf-8"), Loader=loader)  # a safe loader either way
    if not isinstance(data, dict):
        raise RuntimeError(f"rules/{name}.yaml must hold a mapping")
    return data


def _strs(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values or ())


def load_rules(rules_dir: Traversable | Path | str | None = None) -> Rules:
    """Read and compile the rules files of ``rules_dir`` (default: the package's own)."""
    package = resources.files("dxplan").joinpath("rules")
    folder: Traversable | Path = package if rules_dir is None else Path(rules_dir)
    raw = {name: _read(folder, name) for name in FILES}
    char_map = {ord(k): str(v) for k, v in raw["char_map"]["chars"].items()}
    norm = _Norm(char_map)
    comparators = _comparators(raw["comparators"])
    units = _units(raw["units"])
    return Rules(
        char_map=char_map,
        ocr_fixes=_ocr_fixes(raw["ocr_fixes"], norm),
        comparators=comparators,
        units=units,
        number=_number_pattern(comparators, units),
        confusables=_look_alikes(raw["confusables"]["groups"]),
        directions=_directions(raw["directions"]),
        layout=_layout(raw["layout"], norm),
        marks=_marks(raw["marks"]),
        organisations=_organisations(raw["organisations"]),
        pdf_columns=_pdf_columns(raw["layout"]["pdf"], norm),
        plan=_plan(raw["plan"], norm),
        source=str(folder),
    )


class _Norm:
    """How the readers normalise a cell (NFKC + the char map), for the words of the rules
    that are compared with normalised cells."""

    def __init__(self, char_map: Mapping[int, str]) -> None:
        self.char_map = char_map

    def __call__(self, s: Any) -> str:
        return basic_with(self.char_map, str(s))

    def words(self, ws: Any) -> tuple[str, ...]:
        """Normalised, without spaces, in the file's order."""
        return tuple(nospace(self(w)) for w in ws or ())


def _ocr_fixes(data: dict[str, Any], norm: _Norm) -> tuple[OcrFix, ...]:
    return tuple(
        OcrFix(squeeze(norm(f["wrong"])), squeeze(norm(f["right"])), str(f.get("note", "")))
        for f in data["fixes"]
    )


def _comparators(data: dict[str, Any]) -> Comparators:
    cmp = data["comparators"]
    return Comparators(
        {c["word"]: c["comparator"] for c in cmp if c["position"] == "prefix"},
        {c["word"]: c["comparator"] for c in cmp if c["position"] != "prefix"},
    )


def _units(data: dict[str, Any]) -> Units:
    return Units(
        longest_first(str(s["unit"]) for s in data["suffixes"]),
        tuple((str(k["keyword"]), str(k["unit"])) for k in data["name_keywords"]),
    )


def _directions(data: dict[str, Any]) -> tuple[DirectionRule, ...]:
    return tuple(
        DirectionRule(str(r["keyword"]), str(r.get("field", "indicator_name")), str(r["direction"]))
        for r in data["rules"]
    )


def _layout(data: dict[str, Any], norm: _Norm) -> Layout:
    optional = frozenset(_strs(data.get("optional_columns")))
    unknown = optional - set(_strs(data["before_project"])) - set(_strs(data["after_project"]))
    if unknown or not optional <= set(data["anchors"]):
        raise RuntimeError(
            "rules/layout.yaml: an optional column must be a role of before_project or "
            f"after_project with anchors: {sorted(optional)}"
        )
    return Layout(
        title_words=_strs(data["title_words"]),
        header_words=longest_first(norm.words([*data["column_words"], *data["title_words"]])),
        anchors=tuple(
            (str(role), longest_first(norm.words(ws))) for role, ws in data["anchors"].items()
        ),
        strip={str(role): _strs(ws) for role, ws in data["strip"].items()},
        relisted_heads=frozenset(m[0] for m in _strs(data.get("relisted_marks", ["再掲"]))),
        before_project=_strs(data["before_project"]),
        after_project=_strs(data["after_project"]),
        optional=optional,
    )


def _marks(data: dict[str, Any]) -> Marks:
    none_marks = _strs(data["none_marks"])
    return Marks(
        words={str(x["mark"]): str(x["word"]) for x in data["marks"]},
        word_list=_strs(data["words"]),
        none_marks=frozenset(none_marks),
        none_chars=frozenset("".join(none_marks)),
        aliases={str(k): str(v) for k, v in (data.get("mark_aliases") or {}).items()},
    )


def _organisations(data: dict[str, Any]) -> Organisations:
    return Organisations(
        _strs(data["department_suffixes"]),
        _strs(data["division_suffixes"]),
        _strs(data["departments"]),
        _strs(data["divisions"]),
    )


def _pdf_columns(data: dict[str, Any], norm: _Norm) -> PdfColumns:
    leaves = {str(g): {str(k): str(v) for k, v in t.items()} for g, t in data["leaves"].items()}
    return PdfColumns(
        roles=tuple((str(e["role"]), norm.words(e["words"])) for e in data["roles"]),
        groups=tuple((str(e["group"]), norm.words(e["words"])) for e in data["groups"]),
        leaves=leaves,
        leaf_words=frozenset(w for t in leaves.values() for w in t if w),
        year_patterns=tuple(re.compile(p) for p in data["year_patterns"]),
        ignore_patterns=tuple(re.compile(p) for p in data["ignore_patterns"]),
    )


def _plan(data: dict[str, Any], norm: _Norm) -> Plan:
    return Plan(
        tuple(Area(str(a["pillar"]), int(a["area_no"]), norm(a["name"])) for a in data["areas"]),
        _strs(data.get("item_words", [])),
    )


def _number_pattern(comparators: Comparators, units: Units) -> re.Pattern[str]:
    """A printed number with its qualifier and unit: ``ほぼ100%``, ``32百万枚以下``."""

    def alt(ws: Any) -> str:
        return "|".join(re.escape(w) for w in longest_first(ws))

    return re.compile(
        rf"(?P<pre>{alt(comparators.prefix)})?\s*"
        r"(?P<num>\d+(?:[.,]\d+)*)"
        rf"\s*(?P<unit>{alt(units.suffixes)})?"
        rf"\s*(?P<suf>{alt(comparators.suffix)})?"
    )


def _look_alikes(groups: list[list[Any]]) -> dict[str, tuple[str, ...]]:
    """Each character of a group -> the other members of its groups."""
    out: dict[str, set[str]] = {}
    for group in groups:
        members = [str(c) for c in group]
        for c in members:
            out.setdefault(c, set()).update(x for x in members if x != c)
    return {c: tuple(sorted(alts)) for c, alts in out.items()}


@cache
def default_rules() -> Rules:
    """The package's own rules, loaded on first use (for callers that pass none)."""
    return load_rules()
