"""Search per language: each work stemmed in its own language, phrases within one field, and
"did you mean" in the query's language; the same cases on SQLite FTS5 and on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.fixtures.catalogue import Catalogue


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def search_app(request: pytest.FixtureRequest) -> Flask:
    app: Flask = request.getfixturevalue("app" if request.param == "sqlite" else "services_app")
    return app


@pytest.fixture
def catalogue(search_app: Flask) -> Catalogue:
    return Catalogue()


def test_a_french_search_finds_french_work_whatever_the_readers_language(
    search_app: Flask, catalogue: Catalogue
) -> None:
    boats = catalogue.add(
        "Bateaux au port", "bateaux, port, pêche", "Des chalutiers amarrés.", language="fr"
    )
    catalogue.add("Boats in the harbour", "boat, harbour")
    client = search_app.test_client()
    for reader in ("fr", "en"):
        assert catalogue.search(client, "bateaux", reader=reader) == [boats]
        assert catalogue.search(client, "bateau", reader=reader) == [boats]
    # French plurals and feminine forms meet at their stem, in the description too.
    assert catalogue.search(client, "chalutier amarré") == [boats]
    assert catalogue.search(client, "pêches") == [boats]


def test_accents_are_optional_on_both_sides(search_app: Flask, catalogue: Catalogue) -> None:
    church = catalogue.add("Église sous la neige", "église, hiver", language="fr")
    cafe = catalogue.add("Cafe terrace", "cafe, street")
    client = search_app.test_client()
    for q in ("eglise", "église", "Églises", "EGLISES"):
        assert catalogue.search(client, q) == [church], q
    assert catalogue.search(client, "café") == [cafe]


def test_each_work_is_stemmed_in_its_own_language(search_app: Flask, catalogue: Catalogue) -> None:
    """English stems stay English ("running" is "run"); the same word in a French work is
    stemmed by French rules, and a change of language re-indexes the work."""
    from marketplace.assets.models import Asset
    from marketplace.database import unit_of_work

    runner = catalogue.add("Woman running on the beach", "jogging")
    chateaux = catalogue.add("Chateaux", "loire", language="en")
    client = search_app.test_client()
    assert catalogue.search(client, "runs") == [runner]
    # English leaves "chateaux" whole: "chateau" is another word to it.
    assert catalogue.search(client, "chateau") == []
    with unit_of_work() as session:
        session.execute(sa.update(Asset).where(Asset.id == chateaux).values(language="fr"))
    assert catalogue.search(client, "chateau") == [chateaux]
    assert catalogue.search(client, "chateaux") == [chateaux]


def test_work_in_a_language_without_a_stemmer_is_found_word_for_word(
    search_app: Flask, catalogue: Catalogue
) -> None:
    harbour = catalogue.add("Boote im Hafen", "boote, hafen", language="de")
    client = search_app.test_client()
    assert catalogue.search(client, "Boote") == [harbour]
    assert catalogue.search(client, "hafen boote") == [harbour]


def test_exclusions_apply_in_every_language(search_app: Flask, catalogue: Catalogue) -> None:
    catalogue.add("Bateaux au port", "port", language="fr")
    quay = catalogue.add("Port at night", "port, lights")
    client = search_app.test_client()
    assert catalogue.search(client, "port -bateau") == [quay]
    assert catalogue.search(client, "port -bateaux") == [quay]


def test_a_phrase_matches_within_one_field(search_app: Flask, catalogue: Catalogue) -> None:
    lighthouse = catalogue.add("Lighthouse at dusk", "lighthouse, sea", "Waves on the rocks below.")
    client = search_app.test_client()
    # Title then keywords ("... dusk" + "lighthouse ..."), keywords then description.
    assert catalogue.search(client, '"dusk lighthouse"') == []
    assert catalogue.search(client, '"sea waves"') == []
    # Within a field, phrases still match (stemmed, and with the words between them).
    assert catalogue.search(client, '"lighthouse at dusk"') == [lighthouse]
    assert catalogue.search(client, '"lighthouse sea"') == [lighthouse]
    assert catalogue.search(client, '"wave on the rock"') == [lighthouse]
    french = catalogue.add("Phare au crépuscule", "phare, mer", language="fr")
    assert catalogue.search(client, '"crépuscule phare"') == []
    assert catalogue.search(client, '"phares au crepuscule"') == [french]


def test_did_you_mean_prefers_words_of_the_querys_language(
    search_app: Flask, catalogue: Catalogue
) -> None:
    from marketplace.catalogue.vocabulary import refresh_vocabulary

    catalogue.add("Plage à marée basse", "plage, bateau", language="fr")
    catalogue.add("Plague doctor mask", "plague, mask")
    refresh_vocabulary()
    client = search_app.test_client()

    def suggestion(q: str, reader: str) -> str | None:
        body = client.get(
            "/api/v1/search", query_string={"q": q}, headers={"Accept-Language": reader}
        ).get_json()
        return body["did_you_mean"]  # type: ignore[no-any-return]

    # "plagee" is close to the French "plage" and the English "plague": the reader's language.
    assert suggestion("plagee", "fr") == "plage"
    assert suggestion("plagee", "en") == "plague"
    # A word the vocabulary knows tells the query's language, whatever the reader's.
    assert suggestion("bateau plagee", "en") == "bateau plage"
    assert suggestion("mask plagee", "fr") == "mask plague"
    assert suggestion("plage", "en") is None


def test_the_vocabulary_counts_each_word_per_language(
    search_app: Flask, catalogue: Catalogue
) -> None:
    from marketplace.catalogue import services
    from marketplace.catalogue.models import SearchTerm
    from marketplace.catalogue.services import popular_searches
    from marketplace.catalogue.vocabulary import refresh_vocabulary
    from marketplace.extensions import db

    catalogue.add("Marina de Nice", "marina, voilier", language="fr")
    catalogue.add("Marina at night", "marina, night")
    catalogue.add("Marina in winter", "marina, winter")
    refresh_vocabulary()
    rows = db.session.execute(
        sa.select(SearchTerm.language, SearchTerm.documents).where(SearchTerm.term == "marina")
    ).all()
    assert sorted(rows) == [("en", 2), ("fr", 1)]
    # Suggested searches name a word once, whatever its languages (asked afresh: the app keeps
    # them a few minutes, and the services tier's app lives for the whole run).
    search_app.extensions.pop(services._POPULAR_KEY, None)
    with search_app.test_request_context():
        assert popular_searches(500).count("marina") == 1


def test_a_bad_search_argument_is_explained_in_the_readers_language(search_app: Flask) -> None:
    client = search_app.test_client()
    french = client.get(
        "/api/v1/search", query_string={"kind": "sculpture"}, headers={"Accept-Language": "fr"}
    ).get_json()["error"]
    assert french["message"] == "kind doit valoir l’une de ces valeurs\u00a0: photo, video."
    assert french["fields"] == {"kind": "Non valide."}
    english = client.get("/api/v1/search", query_string={"kind": "sculpture"}).get_json()
    assert english["error"]["message"] == "kind must be one of photo, video."


@pytest.mark.services
def test_postgres_trusts_the_window_when_words_parse_differently_by_language(
    services_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Words parsed differently in several languages are ORed, and the planner misjudges how
    many match: past the window, only its share of the catalogue may send the search to all
    of it. A word parsed the same everywhere still gets the planner's word."""
    from marketplace.assets.models import Asset
    from marketplace.catalogue import engines
    from marketplace.extensions import db

    catalogue = Catalogue()
    catalogue.add("Femmes au marché", "femmes, gens", language="fr", age_days=30)
    catalogue.add("Zeppelin at night", "zeppelin", age_days=30)
    newest = []
    for n in range(2):
        newest.append(catalogue.add(f"Gens et femmes {n}", "gens, femmes", language="fr"))
        newest.append(catalogue.add(f"Zeppelin {n}", "zeppelin"))
    newest_id = db.session.execute(sa.select(sa.func.max(Asset.id))).scalar_one()
    monkeypatch.setattr(engines, "WINDOW_ROWS", 4)
    # The window (two of each in the newest four) says more than FULL_SCAN_MAX match in all;
    # the planner, fewer.
    monkeypatch.setattr(engines, "FULL_SCAN_MAX", 2 * newest_id // 4 - 1)
    client = services_app.test_client()

    def search(q: str) -> tuple[list[int], bool]:
        body = client.get(
            "/api/v1/search",
            query_string={"q": q, "sort": "newest", "contributor": catalogue.member.member_number},
        ).get_json()
        return [r["id"] for r in body["results"]], body["total_exact"]

    assert search("femmes gens") == ([newest[2], newest[0]], False)
    zeppelins, exact = search("zeppelin")
    assert (len(zeppelins), exact) == (3, True)
