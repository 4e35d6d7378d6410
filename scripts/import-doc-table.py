#!/usr/bin/env python3
"""Regenerates jetapi/data/doc-table.json from ../shared/spec/ese-doc-table.json.

The project keeps its own copy of the documented rows so that a clone without ../shared still
builds; the test `doc_table_matches_shared_spec` fails when the two drift apart. Run from the
repository root: python3 scripts/import-doc-table.py
"""
import json
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
src = Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared/spec/ese-doc-table.json"
table = json.loads(src.read_text())

functions = []
for name, page in table["functions"].items():
    functions.append({
        "function": name,
        "introduced": page.get("introduced"),
        "params": page["params"],
        "grbits": sorted(page["grbits"].keys()) if isinstance(page["grbits"], dict) else page["grbits"],
        "return_codes": [
            {k: row[k] for k in ("code", "since", "condition", "note") if row.get(k) is not None}
            for row in page["return_codes"]
        ],
        "remarks_codes": [
            {"code": row["code"], "where": row["where"]} for row in page.get("remarks_codes", [])
        ],
    })

out = {
    "about": "Documented return codes of the ESE function pages in scope, one row per table row, "
             "in page order. Imported from the team's spec notes (docs @ "
             + table["_meta"]["docs_commit"][:12] + "); conditions are paraphrases.",
    "functions": functions,
}
dest = root / "jetapi/data/doc-table.json"
dest.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
print(f"wrote {dest.relative_to(root)}: {len(functions)} functions, "
      f"{sum(len(f['return_codes']) for f in functions)} rows")
