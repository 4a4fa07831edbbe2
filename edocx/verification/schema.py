"""The JSON Schema of the validation report, as published in docs/.

``python -m edocx.verification.schema`` writes
``docs/validation-report.schema.json``; a test fails when the file no longer
matches the models, so the published schema cannot drift from the JSON the
verifier writes. Fields are described in docs/validation-report.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from edocx.verification.report import SCHEMA_VERSION, ValidationReport

SCHEMA_PATH = Path("docs") / "validation-report.schema.json"


def report_schema() -> dict[str, Any]:
    """The schema of the report's JSON (computed fields included)."""
    schema = ValidationReport.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": f"schema_version {SCHEMA_VERSION}",
        **schema,
    }


def schema_text() -> str:
    return json.dumps(report_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else SCHEMA_PATH
    target.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
