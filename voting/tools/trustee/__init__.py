"""The trustee tool: runs on a trustee's own machine and talks to the server over HTTP only.

DESIGN.md section 3 and docs/trustees.md ("Trustee tool"). The trustee's
secrets (its polynomial, its box key, the shares it received, its key share)
live only in a passphrase-sealed file in its state folder (:mod:`.vault`); the
server sees only the public ceremony messages and the partial decryptions.

- :mod:`.cli`: the commands (``init``, ``ceremony``, ``decrypt``, ``status``);
- :mod:`.steps`: the ceremony, one due step at a time;
- :mod:`.decrypt`: partial decryption of the encrypted totals;
- :mod:`.public`: the server's public ceremony state, checked here;
- :mod:`.remote`: the server's routes; :mod:`.statedir`, :mod:`.vault`: local files.
"""
