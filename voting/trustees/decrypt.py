"""The trustee's side of counting (``dataguild trustee decrypt``), run on the trustee's machine.

Before decrypting anything the trustee checks, from public data only, that what it is asked to
decrypt is the sum of the counted ballots: the manifest hashes to the election's fingerprint, its
joint key is the one of the key file's ceremony, and the encrypted tally recomputed here from the
public board (``board.json``) equals the posted one. A server that asked for the decryption of one
ballot (or of anything but the tally) would be caught here. After the decision, the trustee combines
the posted shares itself, checks the totals, and only then signs the result.

Pure apart from :mod:`voting.crypto`, :mod:`voting.record.canonical` and :mod:`voting.record.tally`: the ``state``
arguments are the JSON of ``GET /api/v1/trustee/elections/<id>/tally``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voting.crypto import bls
from voting.crypto import trustees as T
from voting.crypto.errors import InvalidShare
from voting.crypto.keyfile import TrusteeSecrets
from voting.record import canonical as record
from voting.record import document as er
from voting.record import tally
from voting.trustees.client import CeremonyMismatch, bls_secret_of


def checked_joint_key(state: dict[str, Any], secrets: TrusteeSecrets) -> T.JointKey:
    """The election's joint key, after checking the manifest against the fingerprint and the key file."""
    manifest, fingerprint = state["manifest"], state["election"]["fingerprint"]
    if record.manifest_fingerprint(manifest) != fingerprint:
        raise tally.TallyMismatch("the manifest does not hash to the election's fingerprint")
    joint = tally.joint_key_of_manifest(manifest)
    if secrets.fingerprint != joint.ceremony.fingerprint:
        raise CeremonyMismatch("this key file belongs to another committee's ceremony than this election's")
    if secrets.index != state["me"]["index"]:
        raise CeremonyMismatch(f"this key file is trustee {secrets.index}'s, but you are trustee "
                               f"{state['me']['index']}")
    if secrets.share is None:
        raise InvalidShare("this key file holds no key share yet: run `dataguild trustee confirm` first")
    return joint


def board_leaves(entries: Sequence[dict[str, Any]]) -> list[tally.BoardLeaf]:
    return [tally.BoardLeaf(int(e["leaf_index"]), str(e["kind"]), str(e["alias"]), e["payload"]) for e in entries]


def recomputed_tally(state: dict[str, Any], entries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The encrypted tally recomputed from the board, every counted ballot's proofs checked; raises
    ``TallyMismatch`` unless it is the posted one."""
    posted = state["encrypted_tally"]
    if posted is None:
        raise tally.TallyMismatch("the site has posted no encrypted tally")
    fingerprint = state["election"]["fingerprint"]
    counted = tally.counted_leaves(board_leaves(entries))
    tally.check_counted_ballots(state["manifest"], counted)
    ours = tally.tally_document(fingerprint, tally.specs_of(state["manifest"]), counted, len(entries))
    if ours != posted:
        raise tally.TallyMismatch("the posted encrypted tally is not the sum of the counted ballots on the board; "
                                  "nothing was decrypted")
    return ours


def decryption_payload(state: dict[str, Any], secrets: TrusteeSecrets, joint: T.JointKey,
                       document: dict[str, Any]) -> dict[str, Any]:
    cts = tally.tally_from_document(document)
    return {"trustee_index": secrets.index,
            "shares": tally.make_shares(joint, secrets, state["election"]["fingerprint"], cts)}


def checked_result(state: dict[str, Any], joint: T.JointKey, document: dict[str, Any]) -> dict[str, Any]:
    """The posted result, after combining the posted shares here (each one verified) and comparing."""
    result, fingerprint = state["result"], state["election"]["fingerprint"]
    cts = tally.tally_from_document(document)
    shape = [len(row) for row in cts]
    by_trustee = {}
    for index, shares_json in sorted(state["shares"].items(), key=lambda item: int(item[0])):
        shares = tally.parse_shares(shares_json, shape)
        tally.verify_shares(joint, fingerprint, cts, shares, int(index))
        by_trustee[int(index)] = shares
    totals = tally.combine(joint, fingerprint, document, by_trustee)
    # With a v2 manifest the outcome is part of what is signed: the manifest's rule, applied here.
    expected = er.result_document(state["manifest"], fingerprint, totals, int(document["ballots"]),
                                  int(state["manifest"]["roll"]["size"]))
    if {k: result.get(k) for k in tally.result_fields(expected)} != expected:
        raise tally.TallyMismatch(f"the posted result differs from the one computed here: totals {totals}, "
                                  f"turnout {document['ballots']}")
    return expected


def signature_payload(secrets: TrusteeSecrets, result: dict[str, Any]) -> dict[str, Any]:
    signature = bls.sign(bls_secret_of(secrets), tally.result_message(result))
    return {"trustee_index": secrets.index, "signature": signature.to_hex()}
