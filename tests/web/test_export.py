"""The graph's CSV export (web/src/app/graph/export.js), run by Node over a headless
Cytoscape graph: no cell a spreadsheet would read as a formula."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path

WEB = Path(__file__).parents[2] / "web"
# What a spreadsheet reads as the start of a formula (OWASP), and WPS's full-width forms.
FORMULA = ["=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20"]
EXPORT = """
import cytoscape from "cytoscape";
import { csv } from "./src/app/graph/export.js";
const cy = cytoscape({ headless: true, elements: JSON.parse(process.env.ELEMENTS) });
process.stdout.write(await csv(cy).text());
"""


def exported(elements: list[dict[str, object]]) -> list[list[str]]:
    done = subprocess.run(
        ["node", "--input-type=module", "-e", EXPORT],
        cwd=WEB,
        env={**os.environ, "ELEMENTS": json.dumps(elements)},
        capture_output=True,
        check=True,
    )  # bytes: a carriage return in a cell stays one
    text = done.stdout.decode().removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_every_column_of_the_csv_export_is_no_formula() -> None:
    elements: list[dict[str, object]] = []
    for n, mark in enumerate(FORMULA):
        ends = [f"{mark}{n}a", f"{mark}{n}b", f"{mark}{n}c"]  # the last one linked to none
        elements += [
            {"data": {"id": i, "label": f"{mark}HYPERLINK({n})", "kind": f"{mark}kind"}}
            for i in ends
        ]
        elements.append(
            {"data": {"id": f"e{n}", "source": ends[0], "target": ends[1], "type": f"{mark}T"}}
        )
    plain = ["张三 = 李四", "人员", "", "", "", "p1", ""]  # no formula: kept as it is
    elements.append({"data": {"id": "p1", "label": plain[0], "kind": "Person"}})
    header, *rows = exported(elements)
    assert len(header) == 7 and len(rows) == 2 * len(FORMULA) + 1
    rows.remove(plain)
    for column, name in enumerate(header):
        cells = [r[column] for r in rows if r[column]]
        assert all(c[0] == "'" for c in cells), (name, cells)
        assert {c[1] for c in cells} == set(FORMULA), name  # every mark, in every column
