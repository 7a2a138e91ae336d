"""The counting checks of ``dataguild-verify``: ballots, audits, tally, decryptions, result,
certificate and outcome (docs/record-spec.md). PURE, like ``voting.record.verify_checks``."""

from __future__ import annotations

from typing import Any

from voting.crypto.elgamal import Ciphertext
from voting.crypto.errors import CryptoError
from voting.record import document as er
from voting.record import tally
from voting.record.verify_board import _pass
from voting.record.verify_checks import Problems, Skip, Verification, _raise, certificate_valid


def check_ballots(v: Verification) -> tuple[str, dict[str, int]]:
    v.need("manifest")
    result = _pass(v)
    _raise(result.ballots, {"ballots": result.ballots_checked})
    if not v.secret:
        return (f"{result.ballots_checked} open ballots, every choice allowed by its question",
                {"ballots": result.ballots_checked})
    return (f"{result.ballots_checked} ballots, {result.proofs_checked} proofs verify (batched, tracking codes "
            "recomputed)", {"ballots": result.ballots_checked, "proofs": result.proofs_checked})


def check_audits(v: Verification) -> tuple[str, dict[str, int]]:
    v.need("manifest")
    if not v.secret:
        raise Skip("open roll call, nothing encrypted to audit", applies=False)
    result = _pass(v)
    _raise(result.audits)
    return f"{result.audits_checked} audited ballot(s) reopen to their revealed choices", {
        "audited": result.audits_checked}


def _why_not_counted(v: Verification, leaf: int) -> str:
    entry = next((e for e in v.rec["board"] if e["leaf_index"] == leaf), None)
    if entry is None:
        return f"leaf {leaf} is not on the board"
    if entry["kind"] == "audited":
        return f"leaf {leaf} is an audited ballot, which never counts"
    later = [e["leaf_index"] for e in v.rec["board"]
             if e["kind"] == "cast" and e["alias"] == entry["alias"] and e["leaf_index"] > leaf]
    return f"leaf {leaf} is superseded by leaf {later[-1]}" if later else f"leaf {leaf} should not count"


def check_tally(v: Verification) -> tuple[str, dict[str, int]]:
    v.need("manifest")
    result, counted, doc = _pass(v), v.counted or [], v.rec["tally"]
    broken = [x.leaf_index for x in counted if x.leaf_index in result.undecodable]
    if broken:
        raise Skip(f"skipped: counted ballot(s) at leaf {', '.join(map(str, broken[:5]))} do not decode (see ballots)")
    if not v.secret:
        if doc is not None:
            raise Problems(["an open roll call has no encrypted tally, but the record holds one"])
        v.open_totals = tally.open_totals(v.specs, counted)
        return (f"{len(counted)} counted ballots (last cast per alias), totals recomputed from the choices",
                {"counted": len(counted)})
    if v.rec["state"] in ("open", "cancelled") or (doc is None and not counted):
        if doc is not None:
            raise Problems([f"a {v.rec['state']} election has no encrypted tally, but the record holds one"])
        raise Skip(f"no tally: election {v.rec['state']}" if counted else "no counted ballots", applies=False)
    if doc is None:
        raise Problems([f"the {v.rec['state']} election's record has no encrypted tally"])
    problems: list[str] = []
    expected = [x.leaf_index for x in counted]
    posted = list(doc["counted_leaves"])
    expected_set, posted_set = set(expected), set(posted)  # sets: 10,000 leaves in lists cost ~1 s
    problems += [f"counted leaves: {_why_not_counted(v, leaf)}" for leaf in posted if leaf not in expected_set]
    problems += [f"counted leaves: leaf {leaf} (the last cast of its alias) is not counted"
                 for leaf in expected if leaf not in posted_set]
    if doc["format"] != tally.TALLY_FORMAT or doc["election"] != v.rec["fingerprint"]:
        problems.append("the tally is not this election's (format or fingerprint)")
    if doc["ballots"] != len(expected):
        problems.append(f"the tally says {doc['ballots']} ballots, {len(expected)} count")
    if doc["board_size"] != len(v.rec["board"]):
        problems.append(f"the tally says board size {doc['board_size']}, the board has {len(v.rec['board'])}")
    sums = result.sums or []
    shape = [len(spec.options) for spec in v.specs]
    if [len(row) for row in doc["questions"]] != shape:
        problems.append(f"the tally's shape is not the questions' ({shape} options)")
    else:
        for q, (spec, row) in enumerate(zip(v.specs, doc["questions"], strict=True)):
            for o, item in enumerate(row):
                if sums and Ciphertext.from_json(item["ciphertext"]) != sums[q][o]:
                    problems.append(f"question {q} option {o}: the encrypted tally is not the sum of the counted "
                                    "ballots")
                if list(item["bounds"]) != list(tally.bounds(spec, len(expected))):
                    problems.append(f"question {q} option {o}: bounds {item['bounds']} are not "
                                    f"{list(tally.bounds(spec, len(expected)))}")
    _raise(problems)
    return (f"{len(expected)} counted ballots (last cast per alias), homomorphic sums recomputed",
            {"counted": len(expected)})


def check_decryptions(v: Verification) -> tuple[str, dict[str, int]]:
    doc, items = v.rec["tally"], v.rec["decryptions"]
    if not v.secret or doc is None:
        if items:
            raise Problems(["decryptions without an encrypted tally"])
        raise Skip("no encrypted tally to decrypt", applies=False)
    v.need("tally", "committee")
    joint = v.joint or tally.joint_key_of_manifest(v.manifest)
    cts = tally.tally_from_document(doc)
    problems: list[str] = []
    for item in items:
        j = item["trustee_index"]
        if j not in joint.committee:
            problems.append(f"trustee {j} is not in the decrypting committee")
            continue
        if j in v.shares:
            problems.append(f"trustee {j} decrypted twice")
            continue
        try:
            shares = tally.parse_shares(item["shares"], [len(row) for row in cts])
            tally.verify_shares(joint, v.rec["fingerprint"], cts, shares, j)
        except CryptoError as exc:
            problems.append(f"trustee {j} {exc}" if str(exc).startswith("question") else f"trustee {j}: {exc}")
            continue
        v.shares[j] = shares
    if v.rec["state"] == "decided" and len(v.shares) < joint.ceremony.k:
        problems.append(f"{len(v.shares)} valid decryption(s), {joint.ceremony.k} needed")
    _raise(problems)
    return (f"{len(v.shares)} trustee(s) {sorted(v.shares)}, every share's proof verifies",
            {"trustees": len(v.shares)})


def check_result(v: Verification) -> tuple[str, dict[str, int]]:
    res = v.rec["result"]
    if v.rec["state"] != "decided":
        if res is not None or v.rec["certificate"] is not None:
            raise Problems([f"a {v.rec['state']} election has no result, but the record holds one"])
        raise Skip(f"election {v.rec['state']}, no result", applies=False)
    if res is None:
        raise Problems(["a decided election's record has no result"])
    v.need("tally")
    counted = v.counted or []
    problems: list[str] = []
    result_format = tally.RESULT_FORMAT_V2 if er.record_version(v.rec) == 2 else tally.RESULT_FORMAT
    if {k: res.get(k) for k in ("format", "election")} != {"format": result_format,
                                                            "election": v.rec["fingerprint"]}:
        problems.append("the result is not this election's (format or fingerprint)")
    if result_format == tally.RESULT_FORMAT_V2:  # the certified outcome: the manifest's rule, applied here
        fixed = er.result_document(v.manifest, res["election"], res["totals"], res["turnout"], res["roll_size"])
        if res.get("outcome") != fixed["outcome"]:
            problems.append(f"the result states the outcome {res.get('outcome')}, the manifest's rule gives "
                            f"{fixed['outcome']} for its totals")
    if res["roll_size"] != v.manifest["roll"]["size"]:
        problems.append(f"roll size {res['roll_size']} is not the manifest's {v.manifest['roll']['size']}")
    if res["turnout"] != len(counted):
        problems.append(f"turnout {res['turnout']} is not the {len(counted)} counted ballots")
    if not v.secret:
        totals = v.open_totals
        source = "the open ballots' choices"
    elif not counted:
        totals, source = [[0] * len(spec.options) for spec in v.specs], "an empty board"
    else:
        v.need("decryptions")
        joint = v.joint or tally.joint_key_of_manifest(v.manifest)
        chosen = dict(sorted(v.shares.items())[:joint.ceremony.k])
        totals = tally.combine(joint, v.rec["fingerprint"], v.rec["tally"], chosen)
        source = f"the decryption by trustees {sorted(chosen)}"
    if res["totals"] != totals:
        problems.append(f"the result's totals {res['totals']} do not match {source}: {totals}")
    _raise(problems)
    return f"totals {totals} = {source}; turnout {len(counted)} of {res['roll_size']}", {"turnout": len(counted)}


def check_certificate(v: Verification) -> tuple[str, dict[str, int]]:
    cert, res = v.rec["certificate"], v.rec["result"]
    if v.rec["state"] != "decided":
        raise Skip(f"election {v.rec['state']}, no result to certify", applies=False)
    if cert is None or res is None:
        raise Problems(["a decided election's record has no result certificate"])
    v.need("keys")
    kind = "trustees" if v.secret and v.counted else "cooperative"
    if cert.get("kind") != kind:
        raise Problems([f"the certificate is the {cert.get('kind')}'s, this result needs the {kind}'"])
    if cert["format"] != tally.CERTIFICATE_FORMAT:
        raise Problems([f"unknown certificate format {cert['format']!r}"])
    if kind == "cooperative":
        if cert["public_key"] != v.rec["keys"]["board_public_key"]:
            raise Problems(["the certificate names a key other than the board key"])
    else:
        v.need("committee")
        k = int(v.manifest["committee"]["k"])
        if cert.get("signature") is None or len(cert["signers"]) < k:
            raise Problems([f"{len(cert['signers'])} trustee(s) signed the result, {k} needed"])
        if len(set(cert["signers"])) != len(cert["signers"]):
            raise Problems(["a signer is listed twice"])
    if not certificate_valid(er.record_bytes(v.manifest), er.record_bytes(res), er.record_bytes(cert)):
        raise Problems(["the certificate's signature does not verify over the result"])
    who = "the board key" if kind == "cooperative" else f"trustees {cert['signers']} (aggregate BLS)"
    return f"signed by {who}", {"signers": len(cert.get("signers") or [])}


def check_outcome(v: Verification) -> tuple[str, dict[str, int]]:
    outcome, res = v.rec["outcome"], v.rec["result"]
    if v.rec["state"] != "decided":
        if outcome is not None:
            raise Problems([f"a {v.rec['state']} election has no outcome, but the record holds one"])
        raise Skip(f"election {v.rec['state']}, no outcome", applies=False)
    if outcome is None:
        raise Problems(["a decided election's record has no outcome"])
    v.need("result")
    rule: dict[str, Any] = outcome["rule"]
    problems: list[str] = []
    if er.record_version(v.rec) == 2 and rule != v.manifest["rule"]:
        changed = sorted(k for k in rule if rule.get(k) != v.manifest["rule"].get(k))
        problems.append(f"the outcome names a rule other than the manifest's (it differs in {', '.join(changed)})")
        rule = v.manifest["rule"]  # the outcome is recomputed with the rule fixed before voting
    if rule["method"] != v.manifest["method"] or rule["kind"] != v.manifest["proposal"]["kind"]:
        problems.append("the rule is for another method or kind of proposal than the manifest's")
    inputs = er.outcome_inputs(v.manifest, res, int(rule["alternatives"]))
    if outcome["inputs"] != inputs:
        problems.append(f"the outcome's inputs {outcome['inputs']} are not the result's {inputs}")
    state, chosen = er.decide(rule, inputs)
    if (outcome["state"], outcome["chosen_alternative"]) != (state, chosen):
        problems.append(f"the rule gives {state} (alternative {chosen}), the record says {outcome['state']} "
                        f"(alternative {outcome['chosen_alternative']})")
    if outcome["record_hash"] != tally.result_hash(res):
        problems.append("the outcome's record hash is not the result's hash")
    _raise(problems)
    return (f"{state} (quorum {rule['quorum_percent']}%, threshold {rule['threshold_numerator']}/"
            f"{rule['threshold_denominator']})", {})
