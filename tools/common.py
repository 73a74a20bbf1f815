"""What the scripts in tools/ share: the repository's places, which notebooks are studies, the docs' page list and
the results snapshot's manifest."""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin/ (papermill, nbdev_test, sphinx-build)
NBS, DOCS = ROOT/'nbs', ROOT/'docs'
STUDY = re.compile(r'^0[2-9]_.*\.ipynb$')  # study notebooks: papermill-parameterised, run end to end
LIBRARY = re.compile(r'^0[01][a-z]*_.*\.ipynb$')  # library notebooks: they export advfilter/*.py
MANIFEST = 'SNAPSHOT.json'  # the results snapshot's manifest, in docs/snapshot/ (tools/snapshot.py)

def notebooks(pattern:re.Pattern, nbs:Path=NBS, only:str='')->list:
    "The notebooks of `nbs` whose names match `pattern` (and the regex `only`), sorted by name."
    return sorted(p for p in Path(nbs).glob('*.ipynb') if pattern.match(p.name) and re.search(only, p.name))

def load_manifest(snap:Path)->dict:
    "The snapshot's manifest `{'notebooks': {stem: entry}}`; an empty one when `snap` has none yet."
    m = Path(snap)/MANIFEST
    return json.loads(m.read_text()) if m.exists() else {'notebooks': {}}

def source_changed(stem:str, entry:dict, nbs:Path=NBS)->bool:
    "Has `nbs/<stem>.ipynb` changed since the snapshot ran it (`entry`: its manifest entry)?"
    from advfilter.runs import sha256_file
    f = Path(nbs)/f'{stem}.ipynb'
    return bool(entry.get('source_sha256')) and f.exists() and sha256_file(f) != entry['source_sha256']

def sidebar(path:Path=NBS/'sidebar.yml')->list:
    "[(section caption or None, [notebook file names])] as nbs/sidebar.yml lists them (Quarto's page list)."
    import yaml
    out = []
    for item in yaml.safe_load(Path(path).read_text())['website']['sidebar']['contents']:
        if isinstance(item, str): out.append((None, [item]))
        else: out.append((item['section'], [c if isinstance(c, str) else c['href'] for c in item['contents']]))
    return out

def _kind(nb:str)->str: return 'study' if STUDY.match(nb) else 'library' if LIBRARY.match(nb) else 'other'

def nav(path:Path=NBS/'sidebar.yml', nbs:Path=NBS)->list:
    """The docs' page list: nbs/sidebar.yml's sections without the notebooks that do not exist, plus every notebook of
    `nbs` it does not list, put in name order into the first section of its kind (study / library), so a new library
    notebook is in the site without editing sidebar.yml."""
    have = {p.name for p in Path(nbs).glob('*.ipynb')}
    secs = [(cap, [nb for nb in nbs_ if nb in have]) for cap, nbs_ in sidebar(path)]
    listed = {nb for _, nbs_ in sidebar(path) for nb in nbs_}
    for nb in sorted(have - listed):
        k = _kind(nb)
        home = next((s for cap, s in secs if cap and s and all(_kind(x) == k for x in s)), None)
        if home is None: secs.append(({'study': 'Studies', 'library': 'Library'}.get(k, 'Other'), home := []))
        home.insert(sum(x < nb for x in home), nb)
    return [(cap, s) for cap, s in secs if s]

def page_name(nb:str)->str:
    "nbdev's output name for a notebook: `04_pafilt.ipynb` -> `pafilt` (as on the Quarto site)."
    from nbdev.doclinks import _nbpath2html
    return _nbpath2html(Path(nb)).stem
