"""Live sessions: ``StreamingSession`` (``_session``), the manager and reaper (``_manager``), states and events
(``_events``), the backend seam (``_backend``), the sessions a closing client stops (``_live``), the shared
session ledger (``_ledger``) and ``client.streaming.session/manager`` (``_methods``).

Import from the modules; this package imports none of them, so using one loads no other.
"""
