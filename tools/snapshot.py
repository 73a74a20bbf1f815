"""Make the committed results snapshot, `docs/snapshot/` — produced by this command, never edited by hand.

Runs each study notebook (`nbs/0[2-9]_*.ipynb`) with papermill on the `advfilter` kernel at a profile (papermill's
Python API, with nbclient's `coalesce_streams`: each cell's stream output is merged and carriage returns applied, so a
progress bar keeps only its final state in the executed notebook), and keeps:

* `docs/snapshot/<notebook>.ipynb` — the executed notebook (the study pages of the docs site are rendered from it);
* `docs/snapshot/<notebook>/` — its run folder's `config.json`, `tables/*.csv`, `figures/*.png` and top-level `*.json`
  (checkpoints and logs stay in `outputs/<notebook>/<run>/`);
* `docs/snapshot/SNAPSHOT.json` — for every notebook: the command, profile, machine (platform, CPU count, torch device),
  git commit (and whether the work tree was dirty), date, wall time, and the sha256 of every file above.

A notebook is replaced only when its run succeeds; the others keep their previous entry. `--verify` checks that the
files on disk are exactly the ones SNAPSHOT.json lists (a hand edit fails it). Afterwards `nbs/index.ipynb` (the home
page, which renders the headline results from the snapshot) is re-executed in place so its stored outputs match.

    .venv/bin/python tools/snapshot.py --profile smoke --profile-for 02_empirical_study=micro
    .venv/bin/python tools/snapshot.py --verify
"""
import argparse, json, os, platform, shlex, shutil, subprocess, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, BIN, STUDY, MANIFEST, load_manifest, notebooks, source_changed  # noqa: E402
from advfilter.runs import sha256_file  # noqa: E402

KEEP_DIRS = ('tables', 'figures')  # run-folder subfolders copied into the snapshot

def git(*args)->str:
    r = subprocess.run(['git', *args], cwd=ROOT, capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else ''

def machine()->dict:
    "Where the snapshot was made."
    import torch
    dev = torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu'
    return {'platform': platform.platform(), 'processor': platform.processor() or platform.machine(),
            'cpu_count': os.cpu_count(), 'python': platform.python_version(), 'torch': torch.__version__, 'device': dev}

def study_notebooks(only:str='', nbs_dir:Path=ROOT/'nbs')->list: return notebooks(STUDY, nbs_dir, only)

def execute(nb:Path, executed:Path, profile:str, run:str, timeout:int)->int:
    "Run `nb` as `papermill -k advfilter --cwd nbs ... -p profile -p run` does, keeping each bar's final state; 0 on success."
    import papermill as pm, torch
    # pinned threads (advfilter.threads): the snapshot's bits must not depend on other jobs sharing the cores
    os.environ.setdefault('ADVFILTER_THREADS', str(torch.get_num_threads()))
    try:
        pm.execute_notebook(str(nb), str(executed), parameters={'profile': profile, 'run': run}, kernel_name='advfilter',
                            cwd=str(ROOT/'nbs'), execution_timeout=timeout, log_output=True, coalesce_streams=True)
    except Exception as e:   # papermill's PapermillExecutionError, a dead kernel, a timeout
        print(f'[snapshot] {nb.name}: {type(e).__name__}: {str(e)[-2000:]}', flush=True)
        return 1
    return 0

def run_notebook(nb:Path, profile:str, work:Path, run:str, timeout:int, dest:Path)->tuple:
    "Execute `nb` with papermill into `work`; return (executed notebook, run folder, wall seconds, the command)."
    out_dir = ROOT/'outputs'/nb.stem/run  # the run folder's default place (advfilter.runs.RunFolder), as `make study`
    executed = work/nb.name
    cmd = [str(BIN/'papermill'), '-k', 'advfilter', '--cwd', str(ROOT/'nbs'), str(nb), str(executed),
           '-p', 'profile', profile, '-p', 'run', run, '--execution-timeout', str(timeout)]
    print(f'[snapshot] {nb.name} at profile {profile} -> {out_dir.relative_to(ROOT)}', flush=True)
    t = time.time()
    rc = execute(nb, executed, profile, run, timeout)
    if rc == 0 and not (out_dir/'config.json').exists():
        raise RuntimeError(f'{nb.name} ran but wrote no run folder at {out_dir.relative_to(ROOT)} (RunFolder with `run`).')
    if rc:
        keep = out_dir/f'{nb.stem}.failed.ipynb'
        if executed.exists(): out_dir.mkdir(parents=True, exist_ok=True); shutil.copy2(executed, keep)
        raise RuntimeError(f'{nb.name} failed at profile {profile}; the partial notebook '
                           f'is {keep.relative_to(ROOT)}. The snapshot was not changed for it.')
    rel = lambda x: str(Path(x).relative_to(ROOT)) if Path(x).is_absolute() and Path(x).is_relative_to(ROOT) else x
    shown = [rel(x) for x in cmd]; shown[0] = 'papermill'; shown[6] = rel(dest/nb.name)
    return executed, out_dir, time.time() - t, shlex.join(shown)

def collect(nb:Path, executed:Path, run_dir:Path, stage:Path)->list:
    "Copy the executed notebook and the kept parts of the run folder into `stage`; return the copied paths."
    files = [stage/nb.name]; shutil.copy2(executed, files[0])
    dst = stage/nb.stem
    for f in [run_dir/'config.json', *sorted(run_dir.glob('*.json'))]:
        if f.is_file() and not (dst/f.name).exists():
            dst.mkdir(parents=True, exist_ok=True); shutil.copy2(f, dst/f.name); files.append(dst/f.name)
    for d in KEEP_DIRS:
        for f in sorted((run_dir/d).glob('*')):
            if f.is_file():
                (dst/d).mkdir(parents=True, exist_ok=True); shutil.copy2(f, dst/d/f.name); files.append(dst/d/f.name)
    return files

def verify(dest:Path)->list:
    "Problems with the snapshot in `dest` (empty: SNAPSHOT.json lists exactly the files there, with their sha256)."
    if not (dest/MANIFEST).exists(): return [f'{dest/MANIFEST} does not exist: run `make snapshot`.']
    man, probs, listed = load_manifest(dest), [], set()
    for name, e in man['notebooks'].items():
        for rel, h in e['files'].items():
            listed.add(rel); p = dest/rel
            if not p.is_file(): probs.append(f'{rel}: listed for {name} but missing')
            elif sha256_file(p) != h: probs.append(f'{rel}: sha256 differs from SNAPSHOT.json (edited after `make snapshot`?)')
    extra = sorted(str(p.relative_to(dest)) for p in dest.rglob('*') if p.is_file() and p.name != MANIFEST
                   and str(p.relative_to(dest)) not in listed)
    probs += [f'{x}: not listed in SNAPSHOT.json' for x in extra]
    return probs

def stale(dest:Path)->list:
    "Study notebooks whose source changed since the snapshot ran them, or that have no snapshot entry."
    man = load_manifest(dest)['notebooks']
    out = [f'{k}: nbs/{k}.ipynb changed since the snapshot ran it' for k, e in man.items() if source_changed(k, e)]
    return out + [f'{n.stem}: not in the snapshot' for n in study_notebooks() if n.stem not in man]

def refresh_index():
    "Re-execute nbs/index.ipynb in place (it reads the snapshot) and clean it as nbdev does."
    idx = ROOT/'nbs'/'index.ipynb'
    if not idx.exists(): return
    from execnb.shell import CaptureShell
    CaptureShell().execute(idx, idx, exc_stop=True)
    subprocess.run([str(BIN/'nbdev_clean'), '--fname', str(idx)], cwd=ROOT, check=True)
    print(f'[snapshot] re-executed {idx.relative_to(ROOT)} against the new snapshot', flush=True)

def install(man:dict, dest:Path, stem:str, stage:Path, staged:list, entry:dict):
    "Replace notebook `stem`'s files in the snapshot `dest` by the `staged` ones and record `entry` (plus their sha256)."
    old = man['notebooks'].pop(stem, None)
    for rel in (old or {}).get('files', {}): (dest/rel).unlink(missing_ok=True)
    shutil.rmtree(dest/stem, ignore_errors=True)
    for f in staged:
        rel = f.relative_to(stage); (dest/rel).parent.mkdir(parents=True, exist_ok=True); shutil.move(f, dest/rel)
    entry['files'] = {str(f.relative_to(stage)): sha256_file(dest/f.relative_to(stage)) for f in staged}
    man['notebooks'] = dict(sorted({**man['notebooks'], stem: entry}.items()))
    (dest/MANIFEST).write_text(json.dumps({'schema': 1, **man}, indent=1) + '\n')

def arguments():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--profile', default='smoke', help='profile for every study notebook (micro | smoke | medium | paper)')
    ap.add_argument('--profile-for', action='append', default=[], metavar='NB=PROFILE',
                    help='another profile for one notebook, e.g. 02_empirical_study=micro (repeatable)')
    ap.add_argument('--only', default='', help='regex on notebook names to (re)run; the others keep their entries')
    ap.add_argument('--dest', default=str(ROOT/'docs'/'snapshot'), help='snapshot folder')
    ap.add_argument('--timeout', type=int, default=4*3600, help='papermill per-cell execution timeout (s)')
    ap.add_argument('--command', default=os.environ.get('SNAPSHOT_COMMAND', ''),
                    help='the command line to record (the Makefile passes its own)')
    ap.add_argument('--nbs-dir', default=str(ROOT/'nbs'), help='where the study notebooks are (papermill still runs in nbs/)')
    ap.add_argument('--no-index', action='store_true', help='do not re-execute nbs/index.ipynb afterwards')
    ap.add_argument('--verify', action='store_true', help='only check the snapshot against SNAPSHOT.json')
    return ap.parse_args()

def main():
    a = arguments()
    dest = Path(a.dest).resolve()
    if a.verify:
        probs = verify(dest)
        print('\n'.join(probs) if probs else f'snapshot OK: {dest} matches {MANIFEST}')
        for w in stale(dest): print(f'note: {w} (refresh with `make snapshot`)')
        sys.exit(1 if probs else 0)
    per = dict(kv.split('=', 1) for kv in a.profile_for)
    nbs = study_notebooks(a.only, a.nbs_dir)
    if not nbs: sys.exit(f'No study notebook (nbs/0[2-9]_*.ipynb) matches {a.only!r}: nothing to snapshot.')
    known = [n.stem for n in study_notebooks('', a.nbs_dir)]
    if bad := sorted(set(per) - set(known)): sys.exit(f'--profile-for names unknown notebooks {bad}; study notebooks: {known}')
    command = a.command or shlex.join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])
    stamp = time.strftime('%Y%m%d-%H%M%S')
    commit, dirty = git('rev-parse', 'HEAD'), git('status', '--porcelain', '--', 'nbs', 'advfilter', 'settings.ini')
    man, mach = load_manifest(dest), machine()
    dest.mkdir(parents=True, exist_ok=True)
    failed = []
    with tempfile.TemporaryDirectory(prefix='advfilter-snapshot-') as tmp:
        for nb in nbs:
            profile = per.get(nb.stem, a.profile)
            work, stage = Path(tmp)/nb.stem/'work', Path(tmp)/nb.stem/'stage'
            work.mkdir(parents=True); stage.mkdir(parents=True)
            try: executed, run_dir, wall, pm_cmd = run_notebook(nb, profile, work, f'snapshot-{stamp}', a.timeout, dest)
            except RuntimeError as e: print(f'[snapshot] FAILED: {e}', flush=True); failed.append(nb.name); continue
            staged = collect(nb, executed, run_dir, stage)  # this notebook's files are replaced only now that the run succeeded
            install(man, dest, nb.stem, stage, staged, {
                'notebook': str(nb.relative_to(ROOT)) if nb.is_relative_to(ROOT) else str(nb), 'profile': profile, 'command': command,
                'papermill': pm_cmd, 'git_commit': commit, 'git_dirty': bool(dirty), 'dirty_paths': dirty.splitlines()[:50],
                'date': time.strftime('%Y-%m-%dT%H:%M:%S%z'), 'wall_s': round(wall, 1), 'machine': mach,
                'run_folder': str(run_dir.relative_to(ROOT)), 'source_sha256': sha256_file(nb)})
            print(f'[snapshot] {nb.name}: {len(staged)} files in {dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest} ({wall:.0f}s)', flush=True)
    if not a.no_index and dest == (ROOT/'docs'/'snapshot').resolve(): refresh_index()
    if failed: sys.exit(f'[snapshot] failed: {failed} (their previous snapshot entries, if any, are kept)')

if __name__ == '__main__': main()
