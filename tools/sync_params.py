#!/usr/bin/env python
"""Rewrite the parameters cell of each study notebook from `advfilter.params.PARAMS` (the one declaration).

Each notebook keeps its own list of parameters, in its order; the type, default and help text of each line come from
`PARAMS` (`params.parameters_source`). Run after changing `PARAMS`; 01j_params' test fails while a cell differs.
Usage: .venv/bin/python tools/sync_params.py [--check]   (--check: list the notebooks that differ, change nothing)
"""
import argparse, json, sys
from advfilter.params import STUDY_NOTEBOOKS, parameters_source
from advfilter.runs import _assigned, repo_root

def sync(path, write:bool)->bool:
    "Whether the notebook's parameters cell differs from its rendering; rewrite it when `write`."
    nb = json.loads(path.read_text())
    cell = next(c for c in nb['cells'] if 'parameters' in c['metadata'].get('tags', []))
    old = ''.join(cell['source'])
    new = parameters_source(_assigned(old))
    if old == new: return False
    if write:
        lines = new.split('\n')
        cell['source'] = [l + '\n' for l in lines[:-1]] + [lines[-1]]
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    return True

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--check', action='store_true', help='only list the notebooks whose cell differs')
    a = ap.parse_args()
    changed = [n for n in STUDY_NOTEBOOKS if sync(repo_root()/'nbs'/f'{n}.ipynb', not a.check)]
    print(('differ: ' if a.check else 'rewrote: ') + (', '.join(changed) or 'none'))
    return 1 if a.check and changed else 0

if __name__ == '__main__': sys.exit(main())
