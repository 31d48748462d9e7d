"""The trustee's side of the key ceremony, one due step at a time (docs/trustees.md, steps 1-7).

:meth:`CeremonyRun.step` reads the public ceremony from the server, decides
the one thing this trustee must do next, does it and says what it did (None
when nothing is due). Every step is idempotent: what is on the log decides
whether it is due, and a secret is sealed in the vault *before* anything that
depends on it is sent, so a crash or a lost answer never loses or repeats a
step. In order:

1. commit: make the polynomial and box key (step 1), seal them, post C_ik
   with proofs (step 2);
2. deal: once every trustee has committed, box f_i(j) for every j (step 4);
3. answer: reveal f_i(j) for each complaint against this trustee (step 5),
   but never more than t − 1 distinct points of f_i (docs/trustees.md, "How
   many points a trustee reveals"): a complaint beyond that is left
   unanswered, which disqualifies this trustee instead of publishing f_i;
4. check: once every trustee has dealt, open the shares addressed here, seal
   the good ones, complain publicly about each bad one (signed), then declare
   ready (signed);
5. once the election key is logged: derive x_j from the sealed shares and the
   values revealed to this trustee (step 7), check it against the logged X_j
   and seal it.

Before any step the tool checks the whole public ceremony: every complaint,
reveal and readiness must carry its author's signature (:func:`parse_ceremony`),
and a complaint in this trustee's own name that this tool would not have made
stops everything (:class:`ServerMisbehaves`, exit status 1): the server, or
whoever holds this trustee's key, is speaking for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from crypto.errors import InvalidShare
from crypto.group import Point
from crypto.trustees import KeyShare
from crypto.trustees import TrusteeSecrets
from crypto.trustees import commit
from crypto.trustees import deal_shares
from crypto.trustees import declare_ready
from crypto.trustees import derive_key_share
from crypto.trustees import new_trustee
from crypto.trustees import open_shares
from crypto.trustees import reveal_share
from voting.tools.trustee.public import PublicCeremony
from voting.tools.trustee.public import ServerMisbehaves
from voting.tools.trustee.public import check_election_key
from voting.tools.trustee.public import parse_ceremony
from voting.tools.trustee.remote import TrusteeServer
from voting.tools.trustee.vault import Vault
from voting.tools.trustee.vault import VaultContents


class CeremonyProblem(Exception):
    """The ceremony cannot go on for this trustee (the message says why and what to do)."""


@dataclass
class CeremonyRun:
    """One trustee's run: its server, its opened vault and what the vault holds."""

    server: TrusteeServer
    vault: Vault
    contents: VaultContents
    refused: set[int] = field(default_factory=set)
    """accusers whose complaint this run has refused to answer (said once)"""

    @property
    def name(self) -> str:
        return self.contents.trustee

    def fetch(self) -> PublicCeremony | None:
        body = self.server.ceremony()
        if body is None:
            return None
        public = parse_ceremony(body)
        self._pin(public)
        return public

    def step(self) -> str | None:
        """Do the next due step; return what was done, or None if nothing is due now."""
        public = self.fetch()
        if public is None:
            return None
        if public.election_key is not None:
            return self._finish(public)
        if public.status != "key-ceremony":
            return None
        self._check_own_complaints(public)
        for due in self._steps():
            done = due(public)
            if done is not None:
                return done
        return None

    def waiting_for(self, public: PublicCeremony | None) -> str:
        """What the ceremony waits for (for the progress line)."""
        if public is None:
            return "the ceremony to begin"
        names = public.ceremony.trustees
        for what, have in (
            ("commitments", public.commitments),
            ("shares", public.shares),
            ("ready", public.ready),
        ):
            missing = [names[j - 1] for j in range(1, public.n + 1) if j not in have]
            if missing:
                return f"{what} from {', '.join(missing)}"
        if public.election_key is None:
            return "the returning officer to complete the ceremony"
        return "nothing: the ceremony is complete"

    # -- the steps ---------------------------------------------------------------------

    def _steps(self) -> list[Callable[[PublicCeremony], str | None]]:
        return [self._commit, self._deal, self._answer, self._check]

    def _commit(self, public: PublicCeremony) -> str | None:
        index = public.ceremony.index_of(self.name)
        logged = public.commitments.get(index)
        if self.contents.secrets is None:
            if logged is not None:
                raise CeremonyProblem(
                    f"the log holds a commitment of {self.name!r}, but this state has no "
                    "secrets: use the state folder (or its backup) that made it"
                )
            self.contents.secrets = new_trustee(public.ceremony, self.name)
            self.contents.ceremony_id = public.ceremony.ceremony_id
            self.vault.save(self.contents)  # (1) sealed before anything is sent
        mine = commit(public.ceremony, self.contents.secrets)
        if logged is None:
            self.server.post("commitment", mine.to_json())
            return "committed to the polynomial (coefficients with proofs, box key)"
        if (logged.box_public, logged.verify_key, logged.coefficients) != (
            mine.box_public,
            mine.verify_key,
            mine.coefficients,
        ):
            raise CeremonyProblem(f"the commitment logged for {self.name!r} is not this state's")
        return None

    def _deal(self, public: PublicCeremony) -> str | None:
        index = public.ceremony.index_of(self.name)
        if len(public.commitments) < public.n or index in public.shares:
            return None
        commitments = list(public.commitments.values())
        shares = deal_shares(public.ceremony, self._secrets(), commitments)
        self.server.post("shares", {"shares": [s.to_json() for s in shares]})
        return f"dealt {len(shares)} boxed shares"

    def _answer(self, public: PublicCeremony) -> str | None:
        index = public.ceremony.index_of(self.name)
        for complaint in public.unanswered_against(index):  # signatures checked in parse
            j = complaint.accuser_index
            if j not in self._revealable(public):
                if j in self.refused:
                    continue
                self.refused.add(j)
                return (
                    f"WARNING: did NOT answer the complaint of {complaint.accuser!r}: "
                    f"{len(self._revealed(public))} points of this trustee's polynomial are "
                    f"public already and t − 1 = {public.ceremony.threshold - 1} is the most "
                    "that keeps it secret; this trustee will be disqualified. Many complaints "
                    "against one trustee mean its shares did not arrive: tell the returning "
                    "officer"
                )
            revealed = reveal_share(public.ceremony, self._secrets(), complaint)
            self.contents.revealed.add(j)
            self.vault.save(self.contents)  # (1) counted before anything is sent
            self.server.post("reveals", revealed.to_json())
            return f"answered the complaint of {complaint.accuser!r} by revealing its share"
        return None

    def _revealed(self, public: PublicCeremony) -> set[int]:
        """Every j whose f_i(j) this trustee has published (its vault and the log)."""
        index = public.ceremony.index_of(self.name)
        logged = {r.recipient_index for r in public.reveals if r.sender_index == index}
        return logged | self.contents.revealed

    def _revealable(self, public: PublicCeremony) -> set[int]:
        """The j for which f_i(j) may be published: those public already, or any j while
        fewer than t − 1 points are public (so that at most t − 1 ever are)."""
        revealed = self._revealed(public)
        if len(revealed) < public.ceremony.threshold - 1:
            return set(range(1, public.n + 1)) - {public.ceremony.index_of(self.name)}
        return revealed

    def _check_own_complaints(self, public: PublicCeremony) -> None:
        """Stop if the log holds a complaint in this trustee's name that it would not make.

        Raises:
            ServerMisbehaves: naming the complaint; nothing more is done.
        """
        index = public.ceremony.index_of(self.name)
        mine = [c for c in public.complaints if c.accuser_index == index]
        if not mine:
            return
        would: set[int] = set()
        if len(public.shares) == public.n and self.contents.secrets is not None:
            commitments = list(public.commitments.values())
            received = open_shares(
                public.ceremony, self.contents.secrets, commitments, public.all_shares()
            )
            would = {c.accused_index for c in received.complaints}
        for complaint in mine:
            if complaint.accused_index not in would:
                raise ServerMisbehaves(
                    f"STOP: the log holds a complaint in the name of {self.name!r} (this "
                    f"trustee) against {complaint.accused!r} that this tool did not make: its "
                    f"share from {complaint.accused!r} checked out. Someone holding this "
                    "trustee's signing key is speaking for it. Do not go on; tell the "
                    "returning officer and the other trustees"
                )

    def _check(self, public: PublicCeremony) -> str | None:
        index = public.ceremony.index_of(self.name)
        if len(public.shares) < public.n or index in public.ready:
            return None
        commitments = list(public.commitments.values())
        received = open_shares(public.ceremony, self._secrets(), commitments, public.all_shares())
        if received.shares != self.contents.received:
            self.contents.received = dict(received.shares)
            self.vault.save(self.contents)
        made = {(c.accuser_index, c.accused_index) for c in public.complaints}
        for complaint in received.complaints:
            if (complaint.accuser_index, complaint.accused_index) not in made:
                self.server.post("complaints", complaint.to_json())
                return f"complained publicly about {complaint.accused!r} ({complaint.reason})"
        self.server.post("ready", declare_ready(public.ceremony, self._secrets()).to_json())
        return f"checked {len(received.shares)} shares; declared ready"

    def _finish(self, public: PublicCeremony) -> str | None:
        if self.contents.key_share is not None:
            return None
        self.contents.key_share = self.key_share(public)
        self.vault.save(self.contents)
        return "the ceremony is complete: key share derived, checked and sealed"

    def key_share(self, public: PublicCeremony) -> KeyShare:
        """x_j from the sealed shares and the reveals, checked against the logged X_j.

        Raises:
            CeremonyProblem: this trustee was disqualified or holds no secrets.
            ServerMisbehaves: the logged key is not the one the commitments give.
        """
        secrets = self._secrets()
        key = check_election_key(public)
        qualification = public.qualification()
        if secrets.index not in {c.index for c in qualification.qualified}:
            raise CeremonyProblem(f"{self.name!r} was disqualified: it holds no key share")
        qualified = list(qualification.qualified)
        opened = open_shares(public.ceremony, secrets, qualified, public.all_shares()).shares
        received = {**opened, **self.contents.received}  # opened again: a restored backup
        for revealed in qualification.revealed:
            if revealed.recipient_index == secrets.index:
                received[revealed.sender_index] = revealed.share
        try:
            share = derive_key_share(public.ceremony, secrets, qualified, received)
        except (ValueError, InvalidShare) as exc:
            raise CeremonyProblem(f"cannot derive the key share: {exc}") from exc
        if Point.base_times(share.secret) != key.verification_key(secrets.index):
            raise ServerMisbehaves("the key share does not match the logged verification key")
        return share

    def _secrets(self) -> TrusteeSecrets:
        if self.contents.secrets is None:
            raise CeremonyProblem(f"this state holds no secrets of {self.name!r}")
        return self.contents.secrets

    def _pin(self, public: PublicCeremony) -> None:
        if self.name not in public.ceremony.trustees:
            raise CeremonyProblem(f"{self.name!r} is not on this vote day's roster")
        pinned = self.contents.ceremony_id
        if pinned is not None and pinned != public.ceremony.ceremony_id:
            raise ServerMisbehaves(
                "the server's ceremony is not the one this state joined (its id changed)"
            )
