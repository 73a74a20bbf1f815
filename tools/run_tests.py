"""The project's test command: `nbdev_test` on each library notebook, then the tests of tools/ (pytest on
`tools/tests/`), then every study notebook end to end at `micro`.

Prints one PASS/FAIL line per item and ends with `N passed, N failed`; exits non-zero when anything failed.
Library notebooks are tested one `nbdev_test --path` call each, so the count is of notebooks really executed.
Study notebooks (`nbs/0[2-9]_*.ipynb`) are run with papermill at `-p profile micro` into a temporary run folder and
their tables are checked by `advfilter.evaluation.check_run_tables` (expected rows, all 13 test ε).
Each pytest test of `tools/tests/` counts as one item (its own PASS/FAIL line).
"""
import argparse, json, os, re, subprocess, sys, tempfile, time
import xml.etree.ElementTree as ET
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, BIN, STUDY, notebooks  # noqa: E402

def run(cmd, **kw):
    t = time.time(); r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)
    return r, time.time() - t

def lib_notebooks(): return [p for p in notebooks(re.compile(r'.*')) if not STUDY.match(p.name)]  # index.ipynb too
def study_notebooks(): return notebooks(STUDY)

def test_library(nb, flags):
    "Run `nbdev_test` on one notebook; True when it passed."
    cmd = [str(BIN/'nbdev_test'), '--path', str(nb.relative_to(ROOT))] + (['--flags', flags] if flags else [])
    r, dt = run(cmd)
    ok = r.returncode == 0
    print(f"{'PASS' if ok else 'FAIL'} nbdev_test {nb.name} ({dt:.0f}s)", flush=True)
    if not ok: print(r.stdout[-4000:], r.stderr[-4000:], sep='\n')
    return ok

def test_tools(tmp, tests:str='tools/tests')->list:
    "Run pytest on tools/tests/; one True/False per test (a pytest that cannot start counts as one failure)."
    xml = Path(tmp)/'tools-tests.xml'
    r, dt = run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', f'--junitxml={xml}', tests])
    cases = ET.parse(xml).getroot().iter('testcase') if xml.exists() else []
    res = [(f"{c.get('classname')}.{c.get('name')}", c.find('failure') is None and c.find('error') is None) for c in cases]
    for name, ok in res: print(f"{'PASS' if ok else 'FAIL'} pytest {name}", flush=True)
    if r.returncode not in (0, 1) or not res: res.append((f'pytest {tests} (exit {r.returncode})', False))
    if r.returncode: print(r.stdout[-4000:], r.stderr[-4000:], sep='\n')
    print(f'     pytest {tests}: {len(res)} tests ({dt:.0f}s)', flush=True)
    return [ok for _, ok in res]

def test_study(nb, tmp):
    "Run a study notebook at `micro` with papermill and check the tables it wrote."
    out = Path(tmp)/nb.stem
    cmd = [str(BIN/'papermill'), '-k', 'advfilter', '--cwd', 'nbs', str(nb.relative_to(ROOT)), str(out/f'{nb.stem}.ipynb'),
           '-p', 'profile', 'micro', '-p', 'out_dir', str(out)]
    out.mkdir(parents=True)
    r, dt = run(cmd)
    ok, msg = r.returncode == 0, ''
    if ok:
        chk, _ = run([sys.executable, '-c', f'from advfilter.evaluation import check_run_tables; print(check_run_tables({str(out)!r}))'])
        ok, msg = chk.returncode == 0, (chk.stdout.strip() or chk.stderr.strip()[-2000:])
    print(f"{'PASS' if ok else 'FAIL'} papermill {nb.name} -p profile micro ({dt:.0f}s) {msg}", flush=True)
    if r.returncode: print(r.stdout[-3000:], r.stderr[-5000:], sep='\n')
    return ok

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--flags', default='', help='nbdev_test flags to enable, e.g. "slow"')
    ap.add_argument('--only', default='', help='regex on notebook names to run')
    ap.add_argument('--no-studies', action='store_true', help='skip the papermill micro runs')
    ap.add_argument('--no-tools', action='store_true', help='skip the tests of tools/ (pytest tools/tests)')
    ap.add_argument('--summary', default='', help='write {"passed":N,"failed":N} to this JSON file')
    a = ap.parse_args()
    pick = lambda nbs: [n for n in nbs if re.search(a.only, n.name)]
    res = [test_library(nb, a.flags) for nb in pick(lib_notebooks())]
    with tempfile.TemporaryDirectory(prefix='advfilter-micro-') as tmp:
        if not a.no_tools and not a.only: res += test_tools(tmp)
        if not a.no_studies: res += [test_study(nb, tmp) for nb in pick(study_notebooks())]
    p, f = sum(res), len(res) - sum(res)
    if a.summary: Path(a.summary).write_text(json.dumps({'passed': p, 'failed': f}))
    print(f'{p} passed, {f} failed')
    sys.exit(0 if f == 0 and p > 0 else 1)

if __name__ == '__main__': main()
