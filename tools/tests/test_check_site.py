"The static checks of the built site (tools/check_site.py) on a small site made here (no browser)."
import check_site as cs
import common

def page(body): return f'<html><body><article>{body}</article><a href="https://example.org/">out</a></body></html>'

def make_site(d):
    "One page per notebook of the docs' page list; core.html holds the links, images and tables under test."
    for _, nbs in common.nav():
        for nb in nbs: (d/f'{common.page_name(nb)}.html').write_text(page('<h1>t</h1>'))
    (d/'img.png').write_bytes(b'png')
    (d/'core.html').write_text(page('<h1 id="top">t</h1><table></table><img src="img.png">'
                                    '<a href="index.html">ok</a><a href="core.html#top">ok</a>'))
    return d

def problems(d, expect=None):
    return cs.static_checks(d, {'pages': {}, 'expect': expect or {}})

def test_a_complete_site_passes(tmp_path):
    assert problems(make_site(tmp_path), {'core': {'tables': 1, 'images': 1}}) == []

def test_broken_links_anchors_images_and_missing_pages_fail(tmp_path):
    d = make_site(tmp_path)
    (d/'core.html').write_text(page('<h1>t</h1><img src="gone.png"><a href="nowhere.html">x</a><a href="index.html#nope">y</a>'))
    (d/'pafilt.html').unlink()
    probs = problems(d, {'core': {'tables': 1, 'images': 2}})
    assert set(probs) == {'core.html: broken image gone.png', 'core.html: broken link nowhere.html',
                          'core.html: link index.html#nope points to a missing anchor',
                          'missing page pafilt.html (from 04_pafilt.ipynb)',
                          'core.html: 0 tables, its notebook has 1', 'core.html: 1 figures, its notebook has 2'}

def test_pages_demanded_are_those_of_the_page_list(tmp_path):
    "Every notebook of the page list (library notebooks with or without exports, studies, home) must have its page."
    d = make_site(tmp_path)
    names = {common.page_name(nb) for _, nbs in common.nav() for nb in nbs}
    assert {'index', 'core', 'pafilt'} <= names
    assert {p.stem for p in d.glob('*.html')} == names

def test_progress_bar_walls_fail(tmp_path):
    "A page that kept every tqdm update fails; one with each bar's final state passes."
    d = make_site(tmp_path)
    bar = lambda k: f'PGD(10) -&gt; adv-73bb:  {k * 10}%|██        | {k}/10 [00:02&lt;00:10,  1.06chunk/s]'
    (d/'pafilt.html').write_text(page('<pre>' + '\n'.join(bar(k % 11) for k in range(cs.MAX_PROGRESS_LINES + 1)) + '</pre>'))
    (d/'core.html').write_text(page('<pre>' + '\n'.join(bar(10) for _ in range(3)) + '</pre>'))
    probs = problems(d)
    assert [p for p in probs if 'progress' in p] == [f'pafilt.html: {cs.MAX_PROGRESS_LINES + 1} progress-bar lines '
                                                   f'(at most {cs.MAX_PROGRESS_LINES}): the notebook kept every update of its bars (make snapshot keeps the last)']
    assert cs.progress_lines(bar(3)) == 1 and cs.progress_lines('accuracy 37% | 3/8 of the images') == 0
