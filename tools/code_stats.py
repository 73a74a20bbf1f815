"""Counts issue #14 tracks (a measurement, not a test): how much library code the study notebooks carry, how coarse the
library's export cells are, long functions and import cycles in `advfilter/`, and how much of tools/ its tests run.

* **library lines in 02–05** — code lines (not blank, not comment) inside `def`/`class` blocks in the code cells of the
  study notebooks `nbs/0[2-9]_*.ipynb`, and how many cells hold one;
* **export cells with ≥ 3 definitions** — `#| export(s|i)` cells of the library notebooks with three or more top-level
  `def`/`class` statements (also: how many export cells, their median lines and definitions);
* **functions over 40 lines** in `advfilter/*.py` (`def` line to last line, methods and nested functions included);
* **import cycles** among `advfilter` modules, counting every import, also those inside functions (lazy): the strongly
  connected groups of the import graph;
* **tools/ lines** — lines of `tools/*.py` (without `tools/tests/`), and of their statements how many run during
  `pytest tools/tests` (coverage.py, in this process).

    .venv/bin/python tools/code_stats.py              # the work tree (runs tools/tests for the coverage, ~10 s)
    .venv/bin/python tools/code_stats.py --rev HEAD   # a commit, read with `git show` (coverage: 0 when it has no tools/tests)
    .venv/bin/python tools/code_stats.py -v           # also list the cells, functions and cycles counted
"""
import argparse, ast, io, json, re, statistics, subprocess, sys, contextlib
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, STUDY, LIBRARY  # noqa: E402

class Tree:
    "The repository's files, from the work tree (`rev=None`) or from a commit."
    def __init__(self, rev:str|None=None): self.rev = rev
    def git(self, *a): return subprocess.run(['git', *a], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    def files(self, folder:str)->list:
        "Paths (relative to the repository) of the files directly in `folder`."
        if self.rev: return sorted(self.git('ls-tree', '--name-only', f'{self.rev}:{folder}').split())
        return sorted(p.name for p in (ROOT/folder).iterdir() if p.is_file())
    def read(self, path:str)->str:
        return self.git('show', f'{self.rev}:{path}') if self.rev else (ROOT/path).read_text()

def code_cells(text:str)->list:
    "The sources of a notebook's code cells."
    return [''.join(c['source']) for c in json.loads(text)['cells'] if c['cell_type'] == 'code']

def parse(src:str):
    "The cell's AST, with IPython magics and shell lines blanked; None when it is not Python."
    try: return ast.parse('\n'.join('' if l.lstrip().startswith(('%', '!')) else l for l in src.splitlines()))
    except SyntaxError: return None

def outer_defs(tree)->list:
    "The `def`/`class` statements not inside another one."
    out, todo = [], list(ast.iter_child_nodes(tree))
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): out.append(n)
        else: todo += ast.iter_child_nodes(n)
    return out

def code_lines(src:str, first:int, last:int)->int:
    "Lines `first`..`last` (1-based) of `src` that are neither blank nor a comment."
    return sum(bool(l.strip()) and not l.strip().startswith('#') for l in src.splitlines()[first - 1:last])

def study_library_lines(t:Tree)->dict:
    "Code lines inside def/class blocks of the study notebooks' code cells."
    lines = cells = total = 0; where = []
    for nb in [f for f in t.files('nbs') if STUDY.match(f)]:
        for src in code_cells(t.read(f'nbs/{nb}')):
            total += code_lines(src, 1, len(src.splitlines()))
            defs = outer_defs(parse(src) or ast.Module(body=[], type_ignores=[]))
            n = sum(code_lines(src, min([d.lineno] + [x.lineno for x in d.decorator_list]), d.end_lineno) for d in defs)
            if defs: cells += 1; lines += n; where.append(f"{nb}: {', '.join(d.name for d in defs)} ({n} lines)")
    return {'library lines in 02-05': lines, 'cells with def/class in 02-05': cells, 'code lines in 02-05': total, '_where': where}

_re_export = re.compile(r'^\s*#\|\s*export[si]?\b', re.M)

def export_cells(t:Tree)->dict:
    "Export cells of the library notebooks: how many, their size, and those with three or more definitions."
    sizes, ndefs, big = [], [], []
    for nb in [f for f in t.files('nbs') if LIBRARY.match(f)]:
        for src in code_cells(t.read(f'nbs/{nb}')):
            if not _re_export.search(src): continue
            tree = parse(src)
            defs = [n.name for n in (tree.body if tree else []) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
            sizes.append(code_lines(src, 1, len(src.splitlines()))); ndefs.append(len(defs))
            if len(defs) >= 3: big.append(f"{nb}: {', '.join(defs)}")
    return {'export cells': len(sizes), 'export cells with >=3 definitions': len(big),
            'median lines per export cell': statistics.median(sizes) if sizes else 0,
            'median definitions per export cell': statistics.median(ndefs) if ndefs else 0, '_where': big}

def modules(t:Tree)->dict:
    "{module name: source} of advfilter/*.py (without nbdev's index `_modidx`)."
    return {f[:-3]: t.read(f'advfilter/{f}') for f in t.files('advfilter') if f.endswith('.py') and f != '_modidx.py'}

def long_functions(mods:dict, limit:int=40)->list:
    return [f'{m}.{n.name} ({n.end_lineno - n.lineno + 1} lines)' for m, src in mods.items() for n in ast.walk(ast.parse(src))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > limit]

def imports(mod:str, src:str, names:set)->set:
    "The advfilter modules `mod` imports anywhere in its code (top level or inside functions)."
    out = set()
    for n in ast.walk(ast.parse(src)):
        if isinstance(n, ast.Import): cands = [a.name for a in n.names]
        elif isinstance(n, ast.ImportFrom):
            base = n.module or ''
            if n.level: base = '.'.join(['advfilter'][:max(0, 2 - n.level)] + ([base] if base else []))
            cands = [base] + [f'{base}.{a.name}' for a in n.names]
        else: continue
        out |= {c.split('.')[1] for c in cands if c.startswith('advfilter.') and c.split('.')[1] in names}
    return out - {mod}

def cycles(mods:dict)->list:
    "The groups of advfilter modules that import each other, directly or through others (Tarjan's SCCs of size > 1)."
    g = {m: imports(m, s, set(mods)) for m, s in mods.items()}
    index, low, stack, on, out = {}, {}, [], set(), []
    def visit(v):
        index[v] = low[v] = len(index); stack.append(v); on.add(v)
        for w in g[v]:
            if w not in index: visit(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            grp = []
            while (w := stack.pop()) != v: on.discard(w); grp.append(w)
            on.discard(v); grp.append(v)
            if len(grp) > 1: out.append(sorted(grp))
    for v in sorted(g):
        if v not in index: visit(v)
    return out

def tools_coverage(files:list, # the files to measure
                   tests:Path=ROOT/'tools'/'tests', # the pytest folder to run
                  )->dict:
    "{file name: (statements run, statements)} while pytest runs `tests` in this process, measured by coverage.py."
    import coverage, pytest
    cov = coverage.Coverage(include=[str(f) for f in files], data_file=None)
    cov.start()
    try:
        with contextlib.redirect_stdout(io.StringIO()): rc = pytest.main(['-q', '-p', 'no:cacheprovider', str(tests)])
    finally: cov.stop()
    if rc: sys.exit(f'pytest {tests} failed (exit {rc}): the coverage would be wrong')
    out = {}
    for f in files:
        _, statements, _, missing, _ = cov.analysis2(str(f))
        out[Path(f).name] = (len(statements) - len(missing), len(statements))
    return out

def tools_lines(t:Tree, coverage:bool)->dict:
    files = [f for f in t.files('tools') if f.endswith('.py')]
    n = sum(len(t.read(f'tools/{f}').splitlines()) for f in files)
    res = {'lines in tools/*.py': n, 'tools/*.py files': len(files)}
    if t.rev:
        has_tests = 'tests' in t.git('ls-tree', '--name-only', f'{t.rev}:tools').split()
        res['statements of tools/ run by its tests'] = 'not measured (checkout needed)' if has_tests else '0 (no tools/tests)'
        return res
    res['lines in tools/tests'] = sum(len(p.read_text().splitlines()) for p in (ROOT/'tools'/'tests').glob('*.py'))
    if coverage:
        cov = tools_coverage([ROOT/'tools'/f for f in files])
        run, ex = sum(a for a, _ in cov.values()), sum(b for _, b in cov.values())
        res['statements of tools/ run by its tests'] = f'{run} of {ex} ({100 * run / max(ex, 1):.0f}%)'
        res['_where'] = [f'{f}: {a}/{b}' for f, (a, b) in cov.items()]
    return res

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--rev', default=None, help='measure this commit (git show) instead of the work tree')
    ap.add_argument('--no-coverage', action='store_true', help='do not run tools/tests for the coverage')
    ap.add_argument('-v', '--verbose', action='store_true', help='list what each count counts')
    a = ap.parse_args()
    t = Tree(a.rev)
    mods = modules(t)
    longf, cyc = long_functions(mods), cycles(mods)
    res = [study_library_lines(t), export_cells(t),
           {'functions over 40 lines in advfilter/': len(longf), '_where': longf},
           {'import cycles among advfilter modules': len(cyc), '_where': [' <-> '.join(c) for c in cyc]},
           tools_lines(t, not a.no_coverage)]
    print(f"# code stats of {a.rev or 'the work tree'}")
    for r in res:
        for k, v in r.items():
            if k != '_where': print(f'{k:48} {v}')
        if a.verbose:
            for w in r.get('_where', []): print(f'    {w}')

if __name__ == '__main__': main()
