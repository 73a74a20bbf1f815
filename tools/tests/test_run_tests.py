"`make test`'s runner counts each pytest test of tools/tests as one item (tools/run_tests.py)."
import run_tests

def test_each_pytest_test_is_one_item(tmp_path, capsys):
    (tmp_path/'t'/'test_x.py').parent.mkdir()
    (tmp_path/'t'/'test_x.py').write_text('def test_ok(): pass\ndef test_bad(): assert 0\ndef test_ok2(): pass\n')
    assert sorted(run_tests.test_tools(tmp_path, str(tmp_path/'t'))) == [False, True, True]
    lines = capsys.readouterr().out.splitlines()
    assert any(l.startswith('FAIL pytest ') and l.endswith('test_x.test_bad') for l in lines)
    assert any(l.startswith('PASS pytest ') and l.endswith('test_x.test_ok2') for l in lines)

def test_a_pytest_that_collects_nothing_fails(tmp_path):
    (tmp_path/'empty').mkdir()
    assert run_tests.test_tools(tmp_path, str(tmp_path/'empty')) == [False]

def test_a_test_file_that_does_not_import_fails(tmp_path):
    (tmp_path/'t').mkdir(); (tmp_path/'t'/'test_y.py').write_text('import no_such_module_here\n')
    assert False in run_tests.test_tools(tmp_path, str(tmp_path/'t'))

def test_nothing_run_is_a_failure(tmp_path, monkeypatch, capsys):
    "A selection that runs nothing must not pass `make test`."
    import json, sys, pytest
    monkeypatch.setattr(sys, 'argv', ['run_tests.py', '--only', '^no_such_notebook$', '--summary', str(tmp_path/'s.json')])
    with pytest.raises(SystemExit) as e: run_tests.main()
    assert e.value.code == 1 and capsys.readouterr().out.strip().endswith('0 passed, 0 failed')
    assert json.loads((tmp_path/'s.json').read_text()) == {'passed': 0, 'failed': 0}
