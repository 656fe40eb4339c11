"""The ACD simulator: a pure discrete-event engine (``engine``), its bridge to the configuration in the
database (``spec``) and the demo centre (``demo``). Events it produces enter through the same ingest
service as the API. The engine imports nothing of Django.
"""
