"""Front-desk routing accuracy on a labelled set of mixed questions across three agents.

Three agents — hr (人事制度), sales (产品与报价), it (IT 支持) — each with a small knowledge base
written for this benchmark, and 30 questions (10 per agent, phrased as employees ask them,
many not sharing words with the documents). Each question is routed with
`tokenbase.agents.routing.route` and compared with its label.

    python bench/agent_routing.py [--weight 0.5] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
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


def build(data_dir: Path, weight: float):  # type: ignore[no-untyped-def]
    from tokenbase.agents import AgentSpec, create_agent
    from tokenbase.config import load_settings
    from tokenbase.identity.users import create_user
    from tokenbase.ingest.sources import expand_sources
    from tokenbase.kb.platform import Platform

    platform = Platform(load_settings(data_dir, agents={"route_description_weight": weight}))
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


def run(weight: float) -> dict:
    from tokenbase.agents.routing import route

    with tempfile.TemporaryDirectory() as tmp:
        platform, user_id = build(Path(tmp) / "data", weight)
        try:
            started = time.perf_counter()
            wrong = []
            for question, label in QUESTIONS:
                decision = route(platform, question, user_id)
                if decision.agent.name != label:
                    wrong.append({"question": question, "label": label, **decision.to_dict()})
            elapsed = time.perf_counter() - started
        finally:
            platform.close()
    correct = len(QUESTIONS) - len(wrong)
    return {
        "questions": len(QUESTIONS),
        "correct": correct,
        "accuracy": correct / len(QUESTIONS),
        "weight": weight,
        "ms_per_question": 1000 * elapsed / len(QUESTIONS),
        "wrong": wrong,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weight", type=float, nargs="*", default=[0.0, 0.5, 1.0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = [run(w) for w in args.weight]
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    for r in results:
        print(
            f"weight {r['weight']:.2f}: {r['correct']}/{r['questions']} = {r['accuracy']:.1%} "
            f"({r['ms_per_question']:.1f} ms/question, profiles built on first use)"
        )
        for w in r["wrong"]:
            print(f"  ✗ {w['question']} → {w['agent']} (label {w['label']})")


if __name__ == "__main__":
    main()
