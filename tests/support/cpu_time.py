"""CPU seconds per test (issue 13): where the suite's time goes on a shared, busy machine.

``--durations`` measures wall time, which on two cores shared with other work says more about
the load than about the test. Each test's CPU time (setup, call and teardown; this process plus
the subprocesses it waited for, e.g. the CLI tests' console script) is recorded as the JUnit
property ``cpu_seconds`` and, with ``--cpu-durations=N``, the N most expensive tests and the
totals per directory are printed at the end (under pytest-xdist too: the workers' reports carry
the property to the controller). A long-lived child (the browser tests' Chromium) is counted
when it ends, not per test.
"""

from __future__ import annotations

import resource
from collections.abc import Generator

import pytest

CPU_START = pytest.StashKey[float]()
PROPERTY = "cpu_seconds"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("terminal reporting").addoption(
        "--cpu-durations", type=int, default=0, metavar="N",
        help="show the N tests that took the most CPU time and the CPU time per directory")


def process_cpu_seconds() -> float:
    """User and system time of this process and of its waited-for children."""
    own, children = (resource.getrusage(who)
                     for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[CPU_START] = process_cpu_seconds()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None],
) -> Generator[None, object, None]:
    """Before the teardown report is made (the one JUnit takes the properties from)."""
    if call.when == "teardown" and CPU_START in item.stash:
        spent = process_cpu_seconds() - item.stash[CPU_START]
        item.user_properties.append((PROPERTY, round(spent, 3)))
    yield


class CpuReport:
    """Collects the property from every teardown report (the workers' too) and prints it."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.tests: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            for name, value in report.user_properties:
                if name == PROPERTY:
                    self.tests[report.nodeid] = float(str(value))

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.tests:
            return
        write = terminalreporter.write_line
        terminalreporter.section(f"CPU time: {sum(self.tests.values()):.1f} s in "
                                 f"{len(self.tests)} tests")
        directories: dict[str, float] = {}
        for nodeid, seconds in self.tests.items():
            directory = "/".join(nodeid.split("/")[:2])
            directories[directory] = directories.get(directory, 0.0) + seconds
        for directory, seconds in sorted(directories.items(), key=lambda item: -item[1]):
            write(f"{seconds:8.1f} s  {directory}")
        write("")
        ranked = sorted(self.tests.items(), key=lambda item: item[1], reverse=True)
        for nodeid, seconds in ranked[:self.count]:
            write(f"{seconds:8.2f} s  {nodeid}")


def pytest_configure(config: pytest.Config) -> None:
    count = config.getoption("cpu_durations")
    if count and not hasattr(config, "workerinput"):  # not in an xdist worker
        config.pluginmanager.register(CpuReport(count), "vp-cpu-report")
