"""Long-running jobs: kinds (``_kinds``), the ``Job`` handle (``_handle``), ``client.jobs`` (``_manager``),
batches (``_batch``), the poll scheduler (``_scheduler``), the job ledger (``_ledger``), resume tokens
(``_tokens``), downloads (``_download``), progress (``_progress``) and the namespaces' helpers (``_methods``).

Import from the modules; this package imports none of them, so using one loads no other.
"""
