#!/usr/bin/env python3
"""Validates captured client-protocol messages against docs/schemas.

usage: validate.py SCHEMA_DIR MESSAGES.jsonl

Each input line is {"direction": "client-to-server" | "server-to-client",
"message": {...}}. A message is checked against the schema named by its
"type" in that direction's directory; a type without a schema is an error.
Prints one line per invalid message, then a JSON summary
{"checked": N, "invalid": N, "schemas": {...uses per schema...}, "unused": [...]}
and exits 1 if anything was invalid.
"""
import json
import pathlib
import sys

from jsonschema import Draft202012Validator
from referencing import Registry, Resource


def load(schema_dir):
    schemas, resources = {}, []
    for path in sorted(schema_dir.rglob("*.json")):
        schema = json.loads(path.read_text())
        Draft202012Validator.check_schema(schema)
        resources.append((schema["$id"], Resource.from_contents(schema)))
        if path.parent != schema_dir:
            schemas[(path.parent.name, path.stem)] = schema
    return schemas, Registry().with_resources(resources)


def main():
    schema_dir, messages = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    schemas, registry = load(schema_dir)
    uses = {f"{direction}/{name}": 0 for direction, name in schemas}
    checked = invalid = 0
    for number, text in enumerate(messages.read_text().splitlines(), 1):
        entry = json.loads(text)
        direction, message = entry["direction"], entry["message"]
        key = (direction, message.get("type"))
        checked += 1
        if key not in schemas:
            invalid += 1
            print(f"line {number}: no schema for {direction} type {message.get('type')!r}: {text[:200]}")
            continue
        uses[f"{direction}/{key[1]}"] += 1
        validator = Draft202012Validator(schemas[key], registry=registry)
        for error in validator.iter_errors(message):
            invalid += 1
            print(f"line {number}: {direction}/{key[1]}: {error.message} at {list(error.absolute_path)}: {text[:300]}")
    unused = sorted(name for name, count in uses.items() if count == 0)
    print(json.dumps({"checked": checked, "invalid": invalid, "schemas": uses, "unused": unused}))
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
