"""What the API is: the endpoint row type (``_types``), the table and what is derived from it (``_table``),
validation before sending (``_validation``), answers into models (``_results``), and LowCodeAPI's
definition documents (``_definition``).

Import from the modules; this package imports none of them, so using one loads no other.
"""
