"""The local web server every page of ours runs on (the site's preview, the studio):
Starlette routes on uvicorn, on 127.0.0.1 only, with the checks a local server needs
because any page the teacher visits can send it requests."""
