#!/usr/bin/env python3
"""Seeds fuzz/corpus/ from the repository's own inputs (run from anywhere; idempotent).

parse, check, format: every plan of plans/, tests/diagnostics/, tests/bad-input/ and
(when present) ../shared/conformance cases and errors.
data_csv: the data folders of plans/, tests/bad-input/ and the conformance suite, each
framed for every data plan of the target (first byte: the plan; files separated by
0x1E in the order of CSV_FILES in src/lib.rs).
data_json: the same data sets converted to JSON (cells as strings), a few hand-made
oddities.
whole_run: random byte strings (the generator reads choices from them).

The corpus is then minimised by `cargo fuzz cmin` (see run.sh); this script only
provides starting points.
"""
import csv, hashlib, io, json, os, random, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = next((p for p in [os.path.join(ROOT, "../shared/conformance"), "/work/shared/conformance"] if os.path.isdir(p)), None)
FILES = ["payees.csv", "bookings.csv", "splits.csv", "quotas.csv", "fx.csv", "metrics.csv", "accounts.csv"]
PLANS = 3  # DATA_PLANS in src/lib.rs


def put(target, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def plan_files():
    out = []
    for folder in [os.path.join(ROOT, "plans"), os.path.join(ROOT, "tests/diagnostics")]:
        out += [os.path.join(folder, f) for f in sorted(os.listdir(folder)) if f.endswith(".plan")]
    bad = os.path.join(ROOT, "tests/bad-input")
    if os.path.isdir(bad):
        out.append(os.path.join(bad, "base.plan"))
        for case in sorted(os.listdir(bad)):
            if os.path.isdir(os.path.join(bad, case)):
                out += [os.path.join(bad, case, f) for f in sorted(os.listdir(os.path.join(bad, case))) if f.endswith(".plan")]
    if SHARED:
        for kind in ["cases", "errors"]:
            for case in sorted(os.listdir(os.path.join(SHARED, kind))):
                p = os.path.join(SHARED, kind, case, "plan.plan")
                if os.path.isfile(p):
                    out.append(p)
    return out


json_files = []


def data_folders():
    out = [os.path.join(ROOT, "plans/data")]
    bad = os.path.join(ROOT, "tests/bad-input")
    if os.path.isdir(bad):
        for case in sorted(os.listdir(bad)):
            d = os.path.join(bad, case, "data")
            if os.path.isdir(d):
                out.append(d)
            j = os.path.join(bad, case, "data.json")
            if os.path.isfile(j):
                json_files.append(j)
    if SHARED:
        for kind in ["cases", "errors"]:
            for case in sorted(os.listdir(os.path.join(SHARED, kind))):
                d = os.path.join(SHARED, kind, case, "data")
                if os.path.isdir(d):
                    out.append(d)
    return out


def read(path, limit=64 * 1024):
    with open(path, "rb") as f:
        return f.read(limit)


def main():
    random.seed(7)
    for p in plan_files():
        text = read(p)
        for target in ["parse", "check", "format"]:
            put(target, text)
    for d in data_folders():
        files = [read(os.path.join(d, f)) if os.path.isfile(os.path.join(d, f)) else b"" for f in FILES]
        for selector in range(PLANS):
            put("data_csv", bytes([selector]) + b"\x1e".join(files))
        tables = {}
        for name, data in zip(FILES, files):
            if not data:
                continue
            try:
                rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
            except Exception:
                continue
            tables[name[:-4]] = [{k: v for k, v in r.items() if k is not None and v not in (None, "")} for r in rows]
        if tables:
            for selector in range(PLANS):
                put("data_json", bytes([selector]) + json.dumps(tables, indent=1).encode())
    for j in json_files:
        for selector in range(PLANS):
            put("data_json", bytes([selector]) + read(j))
    for extra in [b'{}', b'{"payees": null, "bookings": []}', b'{"payees": [{"id": 1}], "bookings": []}',
                  b'{"payees": [{"id": "a", "id": "b"}], "bookings": []}', b'{"payess": []}', b'[1, 2]',
                  b'{"payees": [{"id": "a", "target_incentive": 1e400}], "bookings": [{"id": "b", "date": "2027-01-01", "amount": 123456789012345678901234567890, "owner": "a"}]}']:
        for selector in range(PLANS):
            put("data_json", bytes([selector]) + extra)
    for _ in range(64):
        put("whole_run", bytes(random.getrandbits(8) for _ in range(random.randint(16, 600))))


if __name__ == "__main__":
    sys.exit(main())
