"The page list and notebook kinds shared by tools/ (tools/common.py)."
import textwrap
import common, run_tests

SIDEBAR = textwrap.dedent('''\
    website:
      sidebar:
        contents:
          - index.ipynb
          - section: Studies
            contents:
              - 02_a.ipynb
              - 04_c.ipynb
          - section: Library
            contents:
              - 00_core.ipynb
              - 01_models.ipynb
              - 01c_gone.ipynb
    ''')

def make_nbs(tmp_path, names):
    for n in names: (tmp_path/n).write_text('{}')
    (tmp_path/'sidebar.yml').write_text(SIDEBAR)
    return tmp_path

def test_nav_adds_unlisted_notebooks_by_kind_and_name(tmp_path):
    d = make_nbs(tmp_path, ['index.ipynb', '02_a.ipynb', '03_b.ipynb', '04_c.ipynb', '00_core.ipynb', '00b_device.ipynb',
                            '01_models.ipynb', '01y_gpu_ready.ipynb'])
    got = common.nav(d/'sidebar.yml', d)
    assert got == [(None, ['index.ipynb']), ('Studies', ['02_a.ipynb', '03_b.ipynb', '04_c.ipynb']),
                   ('Library', ['00_core.ipynb', '00b_device.ipynb', '01_models.ipynb', '01y_gpu_ready.ipynb'])]

def test_nav_drops_listed_notebooks_that_do_not_exist(tmp_path):
    d = make_nbs(tmp_path, ['index.ipynb', '00_core.ipynb'])
    assert common.nav(d/'sidebar.yml', d) == [(None, ['index.ipynb']), ('Library', ['00_core.ipynb'])]
    assert '01c_gone.ipynb' in [nb for _, nbs in common.sidebar(d/'sidebar.yml') for nb in nbs]

def test_nav_opens_a_section_for_a_kind_it_lacks(tmp_path):
    (tmp_path/'sidebar.yml').write_text("website:\n  sidebar:\n    contents:\n      - index.ipynb\n")
    for n in ['index.ipynb', '01g_cost.ipynb', '02_a.ipynb']: (tmp_path/n).write_text('{}')
    assert common.nav(tmp_path/'sidebar.yml', tmp_path) == [(None, ['index.ipynb']), ('Library', ['01g_cost.ipynb']),
                                                            ('Studies', ['02_a.ipynb'])]

def test_notebook_kinds():
    lib = ['00_core.ipynb', '00b_device.ipynb', '01g_cost.ipynb', '01y_gpu_ready.ipynb', '01ea_threat.ipynb', '01eb_denoisers.ipynb']
    study = ['02_empirical_study.ipynb', '05_adv_training.ipynb']
    assert all(common.LIBRARY.match(n) and not common.STUDY.match(n) for n in lib)
    assert all(common.STUDY.match(n) and not common.LIBRARY.match(n) for n in study)
    assert not common.LIBRARY.match('index.ipynb') and not common.STUDY.match('index.ipynb')

def test_every_notebook_of_the_repo_has_its_own_page_and_is_tested():
    "Each notebook of nbs/ is in the site under a page name no other notebook has, and `make test` runs it."
    listed = [nb for _, nbs in common.nav() for nb in nbs]
    every = sorted(p.name for p in common.NBS.glob('*.ipynb'))
    assert sorted(listed) == every
    pages = [common.page_name(nb) for nb in listed]
    assert len(set(pages)) == len(pages), pages
    tested = [p.name for p in run_tests.lib_notebooks() + run_tests.study_notebooks()]
    assert sorted(tested) == every
    assert not {p.name for p in run_tests.lib_notebooks()} & {p.name for p in run_tests.study_notebooks()}

def test_source_changed(tmp_path):
    from advfilter.runs import sha256_file
    (tmp_path/'02_a.ipynb').write_text('{"cells": []}')
    e = {'source_sha256': sha256_file(tmp_path/'02_a.ipynb')}
    assert not common.source_changed('02_a', e, tmp_path)
    (tmp_path/'02_a.ipynb').write_text('{"cells": [1]}')
    assert common.source_changed('02_a', e, tmp_path)
    assert not common.source_changed('02_a', {}, tmp_path) and not common.source_changed('02_gone', e, tmp_path)

def test_load_manifest(tmp_path):
    assert common.load_manifest(tmp_path) == {'notebooks': {}}
    (tmp_path/common.MANIFEST).write_text('{"schema": 1, "notebooks": {"02_a": {}}}')
    assert common.load_manifest(tmp_path)['notebooks'] == {'02_a': {}}
