"""Account-wide state: the ``StateBackend`` protocol and its records (``_protocol``), ``MemoryState``
(``_memory``) and ``RedisState`` (``_redis``).

Import from the modules; this package imports none of them, so using one loads no other.
"""
