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
    "audit.waived": {"en": "{count} finding(s) waived (see the inventory's waivers)",
                     "zh": "{count} 项问题已豁免（见清单中的 waivers）"},
    "audit.summary": {"en": "by severity: {counts}", "zh": "按严重程度：{counts}"},
    "audit.snapshot": {"en": "firewall rulesets from snapshot {path} (collected {when})",
                       "zh": "防火墙规则取自采集快照 {path}（采集于 {when}）"},
    "col.severity": {"en": "severity", "zh": "严重程度"},
    "col.check": {"en": "check", "zh": "检查项"},
    "col.title": {"en": "finding", "zh": "问题"},
    "html.title": {"en": "Network security audit — {site}", "zh": "网络安全审计报告 — {site}"},
    "html.generated": {"en": "generated {when} by egovops {version}",
                       "zh": "生成时间 {when}，egovops {version}"},
    "html.summary": {"en": "Summary", "zh": "概况"},
    "html.matrix": {"en": "Findings by zone pair", "zh": "安全域间问题矩阵"},
    "html.reach": {"en": "What each zone can send to each other zone (proved from the rulesets)",
                   "zh": "各安全域之间可达的流量（由防火墙规则证明）"},
    "col.source_zone": {"en": "from", "zh": "源安全域"},
    "col.target_zone": {"en": "to", "zh": "目的安全域"},
    "col.via": {"en": "via", "zh": "经由"},
    "html.checks": {"en": "Checks run", "zh": "已执行的检查"},
    "sev.critical": {"en": "critical", "zh": "严重"},
    "sev.high": {"en": "high", "zh": "高危"},
    "sev.medium": {"en": "medium", "zh": "中危"},
    "sev.low": {"en": "low", "zh": "低危"},
    "sev.info": {"en": "info", "zh": "提示"},
    "col.evidence": {"en": "evidence", "zh": "证据"},
    "col.remediation": {"en": "remediation", "zh": "整改建议"},
    "col.mlps": {"en": "MLPS 2.0", "zh": "等保2.0条款"},
    "fw.summary": {
        "en": "{file} ({format}): {chains} base chain(s), {rules} rule(s), {anomalies} anomalies",
        "zh": "{file}（{format}）：{chains} 条基础链，{rules} 条规则，{anomalies} 处异常",
    },
    "fw.anomalies": {"en": "Anomalies", "zh": "规则异常"},
    "fw.example": {"en": "example", "zh": "示例报文"},
    "fw.packet": {"en": "packet", "zh": "报文"},
    "fw.by_policy": {"en": "{verdict}: no rule matches; the default policy of {chains} decides",
                     "zh": "{verdict}：无规则匹配，由 {chains} 的默认策略决定"},
    "fw.by_rule": {"en": "{verdict}: decided by {source} [{path}] {text}",
                   "zh": "{verdict}：由 {source} [{path}] {text} 决定"},
    "fw.diff_none": {"en": "no packet changes verdict", "zh": "没有报文的处理结果发生变化"},
    "fw.chain_removed": {"en": "chain {chain} removed", "zh": "链 {chain} 已删除"},
    "fw.chain_added": {"en": "chain {chain} added", "zh": "新增链 {chain}"},
    "col.rule": {"en": "rule", "zh": "规则"},
    "col.detail": {"en": "detail", "zh": "说明"},
    "col.change": {"en": "change", "zh": "变化"},
    "col.packets": {"en": "packets", "zh": "报文集合"},
    "col.example": {"en": "example", "zh": "示例"},
    "more": {"en": "… and {count} more (use --format json for all)",
             "zh": "……另有 {count} 项（使用 --format json 查看全部）"},
    # pki
    "pki.prompt_passphrase": {"en": "CA passphrase", "zh": "CA 口令"},
    "pki.prompt_pin": {"en": "token PIN", "zh": "USB-KEY PIN 码"},
    "pki.init_done": {
        "en": "CA initialised in {path}: root {root}, issuing CA {issuing}",
        "zh": "已在 {path} 初始化 CA：根 CA {root}，签发 CA {issuing}",
    },
    "pki.root_offline": {
        "en": "move the root key {path} to offline storage; it is needed only to re-sign "
        "the issuing CA",
        "zh": "请将根 CA 私钥 {path} 移至离线介质保存；仅在重新签发签发 CA 时需要",
    },
    "pki.issued": {
        "en": "issued {profile} certificate {serial} for {subject}, valid until {not_after}",
        "zh": "已签发 {profile} 证书 {serial}（{subject}），有效期至 {not_after}",
    },
    "pki.key_written": {"en": "private key: {path} (mode 0600)",
                        "zh": "私钥：{path}（权限 0600）"},
    "pki.cert_written": {"en": "certificate: {path}", "zh": "证书：{path}"},
    "pki.token_written": {
        "en": "key generated on token {token} (serial {serial}) and certificate stored beside "
        "it: label {label}, id {id}",
        "zh": "密钥已在 USB-KEY {token}（序列号 {serial}）上生成，证书已写入：标签 {label}，"
        "ID {id}",
    },
    "pki.revoked": {
        "en": "revoked {serial} ({reason}); publish the CRL with `egovops pki crl`",
        "zh": "已吊销 {serial}（{reason}）；请执行 `egovops pki crl` 发布 CRL",
    },
    "pki.crl_done": {
        "en": "CRL #{number} published: {count} revoked, next update {next_update}; {der}, {pem}",
        "zh": "已发布第 {number} 号 CRL：吊销 {count} 张，下次更新 {next_update}；{der}，{pem}",
    },
    "pki.verify_ok": {"en": "{serial} {subject}: valid (profile {profile})",
                      "zh": "{serial} {subject}：有效（模板 {profile}）"},
    "pki.verify_fail": {"en": "{serial} {subject}: NOT valid (profile {profile})",
                        "zh": "{serial} {subject}：无效（模板 {profile}）"},
    "pki.audit_ok": {"en": "audit log intact: {entries} entries, head {head}",
                     "zh": "审计日志完整：共 {entries} 条，链头 {head}"},
    "pki.audit_broken": {"en": "audit log broken: {count} problem(s)",
                         "zh": "审计日志已被篡改：{count} 处问题"},
    "pki.export_done": {"en": "ocserv files written to {path}: ca.pem, crl.pem, ocserv-pki.conf",
                        "zh": "ocserv 文件已写入 {path}：ca.pem、crl.pem、ocserv-pki.conf"},
    "pki.none": {"en": "no certificates", "zh": "没有证书"},
    "pki.tokens_none": {"en": "no tokens", "zh": "未发现 USB-KEY"},
    "pki.certs": {"en": "Certificates ({count})", "zh": "证书（{count} 张）"},
    "pki.register": {"en": "USB-KEY register ({count})", "zh": "USB-KEY 发放登记（{count} 个）"},
    "pki.tokens": {"en": "Tokens", "zh": "USB-KEY 列表"},
    "pki.objects": {"en": "Objects on token {label} ({count})",
                    "zh": "USB-KEY {label} 上的对象（{count} 个）"},
    "pki.col.serial": {"en": "serial", "zh": "序列号"},
    "pki.col.profile": {"en": "profile", "zh": "证书模板"},
    "pki.col.subject": {"en": "subject", "zh": "主题"},
    "pki.col.unit": {"en": "unit", "zh": "单位"},
    "pki.col.holder": {"en": "staff id", "zh": "工号"},
    "pki.col.name": {"en": "name", "zh": "姓名"},
    "pki.col.token": {"en": "token serial", "zh": "USB-KEY 序列号"},
    "pki.col.not_after": {"en": "valid until", "zh": "有效期至"},
    "pki.col.status": {"en": "status", "zh": "状态"},
    "pki.col.slot": {"en": "slot", "zh": "插槽"},
    "pki.col.label": {"en": "label", "zh": "标签"},
    "pki.col.manufacturer": {"en": "manufacturer", "zh": "厂商"},
    "pki.col.model": {"en": "model", "zh": "型号"},
    "pki.col.kind": {"en": "object", "zh": "对象类型"},
    "pki.col.key_id": {"en": "id (CKA_ID)", "zh": "标识（CKA_ID）"},
    "pki.col.protection": {"en": "protection", "zh": "保护属性"},
    # lab (egovops lab …)
    "lab.up": {"en": "lab {site}: {nodes} nodes and {links} links up in {seconds} s",
               "zh": "实验网 {site}：{nodes} 个节点、{links} 条链路已就绪，用时 {seconds} 秒"},
    "lab.ssh_config": {"en": "ssh config for the nodes: {path}",
                       "zh": "节点的 SSH 配置：{path}"},
    "lab.skipped": {"en": "no namespace (no management address): {devices}",
                    "zh": "未建命名空间（无管理地址）：{devices}"},
    "lab.down": {"en": "lab {site}: {count} namespaces ({prefix}*) removed",
                 "zh": "实验网 {site}：已删除 {count} 个命名空间（{prefix}*）"},
    "lab.status": {"en": "Lab {site}", "zh": "实验网 {site}"},
    "lab.ns": {"en": "namespace", "zh": "命名空间"},
    "lab.sshd": {"en": "sshd", "zh": "sshd"},
    "lab.lldpd": {"en": "lldpd", "zh": "lldpd"},
    "lab.tarpit": {"en": "tarpit", "zh": "挂起监听"},
    "lab.leftovers": {"en": "namespaces not in the inventory (lab down removes them): {names}",
                      "zh": "清单中没有的命名空间（lab down 会删除）：{names}"},
    # collect (egovops collect …)
    "collect.progress": {"en": "collecting", "zh": "正在采集"},
    "collect.failed": {"en": "Devices not collected ({count})",
                       "zh": "未能采集的设备（{count} 台）"},
    "collect.device": {"en": "device", "zh": "设备"},
    "collect.kind": {"en": "kind", "zh": "类别"},
    "collect.error": {"en": "why", "zh": "原因"},
    "collect.summary": {"en": "{ok} of {total} devices collected; snapshot: {path}",
                        "zh": "已采集 {ok}/{total} 台设备；快照：{path}"},
    "collect.kind.auth": {"en": "login refused", "zh": "登录被拒绝"},
    "collect.kind.timeout": {"en": "timeout", "zh": "超时"},
    "collect.kind.unreachable": {"en": "unreachable", "zh": "不可达"},
    "collect.kind.credentials": {"en": "credentials", "zh": "凭据缺失"},
    "collect.kind.unsupported": {"en": "unsupported", "zh": "不支持"},
    "collect.kind.protocol": {"en": "protocol", "zh": "协议错误"},
    "collect.kind.parse": {"en": "parse", "zh": "解析失败"},
    "collect.kind.internal": {"en": "internal", "zh": "内部错误"},
    # emergency plan (egovops plan …)
    "plan.level": {"en": "candidate emergency level: {level} ({name}, {color})",
                   "zh": "候选事件级别：{level} 级（{name}，{color}）"},
    "plan.deadline": {
        "en": "respond within {response}, report within {report} to {report_to}; lead: {owner}",
        "zh": "{response} 内响应，{report} 内报告{report_to}；牵头：{owner}",
    },
    "plan.none": {"en": "no condition of the emergency plan holds",
                  "zh": "应急预案的触发条件均未成立"},
    "plan.conditions": {"en": "Conditions ({count})", "zh": "预案条件（{count} 项）"},
    "plan.col.condition": {"en": "condition", "zh": "条件"},
    "plan.col.level": {"en": "level", "zh": "级别"},
    "plan.col.state": {"en": "state", "zh": "状态"},
    "plan.col.reason": {"en": "why", "zh": "依据"},
    "plan.state.active": {"en": "holds", "zh": "成立"},
    "plan.state.clear": {"en": "clear", "zh": "未成立"},
    "plan.state.unknown": {"en": "unknown", "zh": "无法判断"},
    "plan.rendered": {"en": "{count} files rendered into {path} ({changed} changed)",
                      "zh": "已生成 {count} 个文件到 {path}（{changed} 个有变化）"},
    "plan.stale": {"en": "{path} is out of date; run `egovops plan render`",
                   "zh": "{path} 已过期；请运行 `egovops plan render`"},
    # active probes (egovops audit probe …)
    "probe.table": {"en": "Probes ({count}, from {mode}, {seconds} s)",
                    "zh": "主动探测（{count} 项，探测点 {mode}，用时 {seconds} 秒）"},
    "probe.plan": {"en": "Probe plan ({count} probes; dry run, nothing sent)",
                   "zh": "探测计划（{count} 项；仅列出，未发送）"},
    "probe.col.source": {"en": "from", "zh": "源"},
    "probe.col.target": {"en": "to", "zh": "目的"},
    "probe.col.service": {"en": "service", "zh": "服务"},
    "probe.col.expected": {"en": "static proof", "zh": "静态证明"},
    "probe.col.observed": {"en": "observed", "zh": "实测"},
    "probe.col.agreement": {"en": "agreement", "zh": "一致性"},
    "probe.col.why": {"en": "why (static)", "zh": "静态依据"},
    "probe.summary": {
        "en": "{agree} agree, {disagree} disagree, {undecided} undecided, {not_run} not run",
        "zh": "一致 {agree} 项，不一致 {disagree} 项，无法判定 {undecided} 项，未执行 {not_run} 项",
    },
    "probe.not_run": {"en": "{count} probe(s) could not be sent: {first}",
                      "zh": "{count} 项探测未能发送：{first}"},
    "probe.empty": {"en": "nothing to probe{where}: no zone pair, flow or service to test",
                    "zh": "没有可执行的探测{where}：无需要检验的安全域对、访问流或服务"},
    # metrics (egovops metrics …, egovops audit … --textfile)
    "metrics.textfile": {"en": "metrics written for node_exporter: {path}",
                         "zh": "已写入 node_exporter 指标文件：{path}"},
    # fail-closed audits and parse warnings (#12)
    "audit.unproven": {"en": "unproven: {why}", "zh": "未经证明：{why}"},
    "fw.skipped": {
        "en": "{count} construct(s) skipped (parse warnings; results that depend on them are "
        "unproven, --strict makes them errors):",
        "zh": "跳过 {count} 处无法建模的配置（解析警告；依赖它们的结论均未经证明，"
        "加 --strict 则作为错误）：",
    },
    "fw.skip_line": {"en": "{where}: {construct} — {reason} (bound: {bound})",
                     "zh": "{where}：{construct} — {reason}（影响方向：{bound}）"},
    "fw.may_match": {
        "en": "{verdict} or {other}: unproven, {source} [{path}] {text} may match ({why})",
        "zh": "{verdict} 或 {other}：未经证明，{source} [{path}] {text} 可能匹配（{why}）",
    },
    "fw.tainted": {
        "en": "{verdict}: unproven, the verdict may differ because constructs were skipped "
        "({why})",
        "zh": "{verdict}：未经证明，因有配置被跳过，实际处理结果可能不同（{why}）",
    },
    "validate.config_missing": {
        "en": "{where}: warning: device {device}: config file {path} does not exist (the "
        "firewall audit will report it as firewall.config-unreadable)",
        "zh": "{where}：警告：设备 {device} 的配置文件 {path} 不存在（防火墙审计将报告 "
        "firewall.config-unreadable）",
    },
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
