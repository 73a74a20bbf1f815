"""Check the built docs site (`make check-docs`, after `make docs`) — statically and in a real browser.

Static checks, on every HTML page of `site/`:
* every notebook of the docs' page list (`common.nav`: nbs/sidebar.yml plus the notebooks it does not list yet) has
  its page, and nbs/sidebar.yml lists no notebook that does not exist;
* every `<img src>` resolves to a file in site/, every internal `<a href>` to a file, and every `#fragment` to an id;
* every study page comes from the results snapshot (docs/snapshot/, `make snapshot`), whose files match the checksums
  in its SNAPSHOT.json;
* the home page and each study page hold at least the tables and figures of the notebook they were rendered from
  (counted by tools/build_docs.py into site/pages.json), and the study pages from the results snapshot have some;
* no page shows more than MAX_PROGRESS_LINES progress-bar lines (tqdm's `37%|███▋      | 3/8 [...]`): the snapshot's
  notebooks keep only each bar's final state (tools/snapshot.py executes them with nbclient's `coalesce_streams`).

Browser checks, with Debian's headless `chromium` against a loopback HTTP server on site/:
* every page loads, every image has decoded (naturalWidth > 0), every formula is typeset by the bundled MathJax, and
  the tables are in the DOM;
* a screenshot of the home page and of each study page (and one around its first figure) goes to `site/_check/<page>.png`; the findings to `site/_check/report.json`.

Exits non-zero, listing every problem, when anything fails.

    .venv/bin/python tools/check_site.py [--site site] [--no-browser]
"""
import argparse, json, os, re, shutil, subprocess, sys, threading, time
from html.parser import HTMLParser
from http.server import ThreadingHTTPServer, SimpleHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit, unquote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, NBS, STUDY, nav, page_name, sidebar  # noqa: E402

SKIP_DIRS = ('_static', '_check', '_sources', '_downloads', '_images', 'snapshot')
MAX_PROGRESS_LINES = 40   # a page's final-state progress lines (one per bar: ~10-30 on a study page) must stay below this
PROGRESS = re.compile(r'\d{1,3}%\|[^|<>\n]{0,60}\|\s*[\d.]+[kM]?/[\d.]+[kM]?')   # tqdm: '37%|███▋      | 3/8'

def progress_lines(html:str)->int:
    "How many tqdm progress-bar states a page's HTML shows."
    return len(PROGRESS.findall(html))

class Page(HTMLParser):
    "The ids, images, links and tables of one HTML page (article only for tables/images)."
    def __init__(self):
        super().__init__(); self.ids, self.imgs, self.links, self.tables, self.article_imgs, self._art = set(), [], [], 0, 0, 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a: self.ids.add(a['id'])
        if tag == 'article': self._art += 1
        if tag == 'img' and a.get('src'): self.imgs.append(a['src']); self.article_imgs += bool(self._art)
        if tag == 'a' and a.get('href'): self.links.append(a['href'])
        if tag == 'table' and self._art: self.tables += 1
    def handle_endtag(self, tag):
        if tag == 'article': self._art -= 1

def parse(p:Path)->Page:
    pg = Page(); pg.feed(p.read_text(encoding='utf-8', errors='replace')); return pg

def local_target(page:Path, url:str, site:Path):
    "(file, fragment) for a link inside the site, or None for external links."
    u = urlsplit(url)
    if u.scheme or u.netloc or url.startswith(('mailto:', 'javascript:', 'data:')): return None
    f = page if not u.path else (page.parent/unquote(u.path)).resolve()
    if f.is_dir(): f = f/'index.html'
    return f, unquote(u.fragment)

def static_checks(site:Path, info:dict, allow_missing_snapshot:bool=False)->list:
    "Problems found without a browser."
    probs, parsed = [], {}
    probs += [f'nbs/sidebar.yml lists {nb}, which does not exist' for _, nbs in sidebar() for nb in nbs if not (NBS/nb).exists()]
    probs += [f'missing page {page_name(nb)}.html (from {nb})' for _, nbs in nav() for nb in nbs
              if not (site/f'{page_name(nb)}.html').exists()]
    pages = [p for p in site.rglob('*.html') if not set(p.relative_to(site).parts) & set(SKIP_DIRS)]
    for p in pages: parsed[p.resolve()] = parse(p)
    for p in pages:
        pg, rel = parsed[p.resolve()], p.relative_to(site)
        n = progress_lines(p.read_text(encoding='utf-8', errors='replace'))
        if n > MAX_PROGRESS_LINES: probs.append(f'{rel}: {n} progress-bar lines (at most {MAX_PROGRESS_LINES}): '
                                                'the notebook kept every update of its bars (make snapshot keeps the last)')
        for src in pg.imgs:
            t = local_target(p, src, site)
            if t and not t[0].is_file(): probs.append(f'{rel}: broken image {src}')
        for href in pg.links:
            t = local_target(p, href, site)
            if not t: continue
            f, frag = t
            if not f.exists(): probs.append(f'{rel}: broken link {href}'); continue
            if frag and f.suffix == '.html':
                tp = parsed.get(f.resolve()) or parse(f)
                if frag not in tp.ids: probs.append(f'{rel}: link {href} points to a missing anchor')
    if info.get('snapshot') and Path(info['snapshot'], 'SNAPSHOT.json').exists():
        from snapshot import verify
        probs += [f'results snapshot: {x}' for x in verify(Path(info['snapshot']))]
    for name, origin in info.get('pages', {}).items():
        if 'NOT in the snapshot' in origin and not allow_missing_snapshot:
            probs.append(f'{name}.html: this study is not in the results snapshot docs/snapshot/ (run `make snapshot`)')
    for name, exp in info.get('expect', {}).items():
        f = site/f'{name}.html'
        if not f.exists(): continue
        pg = parsed[f.resolve()]
        if pg.tables < exp['tables']: probs.append(f'{name}.html: {pg.tables} tables, its notebook has {exp["tables"]}')
        if pg.article_imgs < exp['images']: probs.append(f'{name}.html: {pg.article_imgs} figures, its notebook has {exp["images"]}')
        if exp.get('from_snapshot') and not (pg.tables and pg.article_imgs):
            probs.append(f'{name}.html: a study page from the results snapshot without tables or figures')
    return probs

# ---------------------------------------------------------------- browser

CHECK_PAGE = """<!doctype html><meta charset=utf-8><title>site check</title><body><iframe id=f width=1280 height=1400 style="border:0"></iframe>
<script>
const pages = %s, out = [];
const sleep = ms => new Promise(r => setTimeout(r, ms));
async function check(p) {
  const f = document.getElementById('f');
  await new Promise(r => { f.onload = r; f.src = p + '.html'; });
  const d = f.contentDocument, t0 = Date.now();
  let imgs = [...d.querySelectorAll('article img')];
  while (imgs.some(i => !i.complete) && Date.now() - t0 < 15000) await sleep(100);
  const mj = f.contentWindow.MathJax;
  if (mj && mj.startup && mj.startup.promise) await Promise.race([mj.startup.promise, sleep(15000)]);
  const top = e => e ? Math.round(e.getBoundingClientRect().top + f.contentWindow.scrollY) : null;
  return {page: p, title: d.title, h1: (d.querySelector('h1') || {}).textContent || '',
          height: d.documentElement.scrollHeight, first_figure_top: top(imgs[0]),
          tables: d.querySelectorAll('article table').length,
          math: d.querySelectorAll('article .math').length, typeset: d.querySelectorAll('article mjx-container').length,
          images: imgs.map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0}))};
}
(async () => {
  for (const p of pages) { try { out.push(await check(p)); } catch (e) { out.push({page: p, error: String(e)}); } }
  await fetch('/__result__', {method: 'POST', body: JSON.stringify(out)});
})();
</script>"""

def serve(site:Path, pages:list):
    "A loopback HTTP server for site/ plus the check page; returns (server, port, result holder)."
    box = {}
    class H(SimpleHTTPRequestHandler):
        def __init__(self, *a, **k): super().__init__(*a, directory=str(site), **k)
        def log_message(self, *a): pass
        def do_GET(self):
            if self.path.startswith('/__check__'):
                body = (CHECK_PAGE % json.dumps(pages)).encode()
                self.send_response(200); self.send_header('Content-Type', 'text/html'); self.send_header('Content-Length', str(len(body)))
                self.end_headers(); self.wfile.write(body)
            else: super().do_GET()
        def do_POST(self):
            box['result'] = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
            self.send_response(204); self.end_headers()
    srv = ThreadingHTTPServer(('127.0.0.1', 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, srv.server_address[1], box

def chromium()->str:
    exe = os.environ.get('CHROMIUM') or shutil.which('chromium') or shutil.which('chromium-browser')
    if not exe: sys.exit('Chromium is not installed: `apt-get install -y chromium` (Debian), or set $CHROMIUM.')
    return exe

FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--hide-scrollbars',
         '--disable-extensions', '--disable-background-networking', '--disable-sync', '--mute-audio']

def screenshot(exe:str, url:str, png:Path, height:int=2400):
    r = subprocess.run([exe, *FLAGS, f'--window-size=1280,{height}', f'--screenshot={png}', url],
                       capture_output=True, text=True, timeout=120)
    return png.exists() and png.stat().st_size > 0, r.stderr[-500:]

def figure_shot(exe:str, url:str, png:Path, top:int, above:int=150, below:int=1100):
    "A screenshot around the page's first figure: a tall window, cropped to the figure's neighbourhood."
    h = min(top + below, 16000)
    ok, _ = screenshot(exe, url, png, height=h)
    if ok:
        from PIL import Image
        with Image.open(png) as im: im.crop((0, max(0, top - above), im.width, min(im.height, h))).save(png)

def browser_checks(site:Path, pages:list, shots:Path, shoot:list)->tuple:
    "Problems found in Chromium on `pages`, and its per-page findings; screenshots of the pages in `shoot`."
    exe, probs = chromium(), []
    srv, port, box = serve(site, pages)
    base = f'http://127.0.0.1:{port}'
    try:
        proc = subprocess.Popen([exe, *FLAGS, '--remote-debugging-port=0', '--window-size=1400,1000', f'{base}/__check__.html'],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.time()
        while 'result' not in box and time.time() - t0 < 120 and proc.poll() is None: time.sleep(0.2)
        proc.terminate()
        try: proc.wait(10)
        except subprocess.TimeoutExpired: proc.kill()
        found = box.get('result') or []
        shots.mkdir(parents=True, exist_ok=True)
        for p in shoot:
            ok, err = screenshot(exe, f'{base}/{p}.html', shots/f'{p}.png')
            if not ok: probs.append(f'{p}.html: Chromium took no screenshot ({err.strip()[-200:]})')
            ft = next((r.get('first_figure_top') for r in found if r.get('page') == p), None)
            if ft: figure_shot(exe, f'{base}/{p}.html', shots/f'{p}-figure.png', ft)
    finally: srv.shutdown()
    found = box.get('result')
    if found is None: return probs + ['Chromium did not report on the pages within 120 s'], []
    for r in found:
        if 'error' in r: probs.append(f"{r['page']}.html: did not load in Chromium: {r['error']}"); continue
        bad = [i['src'] for i in r['images'] if not i['ok']]
        if bad: probs.append(f"{r['page']}.html: {len(bad)} image(s) did not render in Chromium: {bad[:5]}")
        if not r['h1'].strip(): probs.append(f"{r['page']}.html: no page title (h1) in Chromium")
        if r['math'] and r['typeset'] < r['math']:
            probs.append(f"{r['page']}.html: {r['math'] - r['typeset']} of {r['math']} formulas not typeset by MathJax in Chromium")
    return probs, found

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--site', default=str(ROOT/'site'))
    ap.add_argument('--no-browser', action='store_true', help='static checks only')
    ap.add_argument('--allow-missing-snapshot', action='store_true', help='accept study pages not in the results snapshot')
    a = ap.parse_args()
    t0, site = time.time(), Path(a.site).resolve()
    if not (site/'pages.json').exists(): sys.exit(f'{site}/pages.json not found: build the site first with `make docs`.')
    info = json.loads((site/'pages.json').read_text())
    probs = static_checks(site, info, a.allow_missing_snapshot)
    listed = [nb for _, nbs in nav() for nb in nbs if (site/f'{page_name(nb)}.html').exists()]
    pages = [page_name(nb) for nb in listed]
    shoot = [page_name(nb) for nb in listed if nb == 'index.ipynb' or STUDY.match(nb)]
    found = []
    if not a.no_browser:
        bp, found = browser_checks(site, pages, site/'_check', shoot)
        probs += bp
    (site/'_check').mkdir(exist_ok=True)
    (site/'_check'/'report.json').write_text(json.dumps({'problems': probs, 'browser': found}, indent=1) + '\n')
    for r in found:
        if 'error' not in r:
            print(f"[check-docs] {r['page'] + '.html':24} {r['tables']:3} tables, {len(r['images']):3} images "
                  f"({sum(i['ok'] for i in r['images'])} rendered), {r['typeset']:3}/{r['math']:<3} formulas typeset  "
                  f"title: {r['h1'].strip().rstrip('¶')[:50]}")
    for p in probs: print(f'[check-docs] PROBLEM {p}')
    done = [f'{len(pages)} pages checked in Chromium, screenshots in {site/"_check"}'] if found else []
    print('[check-docs] ' + '; '.join(done + [f'{len(probs)} problem(s)', f'{time.time() - t0:.0f}s']))
    sys.exit(1 if probs else 0)

if __name__ == '__main__': main()
