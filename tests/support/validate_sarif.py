"""Validates SARIF files against the SARIF 2.1.0 JSON schema; prints each error, exits 1 if any.

The schema as shipped (OASIS, via github/codeql-action) fails its own metaschema check in one place
(`region.properties.anyOf`), which makes check-jsonschema refuse it, so this validates instances directly
with the `jsonschema` library that check-jsonschema is built on.

usage: python3 validate_sarif.py SCHEMA FILE...
"""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1], encoding="utf-8"))
validator = jsonschema.Draft202012Validator(schema)
errors = 0
for path in sys.argv[2:]:
    for error in validator.iter_errors(json.load(open(path, encoding="utf-8"))):
        errors += 1
        location = "/".join(str(part) for part in error.absolute_path)
        print(f"{path}: {location}: {error.message}")
sys.exit(1 if errors else 0)
