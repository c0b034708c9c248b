"""Synthetic organisations for the benchmarks (one home for what four benchmarks generated).

- :func:`organisation`: the fixed-shape organisation of the speed benchmarks - eight divisions
  with four sub-departments each plus ten loose departments (50 in all), headcounts drawn
  from a few typical sizes; the same seed gives the same organisation.
- :func:`realistic_organisation`: organisations of varying shape for the usefulness
  benchmark - two to six divisions with up to four sub-departments, up to four loose teams,
  headcounts like the demo data (2-34 departments; the usefulness figures of sessions 4-6).
- :func:`sized_organisation`: the usefulness benchmark's organisations since session 7 -
  3 to 15 departments (divisions, their sub-departments and a few small teams), headcounts
  like the demo data.

Both return departments in an order where a parent comes before its sub-departments.
Imported by the scripts in this folder (``python benchmarks/bench_x.py`` puts the folder on
``sys.path``).
"""

from __future__ import annotations

import random

from vp_registry.core.facts import DepartmentFacts


def organisation(seed: int) -> list[DepartmentFacts]:
    """Eight divisions with four sub-departments each, plus ten loose departments (50 in all)."""
    rng = random.Random(seed)
    departments: list[DepartmentFacts] = []
    next_id = 1
    for division in range(8):
        head = next_id
        departments.append(DepartmentFacts(head, f"Divisie {division + 1}", rng.randint(5, 60)))
        next_id += 1
        for sub in range(4):
            size = rng.choice([4, 8, 15, 25, 40, 80])
            departments.append(
                DepartmentFacts(next_id, f"Afdeling {division + 1}.{sub + 1}", size, head))
            next_id += 1
    for loose in range(10):
        departments.append(
            DepartmentFacts(next_id, f"Team {loose + 1}", rng.choice([3, 6, 12, 30, 120])))
        next_id += 1
    return departments


def realistic_organisation(rng: random.Random) -> list[DepartmentFacts]:
    """Divisions with sub-departments and a few loose teams, headcounts like the demo data."""
    departments: list[DepartmentFacts] = []
    next_id = 1
    for division in range(rng.randint(2, 6)):
        head = next_id
        departments.append(
            DepartmentFacts(head, f"Divisie {division + 1}", rng.choice([7, 12, 18, 27, 65, 140]))
        )
        next_id += 1
        for sub in range(rng.randint(0, 4)):
            departments.append(DepartmentFacts(
                next_id, f"Afdeling {division + 1}.{sub + 1}",
                rng.choice([6, 8, 18, 24, 38, 42, 45]), head))
            next_id += 1
    for team in range(rng.randint(0, 4)):
        departments.append(DepartmentFacts(next_id, f"Team {team + 1}", rng.choice([3, 7, 12])))
        next_id += 1
    return departments


def sized_organisation(rng: random.Random, low: int = 3,
                       high: int = 15) -> list[DepartmentFacts]:
    """``low``..``high`` departments: divisions (the first department is one), sub-departments
    of a division drawn before them, and a few small teams, headcounts like the demo data
    (``services/demo/seed.py``: divisions of 7-140, sub-departments of 6-45, teams of 3-12)."""
    departments: list[DepartmentFacts] = []
    divisions: list[int] = []
    for number in range(1, rng.randint(low, high) + 1):
        draw = rng.random()
        if not divisions or draw < 0.35:
            divisions.append(number)
            departments.append(DepartmentFacts(
                number, f"Divisie {len(divisions)}", rng.choice([7, 12, 18, 27, 38, 65, 140])))
        elif draw < 0.5:
            departments.append(DepartmentFacts(number, f"Team {number}", rng.choice([3, 7, 12])))
        else:
            departments.append(DepartmentFacts(
                number, f"Afdeling {number}", rng.choice([6, 8, 18, 24, 38, 42, 45]),
                rng.choice(divisions)))
    return departments
