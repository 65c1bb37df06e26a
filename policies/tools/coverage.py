#!/usr/bin/env python3
"""Lists the framework clauses the policy library must cover and how each one is covered.

Reads the catalogs in frameworks/*.toml and the policy files in policies/*.mrm, and reports, per
framework, the `coverage_target` clauses that are mapped by a control (`maps`), declared out of
scope (`scope` blocks), or neither. Exits 1 when any target is neither mapped nor out of scope, or
when a policy maps or excludes a clause the catalog does not have.

    python3 policies/tools/coverage.py            # summary and the uncovered clauses
    python3 policies/tools/coverage.py --verbose  # also which controls map each target

A stop-gap until `mrm frameworks coverage` is available; it reads `maps` and `scope` with regular
expressions, not with the real parser.
"""

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ["sr-11-7", "sr-26-2", "eu-ai-act", "nist-ai-rmf", "iso-42001"]

STRING = r'"((?:[^"\\\n]|\\.)*)"'
CONTROL = re.compile(r"\bcontrol\s+([A-Za-z_][\w.-]*)\s+" + STRING + r"\s*\{")
MAPPING = re.compile(r"\b(" + "|".join(map(re.escape, FRAMEWORKS)) + r")\s+" + STRING)
SCOPE = re.compile(r"\bscope\s+([A-Za-z][\w-]*)\s*\{(.*?)\}", re.S)
EXCLUDE = re.compile(r"\bexclude\s+" + STRING + r"\s+because\s+" + STRING)


def strip_comments(text: str) -> str:
    """Removes `//` comments outside strings."""
    out = []
    for line in text.splitlines():
        in_str = False
        i = 0
        while i < len(line):
            c = line[i]
            if c == "\\" and in_str:
                i += 2
                continue
            if c == '"':
                in_str = not in_str
            elif not in_str and line.startswith("//", i):
                line = line[:i]
                break
            i += 1
        out.append(line)
    return "\n".join(out)


def control_blocks(text: str):
    """Yields (control id, body) for every control block."""
    for m in CONTROL.finditer(text):
        depth, i = 1, m.end()
        in_str = False
        while i < len(text) and depth:
            c = text[i]
            if c == "\\" and in_str:
                i += 2
                continue
            if c == '"':
                in_str = not in_str
            elif not in_str and c == "{":
                depth += 1
            elif not in_str and c == "}":
                depth -= 1
            i += 1
        yield m.group(1), text[m.end() : i - 1]


def main() -> int:
    verbose = "--verbose" in sys.argv
    catalogs = {}
    for fw in FRAMEWORKS:
        with open(ROOT / "frameworks" / f"{fw}.toml", "rb") as f:
            catalogs[fw] = tomllib.load(f)["clause"]
    mapped: dict[tuple[str, str], list[str]] = {}
    excluded: dict[tuple[str, str], str] = {}
    problems = []
    for path in sorted((ROOT / "policies").glob("*.mrm")):
        text = strip_comments(path.read_text())
        for cid, body in control_blocks(text):
            maps = re.search(r"\bmaps\b(.*?)(?=\n\s*(?:pillar|stage|tiers|severity|requires|evidence|applies|assert|explain|remediate)\b|\Z)", body, re.S)
            if not maps:
                continue
            for fw, clause in MAPPING.findall(maps.group(1)):
                mapped.setdefault((fw, clause), []).append(cid)
        for m in SCOPE.finditer(text):
            fw = m.group(1)
            for clause, reason in EXCLUDE.findall(m.group(2)):
                excluded[(fw, clause)] = reason

    status = 0
    print(f"{'framework':<12} {'targets':>7} {'mapped':>7} {'out of scope':>13} {'neither':>8}")
    for fw in FRAMEWORKS:
        ids = {c["id"] for c in catalogs[fw]}
        for (f, clause), who in mapped.items():
            if f == fw and clause not in ids:
                problems.append(f"{fw} \"{clause}\" mapped by {', '.join(who)} is not in the catalog")
        for (f, clause) in excluded:
            if f == fw and clause not in ids:
                problems.append(f"{fw} \"{clause}\" excluded but not in the catalog")
        targets = [c["id"] for c in catalogs[fw] if c.get("coverage_target")]
        m = [t for t in targets if (fw, t) in mapped]
        x = [t for t in targets if (fw, t) not in mapped and (fw, t) in excluded]
        both = [t for t in targets if (fw, t) in mapped and (fw, t) in excluded]
        n = [t for t in targets if (fw, t) not in mapped and (fw, t) not in excluded]
        print(f"{fw:<12} {len(targets):>7} {len(m):>7} {len(x):>13} {len(n):>8}")
        for t in n:
            problems.append(f"{fw} \"{t}\" is neither mapped nor out of scope")
        for t in both:
            problems.append(f"{fw} \"{t}\" is mapped by {', '.join(mapped[(fw, t)])} and also declared out of scope")
        if verbose:
            for t in targets:
                if (fw, t) in mapped:
                    print(f"    {t:<24} {', '.join(mapped[(fw, t)])}")
                elif (fw, t) in excluded:
                    print(f"    {t:<24} out of scope: {excluded[(fw, t)]}")
    for p in problems:
        print("  " + p)
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
