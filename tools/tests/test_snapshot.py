"The results snapshot verifier (`tools/snapshot.py --verify`) on a copy of the committed docs/snapshot/."
import json, shutil, sys
import pytest
import common, snapshot

@pytest.fixture(scope='module')
def snap(tmp_path_factory):
    "A copy of the committed snapshot (the tests edit it)."
    src = common.DOCS/'snapshot'
    if not (src/common.MANIFEST).exists(): pytest.skip('no committed snapshot docs/snapshot/')
    d = tmp_path_factory.mktemp('snap')/'snapshot'
    shutil.copytree(src, d)
    return d

@pytest.fixture
def copy(snap, tmp_path):
    d = tmp_path/'snapshot'; shutil.copytree(snap, d); return d

def listed(d):
    return [(nb, rel) for nb, e in common.load_manifest(d)['notebooks'].items() for rel in e['files']]

def cli(d, monkeypatch)->int:
    "`snapshot.py --verify --dest d`'s exit status."
    monkeypatch.setattr(sys, 'argv', ['snapshot.py', '--verify', '--dest', str(d)])
    with pytest.raises(SystemExit) as e: snapshot.main()
    return e.value.code

def test_committed_snapshot_verifies(copy, monkeypatch, capsys):
    assert listed(copy), 'the manifest lists no files'
    assert snapshot.verify(copy) == []
    assert cli(copy, monkeypatch) == 0
    assert 'snapshot OK' in capsys.readouterr().out

def test_an_edited_table_fails(copy, monkeypatch):
    nb, rel = next(x for x in listed(copy) if x[1].endswith('.csv'))
    with open(copy/rel, 'a') as f: f.write('\n')
    assert snapshot.verify(copy) == [f'{rel}: sha256 differs from SNAPSHOT.json (edited after `make snapshot`?)']
    assert cli(copy, monkeypatch) == 1

def test_a_missing_an_extra_and_an_edited_notebook_each_fail(copy):
    nb, rel = listed(copy)[-1]
    (copy/rel).unlink()
    (copy/'by_hand.csv').write_text('a\n1\n')
    ex = f'{nb}.ipynb'
    book = json.loads((copy/ex).read_text()); book['cells'] = book['cells'][:-1]; (copy/ex).write_text(json.dumps(book))
    probs = snapshot.verify(copy)
    assert f'{rel}: listed for {nb} but missing' in probs
    assert 'by_hand.csv: not listed in SNAPSHOT.json' in probs
    assert any(p.startswith(f'{ex}: sha256 differs') for p in probs)
    assert len(probs) == 3

def test_no_manifest_fails(tmp_path, monkeypatch):
    assert 'does not exist' in snapshot.verify(tmp_path)[0]
    assert cli(tmp_path, monkeypatch) == 1

def test_the_manifest_checksums_are_the_runs_checksums(copy):
    "snapshot.py records `advfilter.runs.sha256_file` (one hasher for the project)."
    from advfilter.runs import sha256_file
    nb, rel = listed(copy)[0]
    assert common.load_manifest(copy)['notebooks'][nb]['files'][rel] == sha256_file(copy/rel)

def test_install_replaces_one_notebooks_files_and_keeps_the_snapshot_verifiable(copy, tmp_path):
    man = common.load_manifest(copy)
    stem, other = list(man['notebooks'])[:2]
    old = list(man['notebooks'][stem]['files'])
    stage = tmp_path/'stage'; (stage/stem/'tables').mkdir(parents=True)
    staged = [stage/f'{stem}.ipynb', stage/stem/'tables'/'new.csv']
    staged[0].write_text('{"cells": []}'); staged[1].write_text('a\n2\n')
    snapshot.install(man, copy, stem, stage, staged, {'profile': 'micro'})
    assert snapshot.verify(copy) == []
    got = common.load_manifest(copy)
    assert set(got['notebooks'][stem]['files']) == {f'{stem}.ipynb', f'{stem}/tables/new.csv'}
    assert got['notebooks'][stem]['profile'] == 'micro' and got['schema'] == 1
    assert not any((copy/rel).exists() for rel in old if rel not in got['notebooks'][stem]['files'])
    assert got['notebooks'][other] == common.load_manifest(common.DOCS/'snapshot')['notebooks'][other]  # the others kept
    assert list(got['notebooks']) == sorted(got['notebooks'])

def test_collect_keeps_tables_figures_and_json_not_checkpoints(tmp_path):
    run = tmp_path/'run'
    for f in ['config.json', 'verdict.json', 'tables/t1.csv', 'tables/t1_outcomes.csv', 'figures/f.png', 'ckpt/model.pt', 'log.txt']:
        (run/f).parent.mkdir(parents=True, exist_ok=True); (run/f).write_text(f)
    (tmp_path/'exec.ipynb').write_text('{}'); stage = tmp_path/'stage'; stage.mkdir()
    files = snapshot.collect(tmp_path/'02_x.ipynb', tmp_path/'exec.ipynb', run, stage)
    got = sorted(str(f.relative_to(stage)) for f in files)
    assert got == sorted(['02_x.ipynb', '02_x/config.json', '02_x/verdict.json', '02_x/tables/t1.csv',
                          '02_x/tables/t1_outcomes.csv', '02_x/figures/f.png'])
    assert all(f.is_file() for f in files) and (stage/'02_x'/'tables'/'t1.csv').read_text() == 'tables/t1.csv'
