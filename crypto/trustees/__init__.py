"""Trustees, t-of-n: key ceremony (Feldman VSS / Pedersen DKG) and threshold decryption.

DESIGN.md section 3; byte and JSON layouts, domain tags and the adjudication
rules in docs/trustees.md. The protocol, for trustees 1..n and threshold t:

1. Each trustee i makes a NaCl ``Box`` key pair, an Ed25519 signing key and a
   random polynomial f_i of degree t − 1 (:func:`new_trustee`; the result
   stays on its machine).
2. It publishes C_ik = a_ik·G for k = 0..t−1, each with a Schnorr proof of
   knowledge bound to the ceremony, i, its box key, its verify key and k
   (:func:`commit`). Its complaints, reveals and readiness are signed under
   that key (:func:`sign`, :func:`verify_signed`).
3. Everybody checks every commitment (:func:`verify_commitment(s)`).
4. Trustee i boxes f_i(j) for every other j (:func:`deal_shares`); j opens and
   checks f_i(j)·G = Σ_k j^k·C_ik (:func:`open_share(s)`), or complains.
5. The accused answers a complaint by revealing f_i(j)
   (:func:`reveal_share`); anyone decides it (:func:`resolve_complaint`). A
   trustee that fails is disqualified; the rest are the qualified set QUAL.
6. Anyone computes h = Σ_{i∈QUAL} C_i0 and X_j = Σ_{i∈QUAL} Σ_k j^k·C_ik
   (:func:`derive_threshold_key`).
7. Trustee j keeps x_j = Σ_{i∈QUAL} f_i(j) (:func:`derive_key_share`).
8. To decrypt (α, β), trustee j publishes D_j = x_j·α with a Chaum–Pedersen
   proof (:func:`decrypt_share`), checked by :func:`verify_decryption_share`.
9. Any t valid shares give m·G = β − Σ λ_j·D_j (:func:`combine_decryption_shares`).

This module only re-exports; the code lives in its private modules ``_dkg``
(steps 1-3), ``_dkg_messages``, ``_dkg_shares`` and ``_dkg_qualify`` (steps
4-5), ``_dkg_keys`` (steps 6-7) and ``_threshold`` (steps 8-9), with the strict
JSON decoders of ``_json``.

May import: the rest of :mod:`crypto` and PyNaCl (boxes). Nothing of :mod:`voting`.
"""

from crypto.trustees._dkg import CEREMONY_TAG
from crypto.trustees._dkg import COEFFICIENT_TAG
from crypto.trustees._dkg import Ceremony
from crypto.trustees._dkg import TrusteeCommitment
from crypto.trustees._dkg import TrusteeSecrets
from crypto.trustees._dkg import commit
from crypto.trustees._dkg import new_trustee
from crypto.trustees._dkg import verify_commitment
from crypto.trustees._dkg import verify_commitments
from crypto.trustees._dkg_keys import KeyShare
from crypto.trustees._dkg_keys import ThresholdKey
from crypto.trustees._dkg_keys import derive_key_share
from crypto.trustees._dkg_keys import derive_threshold_key
from crypto.trustees._dkg_messages import REASONS
from crypto.trustees._dkg_messages import Complaint
from crypto.trustees._dkg_messages import EncryptedShare
from crypto.trustees._dkg_messages import Readiness
from crypto.trustees._dkg_messages import ReceivedShares
from crypto.trustees._dkg_messages import RevealedShare
from crypto.trustees._dkg_qualify import Qualification
from crypto.trustees._dkg_qualify import answer_to
from crypto.trustees._dkg_qualify import decide_complaints
from crypto.trustees._dkg_shares import deal_shares
from crypto.trustees._dkg_shares import open_share
from crypto.trustees._dkg_shares import open_shares
from crypto.trustees._dkg_shares import resolve_complaint
from crypto.trustees._dkg_shares import reveal_share
from crypto.trustees._dkg_shares import verify_revealed_share
from crypto.trustees._dkg_signed import declare_ready
from crypto.trustees._dkg_signed import sign
from crypto.trustees._dkg_signed import verify_all_signed
from crypto.trustees._dkg_signed import verify_signed
from crypto.trustees._signing import MESSAGE_TAGS
from crypto.trustees._threshold import DECRYPTION_TAG
from crypto.trustees._threshold import DecryptionShare
from crypto.trustees._threshold import combine_decryption_shares
from crypto.trustees._threshold import decrypt_share
from crypto.trustees._threshold import lagrange_coefficient
from crypto.trustees._threshold import sign_decryption
from crypto.trustees._threshold import verify_decryption_share
from crypto.trustees._threshold import verify_decryption_signature

__all__ = [
    "CEREMONY_TAG",
    "COEFFICIENT_TAG",
    "DECRYPTION_TAG",
    "MESSAGE_TAGS",
    "REASONS",
    "Ceremony",
    "Complaint",
    "DecryptionShare",
    "EncryptedShare",
    "KeyShare",
    "Qualification",
    "Readiness",
    "ReceivedShares",
    "RevealedShare",
    "ThresholdKey",
    "TrusteeCommitment",
    "TrusteeSecrets",
    "answer_to",
    "combine_decryption_shares",
    "commit",
    "deal_shares",
    "decide_complaints",
    "declare_ready",
    "decrypt_share",
    "derive_key_share",
    "derive_threshold_key",
    "lagrange_coefficient",
    "new_trustee",
    "open_share",
    "open_shares",
    "resolve_complaint",
    "reveal_share",
    "sign",
    "sign_decryption",
    "verify_all_signed",
    "verify_commitment",
    "verify_commitments",
    "verify_decryption_share",
    "verify_decryption_signature",
    "verify_revealed_share",
    "verify_signed",
]
