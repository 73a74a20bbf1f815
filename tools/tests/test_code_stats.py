"The counts of tools/code_stats.py on small sources made here."
import ast, json, sys
import code_stats as cs

def test_import_cycles_count_lazy_imports():
    mods = {'data': 'import torch\ndef load():\n    from .robust import build\n    return build()',
            'robust': 'from advfilter.data import load', 'core': 'import advfilter.data', 'runs': 'from . import core'}
    assert cs.imports('data', mods['data'], set(mods)) == {'robust'}
    assert cs.imports('runs', mods['runs'], set(mods)) == {'core'}
    assert cs.cycles(mods) == [['data', 'robust']]
    mods['data'] = 'import torch'
    assert cs.cycles(mods) == []

def test_long_functions_include_methods():
    mods = {'m': 'def short():\n    return 1\nclass A:\n    def long(self):\n' + '\n'.join(['        x = 1'] * 40)}
    assert cs.long_functions(mods) == ['m.long (41 lines)']

def nb(*cells): return json.dumps({'cells': [{'cell_type': 'code', 'source': c} for c in cells]})

class Tree(cs.Tree):
    def __init__(self, files): self.rev, self.fs = None, files
    def files(self, folder): return sorted(f.split('/', 1)[1] for f in self.fs if f.startswith(folder + '/'))
    def read(self, path): return self.fs[path]

def test_study_library_lines_count_code_inside_defs_only():
    t = Tree({'nbs/02_a.ipynb': nb('%matplotlib inline\nx = 1\n@dec\ndef f(a):\n    # why\n\n    return a\n',
                                   'class C:\n    y = 2\nz = 3'),
              'nbs/01_lib.ipynb': nb('def g(): pass')})
    r = cs.study_library_lines(t)
    assert (r['library lines in 02-05'], r['cells with def/class in 02-05'], r['code lines in 02-05']) == (5, 2, 8)

def test_export_cells_with_three_definitions():
    t = Tree({'nbs/00_core.ipynb': nb('#| export\ndef a(): pass\ndef b(): pass\nclass C: pass', '#| exports\ndef d(): pass',
                                      'def e(): pass\ndef f(): pass\ndef g(): pass'),
              'nbs/02_study.ipynb': nb('#| export\ndef a(): pass\ndef b(): pass\ndef c(): pass')})
    r = cs.export_cells(t)
    assert (r['export cells'], r['export cells with >=3 definitions']) == (2, 1)
    assert r['_where'] == ['00_core.ipynb: a, b, C']

def test_tools_coverage(tmp_path):
    (tmp_path/'m.py').write_text('"doc"\n\ndef f():\n    return 1\n\ndef g():\n    return 2\n')
    (tmp_path/'t').mkdir()
    (tmp_path/'t'/'test_m.py').write_text(f'import sys\nsys.path.insert(0, {str(tmp_path)!r})\nimport m\n'
                                          'def test_f(): assert m.f() == 1\n')
    sys.modules.pop('m', None)
    # statements (coverage.py: a module docstring is none): two defs, two returns; g's return never runs
    assert cs.tools_coverage([tmp_path/'m.py'], tests=tmp_path/'t') == {'m.py': (3, 4)}
