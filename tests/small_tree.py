"""A small jurisdiction tree for tests of roles and credentials.

nation:CH ── canton:ZH ── district:112 ── municipality:261 ── quarter:10261 (120 voters)
         │                                                 └─ quarter:10262 (80 voters)
         └─ canton:BE ── municipality:351 (50 voters)
"""

from __future__ import annotations

import sqlalchemy.orm as so

from voting.models.jurisdictions import Jurisdiction


def make_tree(session: so.Session) -> dict[str, Jurisdiction]:
    """Store the tree above and return its units by ``level:code``."""
    specs = [
        ("nation", "CH", None, None),
        ("canton", "ZH", "nation:CH", None),
        ("district", "112", "canton:ZH", None),
        ("municipality", "261", "district:112", None),
        ("quarter", "10261", "municipality:261", 120),
        ("quarter", "10262", "municipality:261", 80),
        ("canton", "BE", "nation:CH", None),
        ("municipality", "351", "canton:BE", 50),
    ]
    units: dict[str, Jurisdiction] = {}
    for level, code, parent, electorate in specs:
        unit = Jurisdiction(
            level=level,
            code=code,
            parent=units[parent] if parent else None,
            names={"de": f"{level} {code}"},
            electorate=electorate,
            vote_weight="1" if level == "canton" else None,
        )
        session.add(unit)
        units[f"{level}:{code}"] = unit
    session.commit()
    return units
