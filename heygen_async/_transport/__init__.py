"""HTTP, and nothing else: the aiohttp connection pool (``_pool``), the call loop with its retries (``_call``),
the response envelopes (``_envelope``), routes and URLs (``_urls``), and upload bodies (``_upload``).

Import from the modules; this package imports none of them, so using one loads no other.
"""
