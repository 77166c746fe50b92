"""Checks a python kernel's file before it is submitted: it parses, and it
binds the function's name at its top level (also under if/try/with/for).

Used by the Python client and, as a script, by the `tminus` CLI (which
embeds this file):  python3 kernel_check.py FILE FUNCTION  prints the
problem and exits 1, or exits 0.
"""
import ast
import sys


def bound_names(body) -> set:
    """Names a module binds at its top level, also under if/try/with/for."""
    names = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        for field in ("body", "orelse", "finalbody", "handlers"):
            names |= bound_names(getattr(node, field, []))
    return names


def problem(text: str, path: str, function: str):
    """What is wrong with the source for this function, or None. A syntax
    error raises SyntaxError."""
    if function not in bound_names(ast.parse(text, path).body):
        return f"{path} defines no {function!r} at its top level"
    return None


def main(argv) -> int:
    path, function = argv[1], argv[2]
    try:
        with open(path, encoding="utf-8") as f:
            found = problem(f.read(), path, function)
    except SyntaxError as e:
        found = f"SyntaxError: {e.msg} ({e.filename}, line {e.lineno})"
    if found:
        print(found)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
