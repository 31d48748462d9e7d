"""The minimum publication size of electronic counts (voting/rules/publication.py)."""

from __future__ import annotations

from voting.rules.publication import DEFAULT_MINIMUM
from voting.rules.publication import floor_of
from voting.rules.publication import minimum_of
from voting.rules.publication import publication_groups

PARENTS: dict[str, str | None] = {
    "nation:CH": None,
    "canton:ZH": "nation:CH",
    "canton:BE": "nation:CH",
    "district:W": "canton:ZH",
    "municipality:1": "district:W",
    "municipality:2": "district:W",
    "municipality:3": "district:W",
    "municipality:4": "canton:ZH",
    "municipality:9": "canton:BE",
}
POPULAR = [{"jurisdiction": "nation:CH", "rule": "popular-majority"}]
CANTONS = [{"jurisdiction": "nation:CH", "rule": "double-majority"}]


def test_units_that_reach_the_minimum_keep_their_own_counts() -> None:
    ballots = {"municipality:1": 10, "municipality:2": 25}
    assert publication_groups(PARENTS, POPULAR, ballots, 10) == {
        "municipality:1": ["municipality:1"],
        "municipality:2": ["municipality:2"],
    }


def test_small_units_merge_into_the_nearest_ancestor_that_reaches_the_minimum() -> None:
    ballots = {"municipality:1": 40, "municipality:2": 4, "municipality:3": 7, "municipality:4": 12}
    assert publication_groups(PARENTS, POPULAR, ballots, 10) == {
        "municipality:1": ["municipality:1"],
        "district:W": ["municipality:2", "municipality:3"],  # 4 + 7 ballots
        "municipality:4": ["municipality:4"],
    }


def test_a_small_pool_left_at_the_top_takes_in_the_groups_it_could_be_read_from() -> None:
    # Without it, the nation's figures minus the three others would be municipality 4's 3.
    ballots = {"municipality:1": 40, "municipality:2": 4, "municipality:3": 7, "municipality:4": 3}
    groups = publication_groups(PARENTS, POPULAR, ballots, 10)
    assert groups == {"nation:CH": sorted(ballots)}


def test_a_pool_too_small_at_the_top_takes_in_every_group_below() -> None:
    ballots = {"municipality:1": 40, "municipality:2": 4, "municipality:9": 3}
    groups = publication_groups(PARENTS, POPULAR, ballots, 10)
    assert groups == {"nation:CH": ["municipality:1", "municipality:2", "municipality:9"]}


def test_the_cantons_stay_computable_for_the_double_majority() -> None:
    ballots = {"municipality:1": 40, "municipality:2": 4, "municipality:9": 3}
    groups = publication_groups(PARENTS, CANTONS, ballots, 10)
    # Zurich's small pool takes in Zurich's other group; Bern is below the minimum
    # as a whole, and the law needs its figure: it is published at the canton.
    assert groups == {
        "canton:ZH": ["municipality:1", "municipality:2"],
        "canton:BE": ["municipality:9"],
    }
    for label in groups:
        assert label.startswith("canton:")  # no group crosses a canton's border


def test_a_unit_with_its_own_question_is_never_merged_above_it() -> None:
    own = [*POPULAR, {"jurisdiction": "municipality:2", "rule": "popular-majority"}]
    ballots = {"municipality:1": 40, "municipality:2": 2}
    assert floor_of(PARENTS, own, "municipality:2") == "municipality:2"
    assert publication_groups(PARENTS, own, ballots, 10)["municipality:2"] == ["municipality:2"]


def test_no_published_group_is_below_the_minimum_unless_its_floor_is() -> None:
    ballots = {f"municipality:{i}": n for i, n in ((1, 1), (2, 2), (3, 3), (4, 4), (9, 30))}
    for questions in (POPULAR, CANTONS):
        groups = publication_groups(PARENTS, questions, ballots, 10)
        assert sorted(m for members in groups.values() for m in members) == sorted(ballots)
        for label, members in groups.items():
            total = sum(ballots[m] for m in members)
            whole = [u for u in ballots if label in _chain(u)]
            assert total >= 10 or sorted(members) == sorted(whole), (label, members)


def test_minimum_zero_publishes_every_unit_even_an_empty_one() -> None:
    ballots = {"municipality:1": 0, "municipality:2": 1}
    assert publication_groups(PARENTS, POPULAR, ballots, 0) == {u: [u] for u in ballots}


def test_a_manifest_without_a_valid_minimum_is_held_to_the_default() -> None:
    assert minimum_of({}) == DEFAULT_MINIMUM == 10
    for bad in (True, -1, "3", 2.5, None):
        assert minimum_of({"min_electronic_ballots": bad}) == DEFAULT_MINIMUM
    assert minimum_of({"min_electronic_ballots": 25}) == 25


def _chain(unit: str) -> list[str]:
    out = [unit]
    while (parent := PARENTS[out[-1]]) is not None:
        out.append(parent)
    return out
