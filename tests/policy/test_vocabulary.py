"""The policy vocabulary: actions, the curated DPV purposes (checked against the W3C Turtle file)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF, SKOS

from governance.policy.terms import vocabulary as vocab
from governance.policy.terms.vocabulary import DPV

TTL = Path(__file__).with_name("data") / "dpv-purposes.ttl"
DPV_PURPOSE = rdflib.URIRef(DPV + "Purpose")


@pytest.fixture(scope="module")
def dpv_graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(TTL, format="turtle")
    return graph


def test_curated_list_has_a_useful_size_and_the_purposes_a_cooperative_needs():
    assert 25 <= len(vocab.PURPOSES) <= 40
    for short in ("ResearchAndDevelopment", "AcademicResearch", "CommercialResearch", "NonCommercialResearch",
                  "ServiceProvision", "Marketing", "Advertising", "PersonalisedAdvertising",
                  "FraudPreventionAndDetection"):
        assert DPV + short in vocab.PURPOSES


def test_every_curated_purpose_agrees_with_the_w3c_turtle_file(dpv_graph):
    curated = set(vocab.PURPOSES)
    for iri, purpose in vocab.PURPOSES.items():
        node = rdflib.URIRef(iri)
        assert (node, RDF.type, DPV_PURPOSE) in dpv_graph, f"{iri} is not a DPV purpose"
        assert purpose.short == iri.removeprefix(DPV)
        assert purpose.label == str(dpv_graph.value(node, SKOS.prefLabel))
        assert purpose.definition == str(dpv_graph.value(node, SKOS.definition))
        w3c_parents = {str(p) for p in dpv_graph.objects(node, SKOS.broader)}
        # Our parents are exactly DPV's parents that are in the curated list.
        assert set(purpose.parents) == w3c_parents & curated, iri
        if purpose.broader is None:
            assert w3c_parents & curated == set()
            assert purpose.also_broader == ()


def test_every_broader_is_in_the_list_or_null():
    for purpose in vocab.PURPOSES.values():
        for parent in purpose.parents:
            assert parent in vocab.PURPOSES


def test_purposes_file_ships_inside_the_package():
    text = resources.files("governance.policy").joinpath("data/dpv-purposes.json").read_text(encoding="utf-8")
    assert len(json.loads(text)["purposes"]) == len(vocab.PURPOSES)


def test_purpose_is_a_follows_the_hierarchy_including_second_parents():
    assert vocab.purpose_is_a(DPV + "AcademicResearch", DPV + "ResearchAndDevelopment")
    assert vocab.purpose_is_a(DPV + "AcademicResearch", DPV + "AcademicResearch")
    assert vocab.purpose_is_a(DPV + "TargetedAdvertising", DPV + "Marketing")
    assert vocab.purpose_is_a(DPV + "CommercialResearch", DPV + "CommercialPurpose")
    assert vocab.purpose_is_a(DPV + "PersonalisedAdvertising", DPV + "Personalisation")
    assert not vocab.purpose_is_a(DPV + "ResearchAndDevelopment", DPV + "AcademicResearch")
    assert not vocab.purpose_is_a(DPV + "AcademicResearch", DPV + "CommercialPurpose")
    assert not vocab.purpose_is_a(DPV + "Unknown", DPV + "ResearchAndDevelopment")


def test_purpose_tree_lists_every_purpose_once_under_its_parent():
    tree = vocab.purpose_tree()
    assert sorted(p.iri for p, _ in tree) == sorted(vocab.PURPOSES)
    depth_of = {p.iri: depth for p, depth in tree}
    for position, (purpose, depth) in enumerate(tree):
        if purpose.broader is None:
            assert depth == 0
        else:
            assert depth == depth_of[purpose.broader] + 1
            parent_position = next(i for i, (p, _) in enumerate(tree) if p.iri == purpose.broader)
            assert parent_position < position


def test_actions_form_a_tree_rooted_at_use():
    for code, action in vocab.ACTIONS.items():
        assert action.code == code
        assert vocab.action_ancestors(code)[-1] == "use"
        assert action.parent is None or action.parent in vocab.ACTIONS
        assert "{data}" in action.phrase
        assert action.iri.startswith((vocab.ODRL, vocab.PROFILE))
    assert vocab.action_is_a("train_generative_model", "train_ai_model")
    assert vocab.action_is_a("train_generative_model", "use")
    assert vocab.action_is_a("sell", "share")
    assert not vocab.action_is_a("train_ai_model", "train_generative_model")
    assert not vocab.action_is_a("aggregate", "share")


def test_odrl_actions_exist_in_the_odrl_vocabulary():
    graph = rdflib.Graph()
    graph.parse(TTL.with_name("ODRL22.ttl"), format="turtle")
    odrl_actions = [a for a in vocab.ACTIONS.values() if a.iri.startswith(vocab.ODRL)]
    assert len(odrl_actions) >= 5
    for action in odrl_actions:
        assert (rdflib.URIRef(action.iri), RDF.type, rdflib.URIRef(vocab.ODRL + "Action")) in graph, action.iri


def test_closed_lists_are_consistent():
    assert set(vocab.PARTY_CATEGORY_PLURALS) == set(vocab.PARTY_CATEGORIES)
    assert set(vocab.DUTY_KINDS) >= vocab.DUTIES_WITH_DAYS
    assert {"EU", "EEA", "DE", "FR"} <= set(vocab.REGIONS)
    assert vocab.EU_MEMBERS < vocab.EEA_MEMBERS <= set(vocab.REGIONS)
    assert all(len(code) == 3 and code.isupper() for code in vocab.CURRENCIES)
    assert set(vocab.PAYMENT_SCHEDULES) == {"once", "monthly", "quarterly", "yearly"}
