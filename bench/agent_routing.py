"""Front-desk routing accuracy on a labelled set of mixed questions across three agents.

Three agents — hr (人事制度), sales (产品与报价), it (IT 支持) — each with a small knowledge base
written for this benchmark, and 30 questions (10 per agent, phrased as employees ask them,
many not sharing words with the documents), plus 10 harder ones that mention two domains
("销售去客户那里出差，住宿能报多少？" is an hr question). Each question is routed with
`tokenbase.agents.routing.route` and compared with its label.

Near-ties: for each question the bench reports whether the best agents are within the tie
margin (`--margin`, default agents.route_tie_margin = 0.03) — the questions a tie-breaker
model would be asked about — and whether the label is among them, which bounds what any
tie-breaker can do: accuracy if it always picked the label when it could ("oracle") and if it
always picked a wrong candidate ("adversary"). These bounds need no model.

With `--tie-breaker FILE.toml` (a TokenBase config with [llm] providers/tiers) the tie-breaker
really runs: agents.route_model_tier = `--tier` (default: llm.default_tier of the file).

    python bench/agent_routing.py [--weight 0.5] [--margin 0.03] [--json]
    python bench/agent_routing.py --weight 0.5 --tie-breaker llm.toml --tier fast
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

CORPORA = {
    "hr": {
        "差旅制度.md": "# 差旅管理制度\n\n## 住宿标准\n\n"
        "一线城市普通员工住宿每晚不超过500元，经理不超过650元。"
        "\n\n## 交通\n\n出差乘坐高铁二等座，经理可乘坐一等座；飞机一律经济舱。\n\n## 报销时限\n\n"
        "差旅费用应在出差结束后30天内提交报销，逾期不予受理。\n",
        "考勤与假期.md": "# 考勤与休假\n\n"
        "员工每年享有5至15天带薪年假，按工龄计算。病假需提供医院证明。"
        "\n\n婚假10天，产假158天，陪产假15天。\n\n迟到超过30分钟按事假半天处理。\n",
        "薪酬福利.md": "# 薪酬福利\n\n工资每月10日发放。公司为员工缴纳五险一金，公积金比例12%。"
        "\n\n每年组织一次免费体检，生日当月发放200元礼品卡。\n",
    },
    "sales": {
        "报价单.md": "# 产品报价\n\n## 断路器\n\n"
        "NXB-63小型断路器单价38元，批量采购100台以上打九折。"
        "\n\n## 变频器\n\nVFD-5.5kW变频器单价2600元，含一年保修。\n",
        "交货与合同.md": "# 交货与合同\n\n标准产品下单后7个工作日内发货，定制产品需要20个工作日。"
        "\n\n合同金额超过20万元需销售总监审批，预付款比例30%。\n",
        "经销商政策.md": "# 经销商返点政策\n\n年度采购额超过50万元的经销商可获得3%返点，"
        "超过100万元的可获得5%返点。区域独家代理需签订三年协议。\n",
    },
    "it": {
        "账号与密码.md": "# 账号与密码\n\n域账号密码每90天必须修改一次，长度不少于12位。"
        "\n\n忘记密码可在自助门户重置，或拨打IT服务台分机8000。\n",
        "VPN与远程办公.md": "# VPN 与远程办公\n\n在家办公需先连接公司VPN，客户端为FortiClient。"
        "\n\n VPN连接失败时请检查网络并重新安装证书。\n",
        "设备与软件.md": "# 办公设备与软件\n\n笔记本电脑三年更换一次，打印机卡纸请联系行政。"
        "\n\n安装新软件需在IT工单系统提交申请，禁止安装盗版软件。邮箱容量为50GB。\n",
    },
}

AGENTS = {
    "hr": ("人事助手", "人事制度、差旅报销、考勤休假、薪酬福利和员工关系问答"),
    "sales": ("销售助手", "产品报价、交货周期、合同审批和经销商返点政策"),
    "it": ("IT 服务台", "电脑、账号密码、VPN、邮箱、打印机和软件安装等 IT 支持"),
}

QUESTIONS = [
    ("去上海出差住酒店能报多少钱？", "hr"),
    ("我下个月结婚，可以休几天假？", "hr"),
    ("工资是每个月几号发？", "hr"),
    ("出差回来多久之内要交报销单？", "hr"),
    ("经理出差能坐飞机商务舱吗？", "hr"),
    ("我工作五年了，年假有多少天？", "hr"),
    ("公积金按多少比例交？", "hr"),
    ("生病请假需要什么材料？", "hr"),
    ("今年的体检什么时候安排？", "hr"),
    ("上班迟到四十分钟会怎么处理？", "hr"),
    ("63安培的小型断路器多少钱一个？", "sales"),
    ("客户要买200台断路器，能给什么折扣？", "sales"),
    ("定制的产品多久能发货？", "sales"),
    ("经销商一年进货80万能拿多少返利？", "sales"),
    ("5.5千瓦的变频器报价是多少？", "sales"),
    ("一份30万的合同需要谁来审批？", "sales"),
    ("客户下单要先付多少定金？", "sales"),
    ("想做我们区域的独家代理有什么要求？", "sales"),
    ("变频器的保修期是多久？", "sales"),
    ("标准款下单后几天发货？", "sales"),
    ("电脑开机密码忘了怎么办？", "it"),
    ("在家连不上公司内网怎么处理？", "it"),
    ("我想装一个画图软件要走什么流程？", "it"),
    ("打印机卡纸了找谁？", "it"),
    ("邮箱满了，容量有多大？", "it"),
    ("密码多久必须改一次？", "it"),
    ("笔记本用了三年可以换新的吗？", "it"),
    ("VPN客户端用的是哪个软件？", "it"),
    ("IT服务台的电话是多少？", "it"),
    ("域账号的密码有什么要求？", "it"),
]

# Two domains in one question; the label is the domain that answers it.
HARD_QUESTIONS = [
    ("销售去客户那里出差，住宿能报多少？", "hr"),
    ("给经销商的合同超过多少钱要总监签字？", "sales"),
    ("出差时笔记本连不上公司VPN怎么办？", "it"),
    ("销售部新来的同事电脑几年能换？", "it"),
    ("在家办公那天迟到了算事假吗？", "hr"),
    ("报销系统的登录密码忘了怎么办？", "it"),
    ("去客户现场培训变频器，能坐一等座吗？", "hr"),
    ("客户问批量买断路器有没有优惠？", "sales"),
    ("我想在电脑上装报价软件，要走什么流程？", "it"),
    ("大客户合同的预付款是多少？", "sales"),
]


def build(data_dir: Path, agents: dict, llm: dict | None = None):  # type: ignore[no-untyped-def]
    from tokenbase.agents import AgentSpec, create_agent
    from tokenbase.config import load_settings
    from tokenbase.identity.users import create_user
    from tokenbase.ingest.sources import expand_sources
    from tokenbase.kb.platform import Platform

    overrides: dict = {"agents": agents}
    if llm:
        overrides["llm"] = llm
    platform = Platform(load_settings(data_dir, **overrides))
    for kb, files in CORPORA.items():
        folder = data_dir.parent / f"docs-{kb}"
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        sources, _ = expand_sources([str(folder)])
        ingestor = platform.ingestor()
        assert not ingestor.run(ingestor.enqueue(sources, kb)).failed
    with platform.db.engine.begin() as conn:
        user = create_user(conn, "bench", password=None, role="admin", clearance=3)
        for name, (display, description) in AGENTS.items():
            create_agent(
                conn, AgentSpec(name, display_name=display, description=description, kbs=[name])
            )
    return platform, user.id


def run(weight: float, margin: float, llm: dict | None = None, tier: str = "") -> dict:
    from tokenbase.agents.routing import route

    agents = {
        "route_description_weight": weight,
        "route_tie_margin": margin,
        "route_model_tier": tier if llm else "",
    }
    sets = {"base": QUESTIONS, "hard": HARD_QUESTIONS}
    with tempfile.TemporaryDirectory() as tmp:
        platform, user_id = build(Path(tmp) / "data", agents, llm)
        try:
            started = time.perf_counter()
            rows = []
            for name, questions in sets.items():
                for question, label in questions:
                    decision = route(platform, question, user_id)
                    rows.append(
                        {"set": name, "question": question, "label": label, **decision.to_dict()}
                    )
            elapsed = time.perf_counter() - started
        finally:
            platform.close()
    return {
        "weight": weight,
        "margin": margin,
        "tie_breaker": bool(llm),
        "ms_per_question": 1000 * elapsed / len(rows),
        "sets": {name: summarise([r for r in rows if r["set"] == name]) for name in sets},
    }


MARGINS = (0.005, 0.01, 0.02, 0.03, 0.05)


def by_margin(rows: list[dict], margin: float) -> dict:
    """Near-ties and tie-breaker bounds at another margin, from the scores alone: the best two
    tie when their gap is within the margin; the label is a candidate when its own gap is."""
    ties = oracle = adversary = 0
    for r in rows:
        scores = {s["agent"]: s["score"] for s in r["scores"]}
        best = r["scores"][0]["score"]
        tie = len(r["scores"]) > 1 and best - r["scores"][1]["score"] <= margin
        ties += tie
        oracle += best - scores[r["label"]] <= margin
        adversary += not tie and r["scores"][0]["agent"] == r["label"]
    return {"ties": ties, "oracle_correct": oracle, "adversary_correct": adversary}


def summarise(rows: list[dict]) -> dict:
    """Accuracy, near-ties and the tie-breaker bounds over one question set."""
    correct = [r for r in rows if r["agent"] == r["label"]]
    tied = [r for r in rows if len(r["tied"]) >= 2]
    top = [r for r in rows if r["scores"][0]["agent"] == r["label"]]  # the embedding choice
    untied_right = [r for r in top if len(r["tied"]) < 2]
    # With a tie, the pick is the tie-breaker's: right at best when the label is a candidate.
    label_in_tie = [r for r in tied if r["label"] in r["tied"]]
    return {
        "questions": len(rows),
        "correct": len(correct),
        "accuracy": len(correct) / len(rows),
        "embedding_correct": len(top),
        "ties": len(tied),
        "tie_rate": len(tied) / len(rows),
        "ties_label_in_tie": len(label_in_tie),
        "ties_embedding_right": sum(1 for r in tied if r in top),
        "oracle_correct": len(untied_right) + len(label_in_tie),
        "adversary_correct": len(untied_right),
        "decided_by_model": sum(1 for r in rows if r["decided_by"] == "model"),
        "model_errors": sum(1 for r in rows if r["model_error"]),
        "wrong": [
            {k: r[k] for k in ("question", "label", "agent", "decided_by", "tied", "reason")}
            for r in rows
            if r["agent"] != r["label"]
        ],
        "by_margin": {str(m): by_margin(rows, m) for m in MARGINS},
        "tied_questions": [
            {
                "question": r["question"],
                "label": r["label"],
                "tied": r["tied"],
                "gap": round(r["scores"][0]["score"] - r["scores"][1]["score"], 4),
            }
            for r in tied
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weight", type=float, nargs="*", default=[0.0, 0.5, 1.0])
    parser.add_argument("--margin", type=float, default=0.03, help="agents.route_tie_margin")
    parser.add_argument("--tie-breaker", type=Path, help="TOML with [llm]: run the tie-breaker")
    parser.add_argument("--tier", default="", help="tie-breaker tier (default: llm.default_tier)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    llm, tier = None, ""
    if args.tie_breaker:
        llm = tomllib.loads(args.tie_breaker.read_text(encoding="utf-8"))["llm"]
        tier = args.tier or llm.get("default_tier", "standard")
    results = [run(w, args.margin, llm, tier) for w in args.weight]
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    for r in results:
        mode = f"tie-breaker tier {tier}" if r["tie_breaker"] else "embeddings only"
        print(
            f"weight {r['weight']:.2f}, margin {r['margin']:.3f}, {mode} "
            f"({r['ms_per_question']:.1f} ms/question, profiles built on first use)"
        )
        for name, s in r["sets"].items():
            print(
                f"  {name}: {s['correct']}/{s['questions']} = {s['accuracy']:.1%}; "
                f"near-ties {s['ties']} ({s['tie_rate']:.0%}), label among them "
                f"{s['ties_label_in_tie']}, embedding right in {s['ties_embedding_right']}; "
                f"bounds with a tie-breaker: oracle {s['oracle_correct']}, "
                f"adversary {s['adversary_correct']}"
                + (
                    f"; model decided {s['decided_by_model']}, errors {s['model_errors']}"
                    if r["tie_breaker"]
                    else ""
                )
            )
            print(
                "    near-ties by margin: "
                + ", ".join(
                    f"{m}: {v['ties']} (oracle {v['oracle_correct']}, "
                    f"adversary {v['adversary_correct']})"
                    for m, v in s["by_margin"].items()
                )
            )
            for w in s["wrong"]:
                print(f"    ✗ {w['question']} → {w['agent']} (label {w['label']}, tie {w['tied']})")
            for t in s["tied_questions"]:
                print(f"    ~ {t['question']} tie {t['tied']} gap {t['gap']} (label {t['label']})")


if __name__ == "__main__":
    main()
