"""The pages people use: search, acts and their contents, provisions at readable URLs,
the coverage heatmap and what applies at an age (issue 12).

Registered by the Datasette plugin (`kb.plugin`, which adds `ROUTES` and the template folder);
the domain modules never import this package. Queries run from Python through
`datasette.get_database("kb").execute(...)`, so the pages need no arbitrary SQL; templates
carry no inline script or style (a strict Content-Security-Policy allows them): CSS and JS
are files in `static/`, served at `/-/kb-web/`.
"""
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
