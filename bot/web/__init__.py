"""The web layer: the HTTP API, its middleware, the editors' view and the widget; ``app.py`` composes them."""
