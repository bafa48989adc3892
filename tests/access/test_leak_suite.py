"""Permission-leak suite: a random company, thousands of queries, zero leaks.

Departments (a tree), users (role, clearance, department) and grants (to users and to
departments, inherited down the tree) are generated at random; each chunk carries a unique
marker word. For every user, query and channel (lexical, dense, hybrid) the suite checks that
each hit is a chunk the user may read according to an *independent* oracle written here in
plain Python, that no returned text carries another chunk's marker, that a forbidden knowledge
base is refused exactly like a missing one, and that permitted chunks are still found
(narrow permissions must not collapse recall). The vector index runs in HNSW mode with a
small exact-fallback threshold, so the oversampled and the exact filtered paths both run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert, text

from tokenbase.access import AccessScope, scope_for_user
from tokenbase.config import load_settings
from tokenbase.db.schema import departments, kb_grants, users
from tokenbase.ingest.catalog import set_document_classification, utcnow
from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.ask import ask
from tokenbase.kb.platform import Platform

from ..db.servers import BACKENDS, PG_SKIP_REASON
from . import hash_embedder  # noqa: F401  (registers the "test-hash" embedder)

N_KBS, DOCS_PER_KB, SECTIONS = 6, 4, 3
N_DEPARTMENTS, N_USERS = 9, 24
FILLER = "公司 制度 报销 预算 安全 培训 采购 合同 客户 项目 流程 审批".split()


@dataclass
class Org:
    parent: dict[int, int | None] = field(default_factory=dict)  # department -> parent
    user_dept: dict[int, int | None] = field(default_factory=dict)
    user_role: dict[int, str] = field(default_factory=dict)
    user_clearance: dict[int, int] = field(default_factory=dict)
    grants: list[tuple[int, str, int]] = field(default_factory=list)  # (kb, kind, principal)

    def readable_kbs(self, user: int) -> set[int] | None:
        """The oracle: None = every knowledge base (admins)."""
        if self.user_role[user] == "admin":
            return None
        chain, dept = set(), self.user_dept[user]
        while dept is not None:
            chain.add(dept)
            dept = self.parent[dept]
        return {
            kb
            for kb, kind, principal in self.grants
            if (kind == "user" and principal == user)
            or (kind == "department" and principal in chain)
        }


@dataclass
class Chunk:
    marker: str | None  # the title chunk of a document carries none
    kb_id: int
    doc_name: str
    level: int


def _write_corpus(folder: Path, rng: random.Random) -> dict[str, tuple[int, int]]:
    """One Markdown file per document; returns {file name: (kb index, classification)}."""
    layout = {}
    for k in range(N_KBS):
        for d in range(DOCS_PER_KB):
            name = f"kb{k}doc{d}.md"
            sections = []
            for s in range(SECTIONS):
                words = " ".join(rng.sample(FILLER, 6))
                sections.append(
                    f"## 第{s + 1}节\n\nzq{k}x{d}y{s} 标记段落。{words}。本节编号 zq{k}x{d}y{s}。"
                )
            (folder / f"k{k}").mkdir(exist_ok=True)
            (folder / f"k{k}" / name).write_text(f"# 文档 {name}\n\n" + "\n\n".join(sections))
            layout[name] = (k, rng.randint(0, 3))
    return layout


def _build_org(platform: Platform, kb_ids: list[int], rng: random.Random) -> Org:
    org = Org()
    now = utcnow()
    with platform.db.engine.begin() as conn:
        for i in range(N_DEPARTMENTS):
            parent = None if i < 2 else rng.choice(list(org.parent))
            dept_id = conn.execute(
                insert(departments).values(name=f"部门{i}", parent_id=parent, created_at=now)
            ).inserted_primary_key[0]
            org.parent[dept_id] = parent
        for i in range(N_USERS):
            role = "admin" if i == 0 else "member"
            dept = None if i == 1 else rng.choice(list(org.parent))
            clearance = rng.randint(0, 3)
            user_id = conn.execute(
                insert(users).values(
                    username=f"user{i}",
                    display_name=f"用户{i}",
                    role=role,
                    clearance=clearance,
                    department_id=dept,
                    active=True,
                    must_change_password=False,
                    created_at=now,
                )
            ).inserted_primary_key[0]
            org.user_dept[user_id], org.user_role[user_id] = dept, role
            org.user_clearance[user_id] = clearance
        seen = set()
        for _ in range(16):
            kb = rng.choice(kb_ids)
            kind = rng.choice(["user", "department"])
            principal = rng.choice(list(org.user_dept if kind == "user" else org.parent))
            if (kb, kind, principal) in seen:
                continue
            seen.add((kb, kind, principal))
            conn.execute(
                insert(kb_grants).values(
                    kb_id=kb,
                    principal_kind=kind,
                    principal_id=principal,
                    level=rng.randint(1, 3),
                    created_at=now,
                )
            )
            org.grants.append((kb, kind, principal))
    return org


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg_databases):
    """The same random company on each backend (PostgreSQL skips without a test server)."""
    overrides = {}
    if request.param == "postgresql":
        if pg_databases is None:
            pytest.skip(PG_SKIP_REASON)
        overrides["database_url"] = pg_databases.create()
    rng = random.Random(20261124)
    root = tmp_path_factory.mktemp("leaks")
    folder = root / "docs"
    folder.mkdir()
    layout = _write_corpus(folder, rng)
    settings = load_settings(
        root / "data",
        embedder={"provider": "test-hash"},
        search={"ann_min_vectors": 30, "exact_filter_max": 12},
        ingest={"workers": 1},  # tiny files: starting parse processes costs more than parsing
        **overrides,
    )
    platform = Platform(settings)
    ingestor = platform.ingestor()
    kb_ids: list[int] = []
    for k in range(N_KBS):
        names = sorted(p.name for p in (folder / f"k{k}").iterdir())
        for name in names:
            found, _ = expand_sources([str(folder / f"k{k}" / name)])
            ingestor.enqueue(found, f"知识库{k}", classification=layout[name][1])
        summary = ingestor.run()
        assert not summary.failed and not summary.pending_embed
        kb_ids.append(platform.searcher.kb_ids([f"知识库{k}"]).popitem()[0])
    chunks: dict[int, Chunk] = {}
    with platform.db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.id, c.text, c.kb_id, c.classification, d.source FROM chunks c "
                "JOIN documents d ON d.id = c.document_id"
            )
        ).all()
    for cid, body, kb_id, _level, source in rows:
        # Labels come from the generated layout, not from what the database says.
        doc_name = Path(source).name
        kb_index, level = layout[doc_name]
        assert kb_id == kb_ids[kb_index]
        marker = next((w.rstrip("。") for w in body.split() if w.startswith("zq")), None)
        chunks[cid] = Chunk(marker, kb_id, doc_name, level)
    org = _build_org(platform, kb_ids, rng)
    yield platform, org, chunks, kb_ids, rng
    platform.close()


def _visible(org: Org, chunks: dict[int, Chunk], user: int) -> set[int]:
    kbs = org.readable_kbs(user)
    return {
        cid
        for cid, c in chunks.items()
        if (kbs is None or c.kb_id in kbs) and c.level <= org.user_clearance[user]
    }


def _assert_no_leak(hits, visible: set[int], chunks: dict[int, Chunk], what: str) -> None:
    visible_markers = {chunks[c].marker for c in visible} | {chunks[c].doc_name for c in visible}
    all_markers = {c.marker for c in chunks.values()} | {c.doc_name for c in chunks.values()}
    for hit in hits:
        assert hit.chunk_id in visible, f"{what}: leaked chunk {hit.chunk_id}"
        words = {w.rstrip("。") for w in hit.text.split()}
        leaked = (words & all_markers) - visible_markers
        assert not leaked, f"{what}: text of a forbidden chunk {leaked}"


def test_scope_matches_the_oracle(world) -> None:
    platform, org, chunks, kb_ids, _ = world
    with platform.db.engine.connect() as conn:
        for user in org.user_dept:
            scope = scope_for_user(conn, user)
            expected = org.readable_kbs(user)
            assert scope.kb_ids == (None if expected is None else frozenset(expected))
            assert scope.clearance == org.user_clearance[user]


def test_thousands_of_queries_leak_nothing(world) -> None:
    platform, org, chunks, kb_ids, rng = world
    markers = [c.marker for c in chunks.values() if c.marker]
    queries = FILLER + rng.sample(markers, 27) + ["公司 报销 预算", "zq 标记段落", "本节编号"]
    searched = 0
    narrow_recall_checked = 0
    with platform.db.engine.connect() as conn:
        scopes = {user: scope_for_user(conn, user) for user in org.user_dept}
    for user, scope in scopes.items():
        visible = _visible(org, chunks, user)
        for query in queries:
            owner = next((c for c, v in chunks.items() if v.marker == query), None)
            for mode in ("lexical", "dense", "hybrid"):
                found = platform.searcher.search(query, scope=scope, limit=10, mode=mode)
                searched += 1
                what = f"user {user} {mode} {query!r}"
                _assert_no_leak(found.hits, visible, chunks, what)
                assert len(found.hits) <= len(visible)
                if owner in visible and mode != "dense":
                    assert found.hits and found.hits[0].chunk_id == owner, what
                    narrow_recall_checked += 1
            # Each layer filters on its own; the final load re-checks, so test them apart.
            with platform.db.engine.connect() as conn:
                groups = platform.tokenizer.query_terms(query)
                lexical = platform.searcher.lexical.search(conn, groups, scope, 50)
            dense = platform.searcher.vectors.search(
                platform.embedder.embed_queries([query])[0], scope, 50
            )
            for channel, ranked in (("lexical", lexical), ("dense", dense)):
                leaked = {cid for cid, _ in ranked} - visible
                assert not leaked, f"user {user} {channel} channel {query!r}: {leaked}"
        _check_dense_recall(platform, scope, visible, chunks)
    assert searched >= 3000
    assert narrow_recall_checked > 0


def _check_dense_recall(platform: Platform, scope: AccessScope, visible, chunks) -> None:
    """The dense channel's top hits equal a brute-force ranking over the visible chunks."""
    vectors = platform.searcher.vectors
    assert vectors is not None and vectors.mode == "ann"
    if not visible:
        return
    query = "zq 标记段落 公司 预算"
    qvec = platform.embedder.embed_queries([query])[0]
    got = [cid for cid, _ in vectors.search(qvec, scope, 5)]
    with platform.db.engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT chunk_id, vector FROM chunk_vectors")).all())
    allowed_ids = sorted(visible)
    matrix = np.vstack([np.frombuffer(stored[c], dtype=np.float32) for c in allowed_ids])
    best = [allowed_ids[i] for i in np.argsort(-(matrix @ qvec))[:5]]
    assert set(got) <= visible
    assert len(set(got) & set(best)) >= min(4, len(best)), (got, best)


def test_forbidden_knowledge_base_is_refused_like_a_missing_one(world) -> None:
    platform, org, chunks, kb_ids, _ = world
    names = {kb_id: name for kb_id, name in platform.searcher.kb_ids(None).items()}
    with platform.db.engine.connect() as conn:
        for user in org.user_dept:
            scope = scope_for_user(conn, user)
            for kb_id, name in names.items():
                if scope.allows_kb(kb_id):
                    continue
                with pytest.raises(KeyError) as forbidden:
                    platform.searcher.search("公司", [name], scope=scope)
                with pytest.raises(KeyError) as missing:
                    platform.searcher.search("公司", ["不存在的库"], scope=scope)
                assert forbidden.value.args == (name,) and missing.value.args == ("不存在的库",)


def test_answers_cite_only_readable_chunks(world) -> None:
    platform, org, chunks, kb_ids, rng = world
    markers = [c.marker for c in chunks.values() if c.marker]
    with platform.db.engine.connect() as conn:
        scopes = {user: scope_for_user(conn, user) for user in org.user_dept}
    for user, scope in scopes.items():
        visible = _visible(org, chunks, user)
        for marker in rng.sample(markers, 5):
            answer = ask(platform, f"{marker} 标记段落讲了什么？", scope=scope)
            _assert_no_leak(answer.hits, visible, chunks, f"ask as {user}")
            for citation in answer.citations:
                assert citation.chunk_id in visible
            words = {w.rstrip("。[]0123456789") for w in answer.text.split()}
            assert not (words & set(markers)) - {chunks[c].marker for c in visible}


def test_reclassification_takes_effect_in_every_channel(world) -> None:
    """Raise a document to 绝密: at once invisible to everyone below that clearance,
    including in the vector index, which cached the old label."""
    platform, org, chunks, kb_ids, _ = world
    target = next(c for c in chunks.values() if c.level == 0 and c.marker)
    with platform.db.engine.begin() as conn:
        doc_id = conn.execute(
            text(
                "SELECT document_id FROM chunks WHERE id = "
                "(SELECT min(id) FROM chunks WHERE text LIKE :m)"
            ),
            {"m": f"%{target.marker}%"},
        ).scalar_one()
        set_document_classification(conn, doc_id, 3)
    for c in chunks.values():
        if c.doc_name == target.doc_name and c.kb_id == target.kb_id:
            c.level = 3
    low = AccessScope(None, 2)
    for mode in ("lexical", "dense", "hybrid"):
        found = platform.searcher.search(target.marker, scope=low, limit=20, mode=mode)
        assert all(chunks[h.chunk_id].level <= 2 for h in found.hits), mode
        assert target.marker not in " ".join(h.text for h in found.hits), mode
    top = platform.searcher.search(target.marker, scope=AccessScope(None, 3), limit=1)
    assert target.marker in top.hits[0].text


def test_the_http_api_leaks_nothing(world) -> None:
    """The same company over real HTTP: search hits, chunk and document lookups, knowledge-base
    lists and error bodies. A forbidden chunk or document answers exactly like a missing one."""
    from tokenbase.api import create_app
    from tokenbase.identity.keys import create_key

    from ..api.server import LiveServer

    platform, org, chunks, kb_ids, rng = world
    markers = [c.marker for c in chunks.values() if c.marker]
    with platform.db.engine.begin() as conn:
        keys = {user: create_key(conn, user, "leak-suite", ["read"])[1] for user in org.user_dept}
        doc_of = dict(conn.execute(text("SELECT id, document_id FROM chunks")).all())
    missing_chunk = max(chunks) + 1000
    missing_doc = max(doc_of.values()) + 1000
    names = platform.searcher.kb_ids(None)
    with LiveServer(create_app(platform)) as server:
        for user, key in keys.items():
            visible = _visible(org, chunks, user)
            readable = org.readable_kbs(user)
            with server.client(headers={"Authorization": f"Bearer {key}"}) as http:
                listed = {kb["name"] for kb in http.get("/knowledge-bases").json()}
                expected = {n for i, n in names.items() if readable is None or i in readable}
                assert listed == expected, user
                for query in rng.sample(markers, 6) + ["公司 预算"]:
                    for mode in ("lexical", "dense", "hybrid"):
                        response = http.post("/search", json={"query": query, "mode": mode})
                        assert response.status_code == 200, response.text
                        ids = {h["chunk_id"] for h in response.json()["hits"]}
                        assert ids <= visible, (user, query, mode, ids - visible)
                chunk_404 = http.get(f"/chunks/{missing_chunk}")
                doc_404 = http.get(f"/documents/{missing_doc}")
                assert chunk_404.status_code == 404 and doc_404.status_code == 404
                for cid in rng.sample(sorted(chunks), 20):
                    chunk = http.get(f"/chunks/{cid}")
                    document = http.get(f"/documents/{doc_of[cid]}")
                    if cid in visible:
                        assert chunk.status_code == 200 and document.status_code == 200
                    else:
                        assert chunk.status_code == 404, (user, cid)
                        assert _body(chunk) == _body(chunk_404)
                        if not any(doc_of[v] == doc_of[cid] for v in visible):
                            assert _body(document) == _body(doc_404)
                for kb_id, name in names.items():
                    if readable is not None and kb_id not in readable:
                        forbidden = http.post("/search", json={"query": "公司", "kbs": [name]})
                        absent = http.post("/search", json={"query": "公司", "kbs": ["没有"]})
                        assert forbidden.status_code == absent.status_code == 404
                        assert _body(forbidden) == _body(absent)


def _body(response) -> dict:
    """An error body without what differs per request (its request id)."""
    error = dict(response.json()["error"])
    error.pop("request_id", None)
    details = error.get("details")
    if isinstance(details, dict):
        details = {k: v for k, v in details.items() if k != "request_id"}
        error["details"] = details
    return error
