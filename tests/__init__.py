"""The test suite; tests/<room>/ mirrors heygen_async/<room>/, and tests/support is what the tests share."""

import pytest

# Before tests.support is first imported: its helpers' asserts explain a failure as the tests' own do.
pytest.register_assert_rewrite("tests.support")
