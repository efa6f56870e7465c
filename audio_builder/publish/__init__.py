"""publish: sessions rendered into a static site (pages, offline app, podcast feed).

The last stage: it drives the pipeline (pipeline.render) and only adds files around the
MP3s it writes. site.py orchestrates; data.py, pages.py and feed.py say the same plan
three ways (JSON, HTML, RSS); server.py previews a site with seeking.
"""
