"""pytest fixtures for the Vigil system tests (see docs/testing.md)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import vigil_lab  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "soak: a long-running soak test (minutes: VIGIL_SOAK_SECONDS, default 300); "
        "leave it out with -m \"not soak\"")


@pytest.fixture
def make_lab():
    """Factory: make_lab(n_nodes, **Lab kwargs) -> a running Lab. Every lab
    made is closed after the test, pass or fail; a daemon that died unasked
    or did not exit 0 on SIGTERM turns into a test error."""
    labs = []

    def make(*args, **kwargs):
        lab = vigil_lab.Lab(*args, **kwargs)
        labs.append(lab)
        return lab

    yield make
    problems = []
    for lab in labs:
        problems += ["lab %s: %s" % (lab.prefix, p) for p in lab.close()]
    if problems:
        pytest.fail("problems found while cleaning up:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def lab(make_lab):
    """A fresh 3-node lab (lan1 IPv4 + lan2 IPv6, 100ms/500ms), converged."""
    lab = make_lab(3)
    lab.wait_converged()
    return lab
