"""The one message catalog for human output, in English and Chinese.

Only the CLI renders text; it asks :class:`Messages` for every label, heading and sentence it
prints. JSON output uses stable English keys and is never translated. Detailed problem texts
from the loader stay in English (like compiler diagnostics) and get a translated category label.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")

CATALOG: dict[str, dict[Lang, str]] = {
    # generic
    "error": {"en": "error", "zh": "错误"},
    "internal_error": {
        "en": "internal error: {error} (rerun with --debug for the traceback)",
        "zh": "内部错误：{error}（加 --debug 重新运行可查看调用栈）",
    },
    "missing_tool": {"en": "missing tool: {error}", "zh": "缺少工具：{error}"},
    "problems_found": {
        "en": "{count} problem(s) in {path}; nothing was changed",
        "zh": "{path} 中发现 {count} 个问题；未做任何更改",
    },
    "written": {"en": "written: {path}", "zh": "已写入：{path}"},
    "yes": {"en": "yes", "zh": "是"},
    "no": {"en": "no", "zh": "否"},
    "none": {"en": "none", "zh": "无"},
    # validate
    "valid": {
        "en": "{path}: valid — {zones} zones, {nodes} nodes, {units} units, {devices} devices, "
        "{links} links, {circuits} circuits",
        "zh": "{path}：校验通过 — {zones} 个安全域，{nodes} 个节点，{units} 个单位，"
        "{devices} 台设备，{links} 条链路，{circuits} 条专线",
    },
    # problem categories (Problem.code)
    "code.yaml": {"en": "YAML", "zh": "YAML 语法"},
    "code.schema": {"en": "schema", "zh": "格式"},
    "code.duplicate-id": {"en": "duplicate", "zh": "重复定义"},
    "code.duplicate-key": {"en": "duplicate key", "zh": "重复键"},
    "code.dangling-reference": {"en": "reference", "zh": "引用不存在"},
    "code.unknown-section": {"en": "section", "zh": "未知段"},
    "code.unknown-platform": {"en": "platform", "zh": "未知平台"},
    "code.interface-reuse": {"en": "interface reuse", "zh": "接口重复使用"},
    "code.duplicate-address": {"en": "address", "zh": "地址冲突"},
    "code.overlap": {"en": "prefix overlap", "zh": "网段重叠"},
    "code.hierarchy": {"en": "hierarchy", "zh": "层级错误"},
    "code.invalid-gateway": {"en": "gateway", "zh": "网关错误"},
    "code.self-link": {"en": "self link", "zh": "自环链路"},
    "code.empty": {"en": "empty", "zh": "空文件"},
    "code.encoding": {"en": "encoding", "zh": "编码"},
    "code.io": {"en": "read", "zh": "读取"},
    "code.invalid": {"en": "invalid", "zh": "无效"},
    # tables and headings
    "site": {"en": "Site", "zh": "站点"},
    "zones": {"en": "Zones", "zh": "安全域"},
    "nodes": {"en": "Backbone nodes", "zh": "骨干节点"},
    "units": {"en": "Units", "zh": "接入单位"},
    "devices": {"en": "Devices", "zh": "设备"},
    "links": {"en": "Links", "zh": "链路"},
    "circuits": {"en": "Circuits", "zh": "专线"},
    "locations": {"en": "Locations", "zh": "行政区划"},
    "col.id": {"en": "id", "zh": "标识"},
    "col.name": {"en": "name", "zh": "名称"},
    "col.kind": {"en": "kind", "zh": "类型"},
    "col.isolation": {"en": "isolation", "zh": "隔离要求"},
    "col.gateways": {"en": "gateways", "zh": "网关"},
    "col.prefixes": {"en": "prefixes", "zh": "网段"},
    "col.tier": {"en": "tier", "zh": "层级"},
    "col.location": {"en": "location", "zh": "位置"},
    "col.node": {"en": "node", "zh": "节点"},
    "col.networks": {"en": "networks", "zh": "所在网络"},
    "col.bandwidth": {"en": "bandwidth", "zh": "带宽"},
    "col.role": {"en": "role", "zh": "角色"},
    "col.platform": {"en": "platform", "zh": "平台"},
    "col.zone": {"en": "zone", "zh": "安全域"},
    "col.mgmt": {"en": "management", "zh": "管理地址"},
    "col.a": {"en": "end A", "zh": "A 端"},
    "col.b": {"en": "end B", "zh": "B 端"},
    "col.media": {"en": "media", "zh": "介质"},
    "col.cores": {"en": "cores", "zh": "芯数"},
    "col.km": {"en": "km", "zh": "公里"},
    "col.provider": {"en": "provider", "zh": "运营商"},
    "col.circuit_id": {"en": "circuit id", "zh": "电路编号"},
    "col.rate": {"en": "rate", "zh": "速率"},
    "col.endpoint": {"en": "endpoint", "zh": "端点"},
    "col.peer": {"en": "to", "zh": "对端"},
    "col.figure": {"en": "figure", "zh": "指标"},
    "col.value": {"en": "value", "zh": "数值"},
    "col.devices": {"en": "devices", "zh": "设备数"},
    "col.units_cut": {"en": "units cut off", "zh": "受影响单位"},
    "col.nodes_cut": {"en": "nodes cut off", "zh": "受影响节点"},
    "col.capacity": {"en": "uplink", "zh": "上联容量"},
    "col.demand": {"en": "demand", "zh": "接入需求"},
    "col.ratio": {"en": "ratio", "zh": "收敛比"},
    "col.reason": {"en": "reason", "zh": "原因"},
    "col.components": {"en": "components", "zh": "连通分量"},
    "col.connected": {"en": "connected", "zh": "是否连通"},
    "col.source": {"en": "declared at", "zh": "定义位置"},
    # stats
    "stat.nodes_by_tier": {"en": "nodes by tier (core/aggregation/access)",
                           "zh": "各层节点数（核心/汇聚/接入）"},
    "stat.nodes": {"en": "backbone nodes", "zh": "骨干节点"},
    "stat.units": {"en": "units", "zh": "接入单位"},
    "stat.units_by_kind": {"en": "units by kind", "zh": "单位类型"},
    "stat.units_by_network": {"en": "units by network", "zh": "各网络单位数"},
    "stat.devices": {"en": "devices", "zh": "设备"},
    "stat.devices_by_role": {"en": "devices by role", "zh": "设备角色"},
    "stat.devices_by_zone": {"en": "devices by zone", "zh": "各安全域设备数"},
    "stat.links": {"en": "links", "zh": "链路"},
    "stat.circuits": {"en": "circuits", "zh": "专线"},
    "stat.fibre_core_km": {"en": "fibre core-km", "zh": "光纤纤芯公里"},
    "stat.fibre_length_km": {"en": "fibre route km", "zh": "光缆长度（公里）"},
    "stat.zones": {"en": "zones", "zh": "安全域"},
    "stat.locations": {"en": "locations", "zh": "行政区划"},
    "stat.backbone_bandwidth": {"en": "backbone link rates", "zh": "骨干链路带宽"},
    "stat.unit_bandwidth": {"en": "unit access rates", "zh": "单位接入带宽"},
    "stat.circuits_by_peer": {"en": "circuits by peer", "zh": "专线去向"},
    # analyze
    "analyze.tiers": {"en": "Tier rules", "zh": "分层规则"},
    "analyze.tiers_ok": {"en": "every backbone link follows the tier rules",
                         "zh": "所有骨干链路均符合分层规则"},
    "analyze.connectivity": {"en": "Connectivity per zone", "zh": "各安全域连通性"},
    "analyze.spof_devices": {"en": "Single points of failure: devices ({zone})",
                             "zh": "单点故障设备（{zone}）"},
    "analyze.spof_links": {"en": "Single points of failure: links ({zone})",
                           "zh": "单点故障链路（{zone}）"},
    "analyze.spof_none": {"en": "no single point of failure in {zone}",
                          "zh": "{zone} 无单点故障"},
    "analyze.oversubscription": {"en": "Uplink oversubscription (limit {limit})",
                                 "zh": "上联收敛比（上限 {limit}）"},
    "analyze.oversubscription_ok": {"en": "no uplink above the limit",
                                    "zh": "没有超过上限的上联"},
    "analyze.summary": {
        "en": "{spofs} single points of failure, {tiers} tier-rule violations, "
        "{over} oversubscribed uplinks",
        "zh": "单点故障 {spofs} 处，分层违规 {tiers} 处，上联超限 {over} 处",
    },
    "audit.findings": {"en": "Findings ({count})", "zh": "发现问题（{count} 项）"},
    "audit.clean": {"en": "no findings from {checks} checks",
                    "zh": "{checks} 项检查均未发现问题"},
    "audit.summary": {"en": "by severity: {counts}", "zh": "按严重程度：{counts}"},
    "col.severity": {"en": "severity", "zh": "严重程度"},
    "col.check": {"en": "check", "zh": "检查项"},
    "col.title": {"en": "finding", "zh": "问题"},
    "html.title": {"en": "Network security audit — {site}", "zh": "网络安全审计报告 — {site}"},
    "html.generated": {"en": "generated {when} by egovops {version}",
                       "zh": "生成时间 {when}，egovops {version}"},
    "html.summary": {"en": "Summary", "zh": "概况"},
    "html.matrix": {"en": "Findings by zone pair", "zh": "安全域间问题矩阵"},
    "html.checks": {"en": "Checks run", "zh": "已执行的检查"},
    "sev.critical": {"en": "critical", "zh": "严重"},
    "sev.high": {"en": "high", "zh": "高危"},
    "sev.medium": {"en": "medium", "zh": "中危"},
    "sev.low": {"en": "low", "zh": "低危"},
    "sev.info": {"en": "info", "zh": "提示"},
    "col.evidence": {"en": "evidence", "zh": "证据"},
    "col.remediation": {"en": "remediation", "zh": "整改建议"},
    "col.mlps": {"en": "MLPS 2.0", "zh": "等保2.0条款"},
    "more": {"en": "… and {count} more (use --format json for all)",
             "zh": "……另有 {count} 项（使用 --format json 查看全部）"},
}


def detect_lang(environ: Mapping[str, str] | None = None) -> Lang:
    """``zh`` when the locale (LC_ALL, LC_MESSAGES, LANG, LANGUAGE) is Chinese, else ``en``."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


class Messages:
    """Looks up catalog entries in one language; missing keys are a programming error."""

    def __init__(self, lang: Lang) -> None:
        self.lang: Lang = lang

    def __call__(self, key: str, **values: object) -> str:
        return CATALOG[key][self.lang].format(**values)

    def has(self, key: str) -> bool:
        """Whether the catalog has ``key``."""
        return key in CATALOG

    def code(self, code: str) -> str:
        """Translated category label for a :class:`~egovops.errors.Problem` code."""
        entry = CATALOG.get(f"code.{code}")
        return entry[self.lang] if entry else code
