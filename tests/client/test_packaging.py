"""pyproject.toml builds without setuptools' deprecation warning for the license (printed three times by each
`make demo` before): the license is an SPDX expression, which setuptools reads from version 77 on, so the
build system asks for that version."""

from __future__ import annotations

import re

from tests.support import ROOT

PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_the_license_is_an_spdx_expression_not_a_table() -> None:
    (license_line,) = re.findall(r"^license\s*=.*$", PYPROJECT, re.M)
    assert license_line == 'license = "MIT"'


def test_the_build_asks_for_a_setuptools_that_reads_an_spdx_license() -> None:
    requires = re.search(r"^\[build-system\]\nrequires = \[(.*?)\]", PYPROJECT, re.M)
    assert requires is not None
    (setuptools,) = re.findall(r'"setuptools>=(\d+)[^"]*"', requires[1])
    assert int(setuptools) >= 77
