"""The seven non-trivial torsion points of edwards25519 (facts, RFC 8032 encodings).

Together with the identity they form the 8-torsion subgroup; a point P + T for
a valid P and any of these T lies outside the prime-order subgroup.
"""

TORSION_POINTS = {
    "order 2": "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "order 4 (x>0)": "0000000000000000000000000000000000000000000000000000000000000000",
    "order 4 (x<0)": "0000000000000000000000000000000000000000000000000000000000000080",
    "order 8 a+": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "order 8 a-": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "order 8 b+": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "order 8 b-": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
}
