"""Build the offline docs site into `site/` (`make docs`): Sphinx + MyST-NB render the notebooks that nbdev's Quarto
docs (`nbdev_docs`) render, in the order of `nbs/sidebar.yml` (a notebook it does not list yet is added to its
section by name: `common.nav`), with no network and no Quarto.

Where each page comes from:

* **home** — `nbs/index.ipynb`, executed during the build with papermill on the `advfilter` kernel, so its headline
  results are always those of the committed results snapshot (`docs/snapshot/`, written by `make snapshot`);
* **study pages** (`nbs/0[2-9]_*.ipynb`) — the snapshot's executed notebooks (`docs/snapshot/<notebook>.ipynb`), with a
  note saying which command, profile, machine and commit made them and links to the run's tables and figures; a study
  that is not in the snapshot yet is shown from its source, without outputs, and says so;
* **library pages** — the source notebooks with their stored outputs (they are not re-run: `make test` runs them).

Every notebook first goes through nbdev's own docs processors (`nbdev.processors.FilterDefaults`, as `nbdev_docs`
does): `#| hide` and export cells dropped, a `show_doc` for every exported symbol added and executed, `# title` /
`> summary` turned into the page title, and symbol names in backticks linked to their docs. What Quarto would then
interpret itself — cell options such as `#| echo: false`, callout divs, links to `.html` pages — is translated to
MyST-NB's equivalents (cell tags, directives, links between notebooks). Pages keep nbdev's names (`core.html`,
`pafilt.html`, …), as on the Quarto site. That translation (`to_myst`, ~100 lines, tested in tools/tests/) is the
only part written here: MyST-NB renders .ipynb but reads no Quarto cell options or callouts, and neither nbconvert nor
jupytext translates them; Quarto itself is the one tool that does, and it is not available offline.

    .venv/bin/python tools/build_docs.py                # -> site/
    .venv/bin/python tools/build_docs.py --keep /tmp/x  # keep the staged Sphinx sources for debugging
"""
import argparse, json, multiprocessing, os, re, shutil, subprocess, sys, tempfile, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, BIN, NBS, DOCS, STUDY, load_manifest, nav, page_name, sidebar, source_changed  # noqa: E402
from myst_parser.slugs import github_slugify as slug  # MyST's own heading anchors (myst_heading_anchors)
from nbdev.processors import FilterDefaults, exec_show_docs
from nbdev.frontmatter import _fm2dict

CALLOUTS = {'note': 'note', 'tip': 'tip', 'warning': 'warning', 'important': 'important', 'caution': 'caution'}

# ---------------------------------------------------------------- nbdev processing

def run(cmd, **kw):
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)
    if r.returncode: sys.exit(f"failed: {' '.join(map(str, cmd))}\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}")
    return r

def execute_index(dst:Path, snap:Path):
    "Run nbs/index.ipynb with papermill on the `advfilter` kernel (it reads the snapshot)."
    env = {**os.environ, 'ADVFILTER_SNAPSHOT': str(snap)}
    run([str(BIN/'papermill'), '-k', 'advfilter', '--cwd', str(NBS), '--no-progress-bar', str(NBS/'index.ipynb'), str(dst)], env=env)

class NoExec(FilterDefaults):
    "nbdev's processors without `exec_show_docs` (the `--keep-going` fallback: show_doc cells stay without output)."
    def base_procs(self): return [p for p in super().base_procs() if p is not exec_show_docs]

def _proc_one(src:str, dst:str, safe:bool)->tuple:
    "Worker: nbdev's docs processors on one notebook; returns (dst, error or None, seconds, cells mixing imports and code)."
    import warnings, nbdev.serve_drv
    os.chdir(ROOT)  # nbdev finds settings.ini from the working folder
    t = time.time()
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter('always')
        try: nbdev.serve_drv.main((Path(src), Path(dst), NoExec if safe else FilterDefaults)); err = None
        except Exception as e: err = f'{e}'
    return dst, err, round(time.time() - t, 1), [str(w.message).split('\n---\n')[1].strip() for w in ws if 'imports and other code' in str(w.message)]

def _parallel(jobs:list, n_workers:int)->list:
    "`_proc_one` on each (src, dst, safe), in a fresh process per notebook so each notebook's show_doc code runs apart."
    if not jobs: return []
    with ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context('spawn'), max_tasks_per_child=1) as ex:
        return list(ex.map(_proc_one, *zip(*[(str(s), str(d), safe) for s, d, safe in jobs])))

def nbdev_process(jobs:list, n_workers:int, keep_going:bool=False)->dict:
    "Apply nbdev's docs processors to each (src, dst), in worker processes as `nbdev_docs` does; {dst: problem}."
    res = _parallel([(s, d, False) for s, d in jobs], n_workers)
    probs = {}
    print('[docs] nbdev processing (s): ' + ', '.join(f'{Path(d).stem} {t}' for d, _, t, _ in res), flush=True)
    for dst, err, _, mixed in res:
        for m in mixed: print(f"[docs] {Path(dst).name}: nbdev's docs processors execute this cell because it mixes imports "
                              f"and other code (put the imports in a cell of their own):\n    " + '\n    '.join(m.splitlines()[:3]) + '\n    ...', flush=True)
        if err:
            probs[dst] = err.splitlines()[0]
            print(f"[docs] {Path(dst).name}: nbdev's docs processors failed (so would `nbdev_docs`): {err[:1500]}", flush=True)
    if probs and not keep_going:
        sys.exit(f"[docs] failed on {sorted(Path(d).name for d in probs)}; fix the cells above, or pass --keep-going to "
                 "render those pages without executed show_doc output")
    if probs: _parallel([(s, d, True) for s, d in jobs if str(d) in probs], n_workers)
    return probs

# ---------------------------------------------------------------- Quarto -> MyST-NB

_re_opt = re.compile(r'^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')

def cell_options(cell:dict)->tuple:
    "Split the leading `#| key: value` Quarto options off a code cell's source: (options, rest)."
    lines, opts = cell['source'].splitlines(), {}
    while lines and (m := _re_opt.match(lines[0])): opts[m.group(1)] = m.group(2).strip('"\''); lines.pop(0)
    return opts, '\n'.join(lines)

def tags_for(opts:dict)->list:
    "MyST-NB cell tags for Quarto cell options."
    f = lambda k: opts.get(k, '').lower() == 'false'
    if f('include'): return ['remove-cell']
    tags = (['remove-input'] if f('echo') else []) + (['remove-output'] if f('output') else [])
    if 'code-fold' in opts and 'remove-input' not in tags: tags.append('hide-input')
    return tags

def fenced_divs(md:str)->str:
    "Quarto callouts `::: {.callout-note}` -> MyST `:::{note}`; other fenced divs are dropped (their content kept)."
    out, stack = [], []
    for line in md.splitlines():
        m = re.match(r'^(:{3,})\s*\{(.*)\}\s*$', line)
        if m:
            c = re.search(r'\.callout-(\w+)', m.group(2))
            stack.append(bool(c))
            if c: out.append(f"{m.group(1)}{{{CALLOUTS.get(c.group(1), 'note')}}}")
            continue
        if re.match(r'^:{3,}\s*$', line) and stack:
            if stack.pop(): out.append(line)
            continue
        out.append(line)
    return '\n'.join(out)

class Links:
    "Rewrite nbdev/Quarto links (`core.html#x`, `https://<doc_host>/core.html#x`, `01_models.ipynb`) to MyST links."
    def __init__(self, pages:dict, # page name -> staged notebook file, e.g. 'core' -> 'core.ipynb'
                 anchors:dict, # page name -> set of heading slugs on that page
                 src2page:dict, # source notebook stem -> page name, e.g. '00_core' -> 'core'
                 base:str): # the Quarto site's URL (nbdev links symbols there)
        self.pages, self.anchors, self.src2page, self.base = pages, anchors, src2page, base.rstrip('/') + '/'
    def target(self, url:str):
        "The MyST link for `url`, or None to leave it alone (external, or not a page of the site)."
        if url.startswith(self.base): url = url[len(self.base):]
        if re.match(r'^[a-z]+:', url) or url.startswith('#'): return None
        path, _, frag = url.partition('#')
        if Path(path).suffix not in ('.html', '.ipynb', '.qmd'): return None
        name = Path(path).stem
        name = name if name in self.pages else self.src2page.get(name)
        if not name: return None
        have = self.anchors.get(name, set())
        a = slug(frag) if frag else ''
        if a not in have: a = slug(frag.split('.')[0]) if frag and slug(frag.split('.')[0]) in have else ''  # method -> its class
        return self.pages[name] + (f'#{a}' if a else '')
    def __call__(self, md:str)->str:
        def sub(m):
            t = self.target(m.group(2))
            return f'[{m.group(1)}]({t})' if t else m.group(0)
        return re.sub(r'\[([^\]]*)\]\(([^)\s]+)\)', sub, md)

def heading_anchors(nb:dict)->set:
    "The heading slugs of a processed notebook (markdown cells and markdown outputs such as `show_doc`)."
    txt = [_src(c) for c in nb['cells'] if c['cell_type'] == 'markdown']
    txt += [''.join(o.get('data', {}).get('text/markdown', '')) for c in nb['cells'] for o in c.get('outputs', [])]
    return {slug(m) for t in txt for m in re.findall(r'^#{1,6}\s+(.+?)\s*$', t, flags=re.M)}

def _src(c): return ''.join(c['source']) if isinstance(c.get('source'), list) else (c.get('source') or '')

def to_myst(nb:dict, links:Links, note:str|None=None, toctree:list|None=None)->dict:
    "Translate one nbdev-processed notebook into what MyST-NB renders like Quarto would."
    cells = []
    for c in nb['cells']:
        c['source'] = _src(c)
        if not c['source'].strip() and not c.get('outputs'): continue  # cells nbdev emptied (hide, export)
        if c['cell_type'] == 'raw':
            fm = _fm2dict(c['source'])  # nbdev's frontmatter cell: title and description
            if not fm: continue
            c = {'cell_type': 'markdown', 'metadata': {}, 'source': f"# {fm.get('title', '')}\n"
                 + (f"\n{{.description}}\n{fm['description']}\n" if fm.get('description') else '')}
            cells.append(c)
            if note: cells.append({'cell_type': 'markdown', 'metadata': {}, 'source': note})
            continue
        if c['cell_type'] == 'markdown': c['source'] = links(fenced_divs(c['source']))
        if c['cell_type'] == 'code':
            opts, c['source'] = cell_options(c)
            tags = tags_for(opts)
            if tags: c.setdefault('metadata', {})['tags'] = sorted(set(c['metadata'].get('tags', [])) | set(tags))
            for o in c.get('outputs', []):
                md = o.get('data', {}).get('text/markdown')
                if md is not None:
                    md = ''.join(md) if isinstance(md, list) else md
                    o['data']['text/markdown'] = links(fenced_divs(re.sub(r'^---\s*$', '', md, flags=re.M)))
        cells.append(c)
    if toctree:
        for cap, names in toctree:
            cells.append({'cell_type': 'markdown', 'metadata': {},
                          'source': '```{toctree}\n:hidden:\n' + (f':caption: {cap}\n' if cap else '') + '\n' + '\n'.join(names) + '\n```'})
    keep = {'cell_type', 'metadata', 'source', 'outputs', 'execution_count', 'id', 'attachments'}
    nb['cells'] = [{k: v for k, v in c.items() if k in keep} for c in cells]  # nbdev leaves e.g. `has_sd` behind
    nb['metadata'].setdefault('language_info', {'name': 'python', 'pygments_lexer': 'ipython3'})
    nb['metadata'].setdefault('kernelspec', {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'})
    return nb

def expected(nb:dict)->dict:
    "How many tables and figures a rendered page must show: the outputs of its cells that are not removed."
    t = i = 0
    for c in nb['cells']:
        tags = set(c.get('metadata', {}).get('tags', []))
        if tags & {'remove-cell', 'remove-output'}: continue
        for o in c.get('outputs', []):
            d = o.get('data', {})
            i += any(k.startswith('image/') for k in d)
            h = d.get('text/html'); h = ''.join(h) if isinstance(h, list) else (h or '')
            m = d.get('text/markdown'); m = ''.join(m) if isinstance(m, list) else (m or '')
            if h: t += h.count('<table')
            elif re.search(r'^\|.*\|\s*\n\|[\s:|-]+\|', m, flags=re.M): t += 1  # a Markdown table (e.g. show_doc's)
    return {'tables': t, 'images': i}

def study_note(name:str, e:dict|None, files:list)->str:
    "The provenance note at the top of a study page."
    if e is None:
        return (":::{warning}\nThis study is not in the results snapshot yet (`docs/snapshot/SNAPSHOT.json`), so it is shown "
                "from its source notebook **without outputs**. Run `make snapshot` to add it.\n:::")
    m = e['machine']
    links = ', '.join(f'[{Path(f).name}]({f})' for f in files) or 'none'
    return (":::{note}\n**Results snapshot.** This page is the notebook as executed by `make snapshot` "
            f"(`{e['command']}`) at profile **`{e['profile']}`**, commit `{e['git_commit'][:10]}`"
            + (' (uncommitted changes present)' if e['git_dirty'] else '')
            + f", on {m['cpu_count']} CPUs / {m['device']} ({m['platform']}), {e['date'][:16].replace('T', ' ')}, "
            f"in {e['wall_s'] / 60:.1f} minutes."
            + (f"\n\n**`nbs/{name}.ipynb` has changed since**: this page shows the notebook as it was then."
               if source_changed(name, e) else '')
            + f"\n\nExact run: `{e['papermill']}`\n\nThe run's files: {links}\n:::")

# ---------------------------------------------------------------- build

def sources(listed:list, man:dict, snap:Path, raw:Path)->tuple:
    "Where each page's notebook comes from: ([(notebook to process, its processed copy's name)], {notebook: origin})."
    origin, jobs = {}, []
    for nb in listed:
        stem = Path(nb).stem
        if nb == 'index.ipynb':
            t = time.time(); execute_index(raw/nb, snap); origin[nb] = f'executed now ({time.time() - t:.0f}s)'; s = raw/nb
        elif STUDY.match(nb) and stem in man:
            shutil.copy2(snap/nb, raw/nb); s = raw/nb; origin[nb] = f"snapshot ({man[stem]['profile']})"
        else: s = NBS/nb; origin[nb] = 'source, stored outputs' if not STUDY.match(nb) else 'source, NOT in the snapshot'
        jobs.append((s, nb))
    return jobs, origin

def snapshot_files(stem:str, man:dict, snap:Path, src:Path)->list:
    "Copy a study's run files from the snapshot beside the pages; their links from the page."
    files = [f for f in man[stem]['files'] if f != f'{stem}.ipynb'] if stem in man else []
    for f in files: (src/'snapshot'/f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(snap/f, src/'snapshot'/f)
    return [f'snapshot/{f}' for f in files]

def write_pages(procd:dict, toc:list, man:dict, snap:Path, src:Path)->dict:
    "Translate each processed notebook to a MyST-NB page in `src`; {page: tables and figures it must show}."
    from nbdev.config import get_config
    cfg, expect = get_config(), {}
    pages = {page_name(nb): f'{page_name(nb)}.ipynb' for nb in procd}
    links = Links(pages, {page_name(nb): heading_anchors(n) for nb, n in procd.items()},
                  {Path(nb).stem: page_name(nb) for nb in procd}, f'{cfg.doc_host}{cfg.doc_baseurl}')
    for nb, n in procd.items():
        stem = Path(nb).stem
        note = study_note(stem, man.get(stem), snapshot_files(stem, man, snap, src)) if STUDY.match(nb) else None
        out = to_myst(n, links, note=note, toctree=toc if nb == 'index.ipynb' else None)
        (src/pages[page_name(nb)]).write_text(json.dumps(out, indent=1))
        expect[page_name(nb)] = expected(out)
    return expect

def stage(tmp:Path, snap:Path, n_workers:int, keep_going:bool=False)->dict:
    "Write the Sphinx source folder `tmp/src`; return {'pages': {page: origin}, 'expect': {page: counts}}."
    menu, man = nav(), load_manifest(snap)['notebooks']
    listed = [nb for _, nbs in menu for nb in nbs]
    if extra := sorted(set(listed) - {nb for _, nbs in sidebar() for nb in nbs}):
        print(f'[docs] not in nbs/sidebar.yml, added to the site by name: {extra}', flush=True)
    raw, proc, src = tmp/'raw', tmp/'proc', tmp/'src'
    for d in (raw, proc, src): d.mkdir(parents=True)
    jobs, origin = sources(listed, man, snap, raw)
    t = time.time(); probs = nbdev_process([(s, proc/nb) for s, nb in jobs], n_workers, keep_going)
    print(f'[docs] nbdev processors on {len(jobs)} notebooks: {time.time() - t:.0f}s', flush=True)
    toc = [(cap, [page_name(nb) for nb in nbs if nb != 'index.ipynb']) for cap, nbs in menu]
    expect = write_pages({nb: json.loads((proc/nb).read_text()) for nb in listed}, [t for t in toc if t[1]], man, snap, src)
    for nb in listed: expect[page_name(nb)]['from_snapshot'] = origin[nb].startswith('snapshot')
    shutil.copy2(DOCS/'conf.py', src/'conf.py')
    if (DOCS/'_static').exists(): shutil.copytree(DOCS/'_static', src/'_static')
    return {'pages': {page_name(nb): origin[nb] + (' (show_doc NOT executed: nbdev processing failed)' if str(proc/nb) in probs else '')
                      for nb in listed}, 'expect': expect}

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default=str(ROOT/'site'), help='the site folder (replaced)')
    ap.add_argument('--snapshot', default=str(DOCS/'snapshot'), help='the results snapshot folder')
    ap.add_argument('--keep', default='', help='stage the Sphinx sources in this folder (kept) instead of a temporary one')
    ap.add_argument('--workers', type=int, default=min(2, os.cpu_count() or 1), help='processes for nbdev processing')
    ap.add_argument('--keep-going', action='store_true', help="render a notebook whose show_doc execution fails without it")
    ap.add_argument('--strict', action='store_true', help='fail on any Sphinx warning')
    a = ap.parse_args()
    t0, out, snap = time.time(), Path(a.out).resolve(), Path(a.snapshot).resolve()
    if not (snap/'SNAPSHOT.json').exists():
        print(f'[docs] no results snapshot at {snap} (run `make snapshot`): study pages are shown without outputs', flush=True)
    with tempfile.TemporaryDirectory(prefix='advfilter-docs-') as tmp:
        tmp = Path(a.keep).resolve() if a.keep else Path(tmp)
        if a.keep: shutil.rmtree(tmp, ignore_errors=True)
        info = stage(tmp, snap, a.workers, a.keep_going)
        # build beside the sources (MyST-NB writes `jupyter_execute/` next to the output folder), then move into place
        cmd = [str(BIN/'sphinx-build'), '-b', 'html', '-q', '-d', str(tmp/'doctrees'), str(tmp/'src'), str(tmp/'html')]
        if a.strict: cmd.insert(1, '-W')
        t = time.time(); r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        warns = [l for l in r.stderr.splitlines() if 'WARNING' in l or 'ERROR' in l]
        for w in warns: print('[sphinx]', w.replace(str(tmp/'src') + '/', ''))
        if r.returncode: sys.exit(f'[docs] sphinx-build failed (exit {r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}')
        shutil.rmtree(out, ignore_errors=True); shutil.move(tmp/'html', out)
    info['snapshot'] = str(snap)
    (out/'pages.json').write_text(json.dumps(info, indent=1) + '\n')  # what tools/check_site.py checks against
    for p, o in info['pages'].items(): print(f'[docs] {p + ".html":28} <- {o}')
    print(f'[docs] site/ built in {time.time() - t0:.0f}s (sphinx {time.time() - t:.0f}s, {len(warns)} warnings): {out}/index.html')

if __name__ == '__main__': main()
