"""Public names of the group: :class:`Point`, :class:`Scalar`, the base point ``G``.

See :mod:`crypto._group` for the validation rules (docs/spec.md, "Points").
"""

from crypto._group import G
from crypto._group import L
from crypto._group import Point
from crypto._group import RandomBytes
from crypto._group import Scalar
from crypto._group import secure_random

__all__ = ["G", "L", "Point", "RandomBytes", "Scalar", "secure_random"]
