#!/usr/bin/env python3
"""The README's checkable parts.

    readme.py links FILE.md...          every relative link (and #anchor) resolves
    readme.py snippets OUTDIR FILE.md...  writes each marked snippet to OUTDIR/NAME.gd or .sh

A snippet is a fenced block right after a `<!-- readme-test: NAME -->` line. Every
```gdscript block must have one (each is a complete script the test runs), and a name
used in several files must mark the same text in each.
"""
import os
import re
import sys

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
MARK = re.compile(r"^<!-- readme-test: ([a-z-]+) -->$")


def slug(heading):
    """GitHub's anchor for a heading: lowercased, punctuation dropped, spaces to '-'."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    found = set()
    in_code = False
    for line in open(path, encoding="utf-8"):
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            found.add(slug(line.lstrip("#")))
    return found


def links(files):
    bad = []
    for path in files:
        text = open(path, encoding="utf-8").read()
        text = re.sub(r"```.*?```", "", text, flags=re.S)  # links in code are not links
        for match in LINK.finditer(text):
            target = match.group(1) or match.group(2)
            if re.match(r"^[a-z]+:", target):
                bad.append(f"{path}: {target}: an external link cannot be checked here; write it as text")
                continue
            file_part, _, anchor = target.partition("#")
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            if not os.path.exists(resolved):
                bad.append(f"{path}: {target}: no file {resolved}")
            elif anchor and (not resolved.endswith(".md") or anchor not in anchors(resolved)):
                bad.append(f"{path}: {target}: no heading #{anchor} in {resolved}")
    for line in bad:
        print(line)
    return 1 if bad else 0


def snippets(outdir, files):
    seen = {}
    problems = []
    for path in files:
        lines = open(path, encoding="utf-8").read().split("\n")
        i = 0
        while i < len(lines):
            mark = MARK.match(lines[i])
            fence = lines[i].startswith("```")
            if fence and lines[i].strip() == "```gdscript" and not (i > 0 and MARK.match(lines[i - 1])):
                problems.append(f"{path}:{i + 1}: a GDScript block without a readme-test marker")
            if fence:  # skip the block
                i += 1
                while i < len(lines) and not lines[i].startswith("```"):
                    i += 1
            if mark:
                name = mark.group(1)
                opening = lines[i + 1] if i + 1 < len(lines) else ""
                if opening not in ("```gdscript", "```sh"):
                    problems.append(f"{path}:{i + 1}: the marker is not followed by a gdscript or sh block")
                    i += 1
                    continue
                end = lines.index("```", i + 2)
                body = "\n".join(lines[i + 2:end]) + "\n"
                if name in seen and seen[name][1] != body:
                    problems.append(f"{path}: snippet {name} differs from the one in {seen[name][0]}")
                seen.setdefault(name, (path, body, "gd" if opening == "```gdscript" else "sh"))
                i = end
            i += 1
    os.makedirs(outdir, exist_ok=True)
    for name, (_, body, ext) in seen.items():
        with open(os.path.join(outdir, f"{name}.{ext}"), "w", encoding="utf-8") as f:
            f.write(body)
        print(f"{name}.{ext}")
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems or not seen else 0


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "links":
        return links(sys.argv[2:])
    if len(sys.argv) >= 4 and sys.argv[1] == "snippets":
        return snippets(sys.argv[2], sys.argv[3:])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
