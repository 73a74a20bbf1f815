"The docs build's notebook -> MyST-NB translation (tools/build_docs.py), on small notebooks made here."
import json, os
import pytest
import build_docs as bd
import common

BASE = 'https://advfilter.github.io/advfilter/'

def md(s, **kw): return {'cell_type': 'markdown', 'metadata': {}, 'source': s, **kw}
def code(s, outputs=(), **kw): return {'cell_type': 'code', 'metadata': {}, 'source': s, 'outputs': list(outputs),
                                       'execution_count': 1, **kw}
def out_md(s): return {'output_type': 'display_data', 'data': {'text/markdown': s}, 'metadata': {}}

@pytest.fixture
def links():
    return bd.Links({'core': 'core.ipynb', 'pafilt': 'pafilt.ipynb'}, {'core': {'pixel_filter', 'kpn'}, 'pafilt': set()},
                    {'00_core': 'core', '04_pafilt': 'pafilt'}, BASE)

def test_cell_options_become_tags_and_leave_the_source():
    opts, rest = bd.cell_options(code('#| echo: false\n#| output: "asis"\nx = 1\n#| not an option'))
    assert opts == {'echo': 'false', 'output': 'asis'} and rest == 'x = 1\n#| not an option'
    assert bd.tags_for({'echo': 'false'}) == ['remove-input']
    assert bd.tags_for({'output': 'false'}) == ['remove-output']
    assert bd.tags_for({'include': 'false', 'echo': 'false'}) == ['remove-cell']
    assert bd.tags_for({'code-fold': 'true'}) == ['hide-input']
    assert bd.tags_for({'code-fold': 'true', 'echo': 'false'}) == ['remove-input']
    assert bd.tags_for({'echo': 'true', 'output': 'asis'}) == []

def test_callouts_become_admonitions_other_divs_keep_their_content():
    src = '::: {.callout-warning}\nCareful\n:::\n\n::: {.column-margin}\nside\n:::\n:::: {.callout-foo}\nx\n::::'
    assert bd.fenced_divs(src) == ':::{warning}\nCareful\n:::\n\nside\n::::{note}\nx\n::::'

def test_links_go_to_pages_and_anchors_of_the_site(links):
    assert links.target(f'{BASE}core.html#pixel_filter') == 'core.ipynb#pixel_filter'
    assert links.target('core.html#kpn.forward') == 'core.ipynb#kpn'  # a method -> its class's heading
    assert links.target('04_pafilt.ipynb') == 'pafilt.ipynb'  # a source notebook -> its page
    assert links.target('core.html#nowhere') == 'core.ipynb'
    for url in ['https://pytorch.org/x.html', '#local', 'other.html', 'core.png', 'mailto:a@b']:
        assert links.target(url) is None, url
    assert links('see [`pixel_filter`](https://advfilter.github.io/advfilter/core.html#pixel_filter) and [x](y.html)') \
        == 'see [`pixel_filter`](core.ipynb#pixel_filter) and [x](y.html)'

def test_heading_anchors_are_myst_slugs():
    nb = {'cells': [md('# The Filter: Eq. 7\n## pixel_filter'), code('', [out_md('### KPN.forward\n\ntext')])]}
    assert bd.heading_anchors(nb) == {'the-filter-eq-7', 'pixel_filter', 'kpnforward'}

def processed_nb():
    "What nbdev's docs processors leave: frontmatter raw cell, emptied hidden/export cells, show_doc output."
    fm = '---\ndescription: A summary\noutput-file: core.html\ntitle: core\n---\n\n'
    return {'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5, 'cells': [
        {'cell_type': 'raw', 'metadata': {}, 'source': fm},
        {'cell_type': 'raw', 'metadata': {}, 'source': 'not frontmatter'},
        code('', []),  # a `#| hide` cell nbdev emptied
        md(['See [core](00_core.ipynb).\n', '::: {.callout-note}\nhi\n:::']),
        code('#| echo: false\nshow_doc(f)', [out_md('---\n\n### f\n\n|   | Type |\n|--|--|\n| x | int |\n')], has_sd=True),
        code('#| include: false\nsecret()', [{'output_type': 'display_data', 'data': {'image/png': 'AA=='}, 'metadata': {}}]),
        code('plot()', [{'output_type': 'display_data', 'data': {'image/png': 'AA==', 'text/html': '<table></table><table>'}, 'metadata': {}}]),
    ]}

def test_to_myst_renders_what_quarto_would(links):
    out = bd.to_myst(processed_nb(), links, note=':::{note}\nfrom the snapshot\n:::', toctree=[('Library', ['core', 'pafilt'])])
    src = [c['source'] for c in out['cells']]
    assert src[0] == '# core\n\n{.description}\nA summary\n' and src[1].startswith(':::{note}\nfrom the snapshot')
    assert src[2] == 'See [core](core.ipynb).\n:::{note}\nhi\n:::'
    assert src[3] == 'show_doc(f)' and out['cells'][3]['metadata']['tags'] == ['remove-input']
    assert not out['cells'][3]['outputs'][0]['data']['text/markdown'].startswith('---')
    assert out['cells'][4]['metadata']['tags'] == ['remove-cell']
    assert src[-1] == '```{toctree}\n:hidden:\n:caption: Library\n\ncore\npafilt\n```'
    assert len(out['cells']) == 7 and all('has_sd' not in c for c in out['cells'])
    assert out['metadata']['kernelspec']['name'] == 'python3'
    assert bd.expected(out) == {'tables': 3, 'images': 1}  # show_doc's Markdown table + 2 HTML; the removed cell's figure not

def test_study_note_says_where_the_page_comes_from():
    assert 'without outputs' in bd.study_note('02_x', None, [])
    e = {'machine': {'cpu_count': 2, 'device': 'cpu', 'platform': 'Linux'}, 'command': 'make snapshot', 'profile': 'smoke',
         'git_commit': '0123456789abcdef', 'git_dirty': True, 'date': '2026-11-29T10:00:00+0000', 'wall_s': 90,
         'papermill': 'papermill nbs/02_x.ipynb', 'source_sha256': None}
    note = bd.study_note('02_x', e, ['snapshot/02_x/tables/t.csv'])
    for s in ['`make snapshot`', '**`smoke`**', '`0123456789`', 'uncommitted', '1.5 minutes', '[t.csv](snapshot/02_x/tables/t.csv)']:
        assert s in note, s
    assert 'has changed since' not in note
    e['source_sha256'] = '0' * 64
    e['machine']['cpu_count'] = 16
    assert 'has changed since' not in bd.study_note('02_no_such_notebook', e, [])

def test_nbdev_processing_then_translation_of_a_notebook(tmp_path, links):
    "nbdev's own docs processors (without show_doc execution) and then `to_myst`, as the build does for a library page."
    nb = {'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}}, 'nbformat': 4,
          'nbformat_minor': 5, 'cells': [
              {**md('# Things\n\n> What they do'), 'id': 'a'},
              {**code('#| hide\nimport os'), 'id': 'b'},
              {**code('#| echo: false\nprint(1)', [{'output_type': 'stream', 'name': 'stdout', 'text': '1\n'}]), 'id': 'c'},
              {**md('## Use\n\n::: {.callout-tip}\nTip\n:::'), 'id': 'd'}]}
    (tmp_path/'x.ipynb').write_text(json.dumps(nb))
    cwd = os.getcwd()
    try: dst, err, _, _ = bd._proc_one(str(tmp_path/'x.ipynb'), str(tmp_path/'p.ipynb'), True)
    finally: os.chdir(cwd)
    assert err is None
    out = bd.to_myst(json.loads((tmp_path/'p.ipynb').read_text()), links)
    src = [c['source'] for c in out['cells']]
    assert src[0] == '# Things\n\n{.description}\nWhat they do\n'
    assert not any('import os' in s for s in src)  # the hidden cell is gone
    c = next(c for c in out['cells'] if c['source'] == 'print(1)')
    assert c['metadata']['tags'] == ['remove-input'] and c['outputs']
    assert src[-1].endswith(':::{tip}\nTip\n:::')

def test_the_docs_config_renders_what_the_translation_emits():
    "docs/conf.py enables the MyST syntax `to_myst` writes (`:::` directives, `{.description}` attributes, $math$)."
    ns = {'__file__': str(common.DOCS/'conf.py')}
    exec(compile((common.DOCS/'conf.py').read_text(), 'conf.py', 'exec'), ns)
    assert {'colon_fence', 'attrs_block', 'dollarmath'} <= set(ns['myst_enable_extensions'])
    assert ns['nb_execution_mode'] == 'off' and 'myst_nb' in ns['extensions']

def test_write_pages_links_pages_and_brings_the_snapshot_files(tmp_path):
    "A library page and a study page from a (made-up) snapshot: names, links between them, provenance note, run files."
    snap, src = tmp_path/'snap', tmp_path/'src'
    (snap/'02_x'/'tables').mkdir(parents=True); src.mkdir()
    (snap/'02_x'/'tables'/'t.csv').write_text('a\n1\n')
    man = {'02_x': {'files': {'02_x.ipynb': '', '02_x/tables/t.csv': ''}, 'machine': {'cpu_count': 2, 'device': 'cpu', 'platform': 'L'},
                    'command': 'make snapshot', 'profile': 'smoke', 'git_commit': 'abc', 'git_dirty': False,
                    'date': '2026-11-29T10:00', 'wall_s': 60, 'papermill': 'papermill 02_x'}}
    lib = {'metadata': {}, 'cells': [md('## pixel_filter'), md(f'Used in [the study]({BASE}x.html).')]}
    study = {'metadata': {}, 'cells': [{'cell_type': 'raw', 'metadata': {}, 'source': '---\ntitle: X\n---'},
                                       md(f'Uses [`pixel_filter`]({BASE}core.html#pixel_filter).')]}
    expect = bd.write_pages({'00_core.ipynb': lib, '02_x.ipynb': study}, [('Library', ['core'])], man, snap, src)
    assert sorted(p.name for p in src.glob('*.ipynb')) == ['core.ipynb', 'x.ipynb']
    assert (src/'snapshot'/'02_x'/'tables'/'t.csv').read_text() == 'a\n1\n'
    page = [c['source'] for c in json.loads((src/'x.ipynb').read_text())['cells']]
    assert page[0] == '# X\n' and '[t.csv](snapshot/02_x/tables/t.csv)' in page[1]
    assert page[2] == 'Uses [`pixel_filter`](core.ipynb#pixel_filter).'
    assert json.loads((src/'core.ipynb').read_text())['cells'][1]['source'] == 'Used in [the study](x.ipynb).'
    assert expect == {'core': {'tables': 0, 'images': 0}, 'x': {'tables': 0, 'images': 0}}
