"""`pluginary serve`: the catalogue as a JSON API (`/api/v1/…`) and a web page, from one process.

`app.create_app` builds the ASGI application (Starlette); `scans` runs `pluginary scan`'s
pipeline in a child process and turns its observer hooks into server-sent events; the page
(`static/`) is plain HTML, CSS and JavaScript shipped in the wheel. Nothing here is imported
by the rest of the CLI: `pluginary serve` imports it when it runs.
"""
