# Sphinx configuration of the offline docs site (`make docs` -> site/), used by tools/build_docs.py, which stages the
# nbdev-processed notebooks next to a copy of this file. Everything is pre-executed there: MyST-NB only renders.
import configparser, pathlib

_ini = configparser.ConfigParser()
_ini.read(pathlib.Path(__file__).resolve().parent.parent/'settings.ini')  # absent in the staged copy: defaults below
_s = _ini['DEFAULT'] if _ini.has_section('DEFAULT') or _ini.defaults() else {}

project = _s.get('title', 'advfilter')
author = _s.get('author', 'advfilter developers')
copyright = _s.get('copyright', '')
release = _s.get('version', '')

extensions = ['myst_nb', 'sphinx-mathjax-offline']  # MathJax 3 served from site/_static: no CDN
exclude_patterns = ['snapshot/**', '_build', '**.ipynb_checkpoints']
myst_enable_extensions = ['dollarmath', 'amsmath', 'colon_fence', 'attrs_inline', 'attrs_block', 'html_image']
myst_heading_anchors = 4                # nbdev links symbols to their show_doc headings
nb_execution_mode = 'off'               # pages arrive executed (see tools/build_docs.py)
nb_render_markdown_format = 'myst'      # Markdown outputs (show_doc, the home page's notes) with tables
nb_merge_streams = True
suppress_warnings = ['myst.header']     # show_doc headings start at ###

html_theme = 'furo'
html_title = project
html_static_path = ['_static']
html_css_files = ['custom.css']
html_show_sourcelink = False
html_theme_options = {'sidebar_hide_name': False, 'navigation_with_keys': True}
