#!/usr/bin/env python3
"""Runs the bundle (policies/) on OPA's own engine and compares it with regorus.

    compare.py --setup CACHE            download the OPA wheel into CACHE (once) and exit
    compare.py --cache CACHE CASES      compare; CASES is written by tests/opa.rs

The OPA engine is the PyPI wheel `opa-golib-python-bindings` (Go OPA behind a C bridge). It asks
for Python 3.14 but its wrapper runs on 3.11: the wheel is downloaded for 3.14, unzipped, and put
on sys.path (see ../shared/TOOLCHAIN.md).

The policies are loaded as `opa run -b policies/` would: every non-test .rego file as a module,
and each policies/matrix/<driver>/data.yaml as data.matrix.<driver>, parsed from YAML as OPA's
bundle loader parses it (not as portmatrix serializes it). Then:

1. every test_* rule of the bundle's *_test.rego files must be true on OPA too;
2. for each case (a fixture's input document, from `portmatrix input`), data.portmatrix.report
   on OPA must give the same flow statuses and the same findings (rule, flow, location id,
   message, help) as regorus did.
"""

import glob
import json
import os
import re
import subprocess
import sys
import zipfile

WHEEL = "opa-golib-python-bindings"


def setup(cache):
    lib = os.path.join(cache, "lib")
    if os.path.isdir(os.path.join(lib, "opa_bindings")):
        print(f"OPA wheel already unpacked in {lib}")
    else:
        wheels = os.path.join(cache, "wheel")
        os.makedirs(wheels, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--python-version", "3.14", "-d", wheels, WHEEL],
            check=True,
        )
        found = sorted(glob.glob(os.path.join(wheels, "opa_golib_python_bindings-*.whl")))
        if not found:
            sys.exit(f"no {WHEEL} wheel in {wheels}")
        with zipfile.ZipFile(found[-1]) as z:
            z.extractall(lib)
        print(f"unpacked {os.path.basename(found[-1])} into {lib}")
    try:
        import yaml  # noqa: F401
    except ImportError:
        # The bundle loader reads data.yaml: the comparison needs a YAML parser.
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--target", lib, "pyyaml"],
            check=True,
        )


def load_engine(cache, root):
    sys.path.insert(0, os.path.join(cache, "lib"))
    from opa_bindings import OpaEngine  # noqa: E402
    import yaml  # noqa: E402

    engine = OpaEngine()
    rules, tests = [], []
    for path in sorted(glob.glob(os.path.join(root, "policies", "**", "*.rego"), recursive=True)):
        rel = os.path.relpath(path, root)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        (tests if rel.endswith("_test.rego") else rules).append((rel, text))
    for rel, text in rules + tests:
        engine.add_policy(rel, text)
    matrices = {}
    for path in sorted(glob.glob(os.path.join(root, "policies", "matrix", "*", "data.yaml"))):
        with open(path, encoding="utf-8") as f:
            matrices[os.path.basename(os.path.dirname(path))] = yaml.safe_load(f)
    engine.add_data({"matrix": matrices})
    return engine, tests


def run_tests(engine, tests):
    passed, failed = 0, []
    for rel, text in tests:
        package = re.search(r"^package (\S+)", text, re.M).group(1)
        for name in dict.fromkeys(re.findall(r"^(test_\w+)", text, re.M)):
            try:
                ok = engine.eval_document(f"{package}.{name}") is True
                why = "not true"
            except Exception as e:  # undefined or an evaluation error
                ok, why = False, str(e).splitlines()[0]
            if ok:
                passed += 1
            else:
                failed.append(f"{rel}: {name}: {why}")
    return passed, failed


def findings_of(report):
    return sorted(
        (f["rule"], f.get("flow"), f.get("loc"), f["message"], f.get("help", ""))
        for f in report["findings"]
    )


def compare(engine, cases):
    problems = []
    flows = findings = 0
    for case in cases:
        name = case["name"]
        try:
            got = engine.eval_document("portmatrix.report", case["input"])
        except Exception as e:
            problems.append(f"{name}: OPA fails: {e}")
            continue
        want = case["expected"]
        got_flows = sorted((f["id"], f["status"]) for f in got["flows"])
        want_flows = sorted((f["id"], f["status"]) for f in want["flows"])
        if got_flows != want_flows:
            diff = sorted(set(got_flows) ^ set(want_flows))
            problems.append(f"{name}: flow statuses differ (OPA vs regorus): {diff}")
        got_f, want_f = findings_of(got), findings_of(want)
        if got_f != want_f:
            only_opa = [f for f in got_f if f not in want_f]
            only_regorus = [f for f in want_f if f not in got_f]
            problems.append(
                f"{name}: findings differ\n  only on OPA: {only_opa}\n  only on regorus: {only_regorus}"
            )
        flows += len(want_flows)
        findings += len(want_f)
    return flows, findings, problems


def main(argv):
    if len(argv) == 3 and argv[1] == "--setup":
        setup(argv[2])
        return 0
    if len(argv) != 4 or argv[1] != "--cache":
        print(__doc__, file=sys.stderr)
        return 2
    cache, cases_path = argv[2], argv[3]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    engine, tests = load_engine(cache, root)
    passed, failed = run_tests(engine, tests)
    print(f"opa test: {passed} passed, {len(failed)} failed")
    for f in failed:
        print(f"  FAIL {f}")
    with open(cases_path, encoding="utf-8") as f:
        cases = json.load(f)
    flows, findings, problems = compare(engine, cases)
    for p in problems:
        print(f"  MISMATCH {p}")
    print(
        f"opa report: {len(cases)} fixtures, {flows} flow verdicts and {findings} findings compared, "
        f"{len(problems)} mismatches"
    )
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
