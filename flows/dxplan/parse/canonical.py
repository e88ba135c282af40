"""The canonical format: one CSV (or XLSX) file per report year, one line per table row.

Written by :func:`write_csv` / :func:`write_xlsx`, read back by ``parse_bytes`` into an
equal :class:`ParsedReport` (only ``file_format`` and ``encoding`` describe the new file).
The row and KPI columns are the record fields' canonical headers (``col(canonical=...)``
in dxplan.models), in field order; documented in docs/CANONICAL_FORMAT.md; target years are columns
``target_<year>``, ``target_<year>_value``, ``target_<year>_comparator`` for whatever years
the plan has.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from dxplan.columns import CHILDREN, JOINED, REPAIRS, FieldDef, fields_of
from dxplan.models import (
    COMPARATORS,
    Kpi,
    KpiTarget,
    ParsedReport,
    ParseError,
    Repair,
    ReportRow,
)
from dxplan.safe_text import csv_escape, csv_unescape, needs_quote, xlsx_escape, xlsx_unescape

FORMAT_VERSION = "1"

#: report metadata, repeated on every line
META_COLUMNS = ["format_version", "report_fiscal_year", "as_of", "title", "report_warnings"]
#: the record fields in the file (those with a canonical header), in field order
ROW_FIELDS = tuple(f for f in fields_of(ReportRow) if f.canonical)
_KPI_FIELDS = fields_of(Kpi)
_TARGETS_AT = next(i for i, f in enumerate(_KPI_FIELDS) if f.kind == CHILDREN)
#: one table row of the report
ROW_COLUMNS = [f.canonical for f in ROW_FIELDS]
#: the KPI defined on this row (empty on other rows), before and after the target columns
KPI_HEAD = ["kpi_defined"] + [f.canonical for f in _KPI_FIELDS[:_TARGETS_AT] if f.canonical]
KPI_TAIL = [f.canonical for f in _KPI_FIELDS[_TARGETS_AT + 1 :] if f.canonical]
REQUIRED = [
    "report_fiscal_year",
    "source_row_no",
    "is_relisted",
    "project_no",
    "kpi_no",
    "kpi_defined",
]
_TARGET_COL = re.compile(r"^target_(\d{4})(?:_(value|comparator))?$")
_XLSX_SHEET = "report"


# ------------------------------------------------------------------------------ writing
def columns(years: list[int]) -> list[str]:
    tcols = []
    for y in years:
        tcols += [f"target_{y}", f"target_{y}_value", f"target_{y}_comparator"]
    return META_COLUMNS + ROW_COLUMNS + KPI_HEAD + tcols + KPI_TAIL


def _years(report: ParsedReport) -> list[int]:
    ys = sorted({t.fiscal_year for k in report.kpis for t in k.targets})
    return ys


def records(report: ParsedReport) -> tuple[list[str], list[dict[str, Any]]]:
    """The canonical table as typed Python values (None = empty cell)."""
    years = _years(report)
    cols = columns(years)
    by_row: dict[int, Kpi] = {}
    for k in report.kpis:
        if k.source_row_no in by_row:
            raise ValueError(f"two KPIs defined on row {k.source_row_no}")
        by_row[k.source_row_no] = k
    out = []
    for r in report.rows:
        rec: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "report_fiscal_year": report.report_fiscal_year,
            "as_of": report.as_of.isoformat() if report.as_of else None,
            "title": report.title,
            "report_warnings": json.dumps(report.warnings, ensure_ascii=False)
            if report.warnings
            else None,
            **{f.canonical: _cell(f, getattr(r, f.field)) for f in ROW_FIELDS},
        }
        k = by_row.get(r.source_row_no)
        rec["kpi_defined"] = k is not None
        if k is not None:
            if k.kpi_no != r.kpi_no:
                raise ValueError(
                    f"KPI {k.kpi_no} defined on row {r.source_row_no} whose kpi_no is {r.kpi_no}"
                )
            rec.update(
                {f.canonical: _cell(f, getattr(k, f.field)) for f in _KPI_FIELDS if f.canonical}
            )
            for t in k.targets:
                rec[f"target_{t.fiscal_year}"] = t.text
                rec[f"target_{t.fiscal_year}_value"] = t.value
                rec[f"target_{t.fiscal_year}_comparator"] = t.comparator
        out.append({c: rec.get(c) for c in cols})
    return cols, out


def _cell(f: FieldDef, v: Any) -> Any:
    """A record field's value in the canonical table (None = empty cell)."""
    if f.kind == JOINED:
        return "|".join(v) if v else None
    if f.kind == REPAIRS:
        return _repairs_json(v)
    if isinstance(v, date):
        return v.isoformat()
    return v


def _repairs_json(repairs: list[Repair]) -> str | None:
    if not repairs:
        return None
    return json.dumps([asdict(x) for x in repairs], ensure_ascii=False)


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return csv_escape(v)  # text a spreadsheet would evaluate gets a leading ' (SECURITY.md)
    return str(v)


def write_csv(report: ParsedReport) -> bytes:
    """The report as canonical CSV: UTF-8 with BOM (Excel-friendly), RFC 4180 quoting."""
    cols, recs = records(report)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(cols)
    for rec in recs:
        w.writerow([_cell_text(rec[c]) for c in cols])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_xlsx(report: ParsedReport) -> bytes:
    """The report as canonical XLSX: one sheet ``report`` with the CSV's columns.

    Numbers are numeric cells, everything else text; the file is deterministic (fixed
    document timestamps) so the same report gives the same bytes.
    """
    from openpyxl import Workbook

    cols, recs = records(report)
    wb = Workbook()
    ws = wb.active
    ws.title = _XLSX_SHEET
    ws.append(cols)
    for rec in recs:
        ws.append([_xlsx_value(rec[c]) for c in cols])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
                if needs_quote(cell.value):
                    cell.quotePrefix = True  # stays text when edited by hand in Excel
    stamp = datetime(report.report_fiscal_year, 4, 1)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "dxplan"
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_zip_times(buf.getvalue(), (report.report_fiscal_year, 4, 1, 0, 0, 0))


def _fixed_zip_times(data: bytes, stamp: tuple[int, int, int, int, int, int]) -> bytes:
    """Rewrite the XLSX zip with fixed member timestamps, so equal reports give equal bytes."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            body = zin.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps 'modified' with now
                iso = datetime(*stamp).strftime("%Y-%m-%dT%H:%M:%SZ")
                body = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + iso.encode() + rb"\g<2>",
                    body,
                )
            zout.writestr(fixed, body)
    return out.getvalue()


def _xlsx_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return xlsx_escape(v)
    return v


# ------------------------------------------------------------------------------ reading
def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def looks_like_csv(text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return "\t" not in first and first.count(",") >= 3


def is_canonical_csv(text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return "report_fiscal_year" in first and "source_row_no" in first


def read_csv(text: str, encoding: str, source_name: str) -> ParsedReport:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    if not rows:
        raise ParseError(f"{source_name}: the CSV file is empty")
    header, body = rows[0], [r for r in rows[1:] if any(c.strip() for c in r)]
    recs = []
    for i, r in enumerate(body, 2):
        if len(r) != len(header):
            raise ParseError(
                f"{source_name}: CSV line {i} has {len(r)} fields, the header "
                f"{len(header)} (truncated or damaged file)"
            )
        recs.append(
            {h: (csv_unescape(v) if v != "" else None) for h, v in zip(header, r, strict=False)}
        )
    return _from_records(header, recs, "canonical_csv", encoding, source_name)


def read_xlsx(data: bytes, source_name: str) -> ParsedReport:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as e:
        raise ParseError(f"{source_name}: not a readable XLSX workbook ({e})") from e
    except Exception as e:  # noqa: BLE001 - zlib/XML/openpyxl errors on a damaged file (fuzz)
        raise ParseError(
            f"{source_name}: not a readable XLSX workbook ({type(e).__name__}: {e})"
        ) from e
    try:
        header, recs = _xlsx_table(wb, source_name)
    except ParseError:
        raise
    except Exception as e:  # noqa: BLE001 - openpyxl/zlib/XML on a damaged file (fuzz)
        raise ParseError(
            f"{source_name}: not a readable XLSX workbook ({type(e).__name__}: {e})"
        ) from e
    finally:
        wb.close()
    return _from_records(header, recs, "canonical_xlsx", "xlsx", source_name)


def _xlsx_table(wb: Any, source_name: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Header and records of the workbook's report sheet (the cells as openpyxl reads them)."""
    ws = wb[_XLSX_SHEET] if _XLSX_SHEET in wb.sheetnames else wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    header_row = next(it, None)
    if header_row is None:
        raise ParseError(f"{source_name}: the workbook's sheet is empty")
    header = [str(h) if h is not None else "" for h in header_row]
    while header and header[-1] == "":
        header.pop()
    recs = []
    for r in it:
        vals = list(r)[: len(header)]
        if not any(v not in (None, "") for v in vals):
            continue
        vals += [None] * (len(header) - len(vals))
        recs.append(
            {h: (None if v == "" else xlsx_unescape(v)) for h, v in zip(header, vals, strict=False)}
        )
    return header, recs


def _from_records(
    header: list[str], recs: list[dict[str, Any]], fmt: str, encoding: str, source_name: str
) -> ParsedReport:
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ParseError(
            f"{source_name}: a table but not a dxplan canonical report "
            f"(missing columns: {', '.join(missing)})"
        )
    if not recs:
        raise ParseError(f"{source_name}: the canonical file has a header but no rows")
    years = sorted({int(m.group(1)) for c in header if (m := _TARGET_COL.match(c))})
    first = recs[0]
    fy = _int(first, "report_fiscal_year", source_name, 1)
    if fy is None:
        raise ParseError(f"{source_name}: report_fiscal_year is empty")
    rows: list[ReportRow] = []
    kpis: list[Kpi] = []
    for n, rec in enumerate(recs, 1):
        if _int(rec, "report_fiscal_year", source_name, n) != fy:
            raise ParseError(
                f"{source_name}: row {n} is for another report year than row 1 "
                "(one file per report year)"
            )
        row = ReportRow(**{f.field: _read(rec, f, source_name, n) for f in ROW_FIELDS})
        rows.append(row)
        if _bool(rec, "kpi_defined", source_name, n):
            if row.kpi_no is None:
                raise ParseError(f"{source_name}: row {n} defines a KPI but has no kpi_no")
            kpi: dict[str, Any] = {"kpi_no": row.kpi_no, "source_row_no": row.source_row_no}
            for f in _KPI_FIELDS:  # in field order: the first bad cell is the one reported
                if f.kind == CHILDREN:
                    kpi[f.field] = [_target(rec, y, source_name, n) for y in years]
                elif f.canonical:
                    kpi[f.field] = _read(rec, f, source_name, n)
            kpis.append(Kpi(**kpi))
    warnings_raw = _str(first, "report_warnings")
    try:
        warnings = json.loads(warnings_raw) if warnings_raw else []
    except json.JSONDecodeError as e:
        raise ParseError(f"{source_name}: report_warnings is not JSON ({e})") from e
    if not isinstance(warnings, list):  # found by the fuzz: valid JSON, but a number
        raise ParseError(f"{source_name}: report_warnings is not a JSON list")
    return ParsedReport(
        report_fiscal_year=fy,
        as_of=_date(first, "as_of", source_name, 1),
        title=_str(first, "title"),
        file_format=fmt,
        encoding=encoding,
        rows=rows,
        kpis=kpis,
        warnings=[str(w) for w in warnings],
    )


def _read(rec: dict[str, Any], f: FieldDef, source: str, n: int) -> Any:
    """A record field's value from its canonical cell, checked against its declaration."""
    d, col = f.definition, f.canonical
    assert col is not None
    if f.kind == JOINED:
        return _list(rec, col)
    if f.kind == REPAIRS:
        return _repairs(rec, col, source, n)
    if d.choices:
        v: Any = _choice(rec, col, d.choices, source, n)
    elif f.python_type is bool:
        v = _bool(rec, col, source, n)
    elif f.python_type is int:
        v = _req_int(rec, col, source, n) if d.required else _int(rec, col, source, n)
    elif f.python_type is float:
        v = _float(rec, col, source, n)
    elif f.python_type is date:
        v = _date(rec, col, source, n)
    else:
        v = _str(rec, col)
    return d.empty if v is None and d.empty is not None else v


def _target(rec: dict[str, Any], year: int, source: str, n: int) -> KpiTarget:
    return KpiTarget(
        fiscal_year=year,
        text=_str(rec, f"target_{year}"),
        value=_float(rec, f"target_{year}_value", source, n),
        comparator=_choice(rec, f"target_{year}_comparator", COMPARATORS, source, n),
    )


def _str(rec: dict[str, Any], col: str) -> str | None:
    v = rec.get(col)
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


def _bad(source: str, n: int, col: str, v: Any, what: str) -> ParseError:
    return ParseError(f"{source}: row {n}, column {col}: {v!r} is not {what}")


def _int(rec: dict[str, Any], col: str, source: str, n: int) -> int | None:
    v = rec.get(col)
    if v is None:
        return None
    if isinstance(v, bool):
        raise _bad(source, n, col, v, "an integer")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    try:
        return int(str(v).strip())
    except ValueError:
        raise _bad(source, n, col, v, "an integer") from None


def _req_int(rec: dict[str, Any], col: str, source: str, n: int) -> int:
    v = _int(rec, col, source, n)
    if v is None:
        raise ParseError(f"{source}: row {n}, column {col} is empty")
    return v


def _float(rec: dict[str, Any], col: str, source: str, n: int) -> float | None:
    v = rec.get(col)
    if v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        raise _bad(source, n, col, v, "a number") from None


def _bool(rec: dict[str, Any], col: str, source: str, n: int) -> bool:
    v = rec.get(col)
    if v is None:
        return False
    s = str(v).strip().lower()
    if s in ("true", "1", "yes"):
        return True
    if s in ("false", "0", "no"):
        return False
    raise _bad(source, n, col, v, "true/false")


def _choice(rec: dict[str, Any], col: str, allowed: tuple, source: str, n: int) -> str | None:
    v = _str(rec, col)
    if v is None:
        return None
    if v not in allowed:
        raise _bad(source, n, col, v, "one of " + ", ".join(allowed))
    return v


def _date(rec: dict[str, Any], col: str, source: str, n: int) -> date | None:
    v = rec.get(col)
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v).strip()[:10])
    except ValueError:
        raise _bad(source, n, col, v, "a date (YYYY-MM-DD)") from None


def _list(rec: dict[str, Any], col: str) -> list[str]:
    v = _str(rec, col)
    return [p for p in v.split("|") if p] if v else []


def _repairs(rec: dict[str, Any], col: str, source: str, n: int) -> list[Repair]:
    v = _str(rec, col)
    if not v:
        return []
    try:
        return [Repair(**d) for d in json.loads(v)]
    except (json.JSONDecodeError, TypeError) as e:
        raise _bad(source, n, col, v[:40], "a JSON list of repairs") from e
