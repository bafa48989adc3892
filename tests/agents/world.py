"""A small company for agent tests: two knowledge bases (hr, sales), three users.

- root: administrator
- alice: reads hr only;  bob: reads sales only (user grants)
- agents: "hr" (kb hr), "sales" (kb sales), "desk" (both knowledge bases)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from tokenbase.agents import AgentSpec, create_agent
from tokenbase.db.schema import knowledge_bases
from tokenbase.identity.grants import set_grant
from tokenbase.identity.keys import create_key
from tokenbase.identity.users import create_user
from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.platform import Platform

from ..corpus import write_corpus

SALES = {
    "报价单.md": "# 产品报价\n\n## 断路器\n\n"
    "NXB-63小型断路器单价38元，批量采购100台以上打九折。\n\n"
    "## 交货周期\n\n标准产品下单后7个工作日内发货，定制产品需要20个工作日。\n",
    "返点政策.md": "# 经销商返点政策\n\n年度采购额超过50万元的经销商可获得3%返点，"
    "超过100万元的可获得5%返点。\n",
}

HR_QUESTION = "一线城市普通员工出差住宿标准是多少？"
SALES_QUESTION = "经销商年度采购额超过50万元可以获得多少返点？"


@dataclass
class World:
    platform: Platform
    root: int
    alice: int
    bob: int
    keys: dict[str, str]


def ingest(platform: Platform, folder: Path, kb: str) -> None:
    sources, _ = expand_sources([str(folder)])
    ingestor = platform.ingestor()
    assert not ingestor.run(ingestor.enqueue(sources, kb)).failed


def build(platform: Platform, tmp_path: Path) -> World:
    ingest(platform, write_corpus(tmp_path / "hr-docs"), "hr")
    sales = tmp_path / "sales-docs"
    sales.mkdir(parents=True)
    for name, text in SALES.items():
        (sales / name).write_text(text, encoding="utf-8")
    ingest(platform, sales, "sales")
    keys = {}
    with platform.db.engine.begin() as conn:
        kb = dict(conn.execute(select(knowledge_bases.c.name, knowledge_bases.c.id)).all())
        root = create_user(conn, "root", password="root-password", role="admin", clearance=3)
        alice = create_user(conn, "alice", password=None)
        bob = create_user(conn, "bob", password=None)
        set_grant(conn, kb["hr"], "user", alice.id, "read")
        set_grant(conn, kb["sales"], "user", bob.id, "read")
        for user in (root, alice, bob):
            scopes = ["admin"] if user is root else ["read"]
            keys[user.username] = create_key(conn, user.id, "tests", scopes)[1]
        create_agent(
            conn,
            AgentSpec(
                "hr",
                display_name="人事助手",
                description="人事制度、差旅报销、考勤和员工福利问答",
                avatar="🧑‍💼",
                kbs=["hr"],
            ),
            root.id,
        )
        create_agent(
            conn,
            AgentSpec(
                "sales",
                display_name="销售助手",
                description="产品报价、交货周期和经销商返点政策",
                avatar="💼",
                kbs=["sales"],
            ),
            root.id,
        )
        create_agent(conn, AgentSpec("desk", description="前台：什么都问", kbs=[]), root.id)
    return World(platform, root.id, alice.id, bob.id, keys)
