"""The dashboard's server-rendered pages: one module per page, all thin over routing's reads.

Each view loads what the first paint needs from the database (stored summaries and reports, never
a fresh analysis) and hands it to a template; the page's JS module (dashboard/static/dashboard/js)
refreshes it from /api/v1/ when a live event (routing.live) says the cluster changed.
"""
