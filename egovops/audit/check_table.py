# ruff: noqa: E501 - message tables read best one text per line
"""Every check egovops runs, declared once: see :mod:`egovops.audit.registry` for the API.

Texts are ``(en, zh)`` pairs. Placeholders are technical tokens (ids, addresses, rule text,
``file:line``) or phrases from :data:`PHRASES`. Keep a Chinese text free of English words other
than technical terms (nft, ssh, ACL …): a test renders every template and checks.
"""

from __future__ import annotations

from egovops.audit.registry import CheckSpec, Text, spec
from egovops.model.findings import Severity

C, H, M, L, N = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW,
                 Severity.INFO)  # N: info ("notice")

_ACCEPTED = ("accepted: {packets}; e.g. {example}{decided}", "放行：{packets}；例如 {example}{decided}")
_WHAT = ("{device}: {what}", "{device}：{what}")
_WHY = ("{why}", "{why}")
_FIX = ("{fix}", "{fix}")

_ISOLATION: tuple[CheckSpec, ...] = (
    spec("isolation.physical-link", C, ["8.1.3.1 a)", "8.1.2.1 d)"],
         about=("no link crosses the boundary of a physically isolated zone",
                "没有链路跨越物理隔离区域的边界"),
         title=("link joins {zone_a} and {zone_b}", "链路连接了 {zone_a} 与 {zone_b}"),
         evidence=("{end_a} is in zone {zone_a}, {end_b} is in zone {zone_b}; {isolated} "
                   "requires physical isolation",
                   "{end_a} 属于安全域 {zone_a}，{end_b} 属于安全域 {zone_b}；{isolated} 要求物理隔离"),
         remediation=("remove the link, or replace it with a declared one-way data diode (role "
                      "data-diode with transfer source/target)",
                      "拆除该链路，或改用已登记的单向导入设备（role: data-diode，并声明 transfer 的 "
                      "source/target）")),
    spec("isolation.shared-device", C, ["8.1.3.1 a)", "8.1.2.1 d)"],
         about=("no device is shared between a physically isolated zone and another zone",
                "没有设备同时接入物理隔离区域和其他区域"),
         title=("device {device} spans {spans}", "设备 {device} 跨越安全域 {spans}"),
         evidence=("interfaces in zones {interfaces}", "各接口所属安全域：{interfaces}"),
         remediation=("use separate devices for the isolated zone; only a declared data diode "
                      "may touch both sides",
                      "物理隔离区域应使用独立设备；只有已登记的单向导入设备可以同时连接两侧")),
    spec("isolation.circuit", C, ["8.1.3.1 c)"],
         about=("no circuit connects a physically isolated zone to an ISP",
                "物理隔离区域没有至运营商的专线"),
         title=("circuit {circuit} connects {zone} to an ISP", "专线 {circuit} 将 {zone} 连到了运营商"),
         evidence=("{provider} circuit {circuit_id} ends on {endpoint} in zone {zone}",
                   "{provider} 专线 {circuit_id} 终结于安全域 {zone} 的 {endpoint}"),
         remediation=("cancel the circuit or move it to the outer network's border router",
                      "撤销该专线，或将其迁至政务外网的出口路由器")),
    spec("isolation.wireless", C, ["8.1.3.1 d)"],
         about=("no wireless path in a physically isolated zone", "物理隔离区域中没有无线通路"),
         title=("{what} in {zone}", "{zone} 中存在{what}"),
         evidence=_WHY, remediation=_FIX),
    spec("isolation.address-plan", H, ["8.1.2.1 c)"],
         about=("isolated-zone devices use only their zone's addresses",
                "物理隔离区域的设备只使用本区域的地址"),
         title=("{zone} device uses an address of zone {owner}",
                "{zone} 的设备使用了安全域 {owner} 的地址"),
         evidence=("{where} address {address} of {device} lies in a prefix of zone {owner}",
                   "{device} 的{where}地址 {address} 属于安全域 {owner} 的网段"),
         remediation=("renumber from the isolated zone's own prefixes; an address from another "
                      "zone suggests it is managed or routed from there",
                      "改用本隔离区域自己的网段重新编址；使用其他区域的地址说明该设备可能从那里被管理或路由")),
    spec("isolation.gateway-bypass", C, ["8.1.3.1 a)"],
         about=("every path to the internet crosses a declared gateway",
                "每条通往互联网的路径都经过已声明的网关"),
         title=("{zone} reaches the internet without a gateway", "{zone} 不经网关即可到达互联网"),
         evidence=("path {path} avoids every declared gateway ({gateways}); {count} {zone} "
                   "device(s) share this bypass",
                   "路径 {path} 绕过了所有已声明的网关（{gateways}）；{zone} 中有 {count} 台设备共用此旁路"),
         remediation=("remove the bypass link or route it through a declared gateway; declare "
                      "the device as a gateway only if it enforces a default-deny policy",
                      "拆除旁路链路或使其经过已声明的网关；只有执行默认拒绝策略的设备才能声明为网关")),
)

_WAIVERS: tuple[CheckSpec, ...] = (
    spec("audit.waiver-expired", M, ["8.1.5.3 b)"],
         about=("waivers are current", "豁免均在有效期内"),
         title=("waiver for {finding} expired on {expires}", "{finding} 的豁免已于 {expires} 到期"),
         evidence=("owner {owner}: {reason}", "责任人 {owner}：{reason}"),
         remediation=("fix the finding, or renew the waiver with a new expiry and reason",
                      "整改该问题，或以新的到期日和理由续签豁免")),
    spec("audit.waiver-unused", N, ["8.1.5.3 b)"],
         about=("every waiver matches a finding", "每项豁免都对应一个问题"),
         title=("waiver for {finding} matches no finding", "{finding} 的豁免没有对应的问题"),
         evidence=("owner {owner}: {reason}", "责任人 {owner}：{reason}"),
         remediation=("remove the waiver (the finding is gone or its id changed)",
                      "删除该豁免（问题已消除或其标识已变化）")),
)

_ANOMALY_TEXTS = {
    "title": ("{device}: {kind} rule in {chain}", "{device}：{chain} 中存在{kind}规则"),
    "evidence": ("{rule}: {detail}{example}", "{rule}：{kind_detail}；相关规则：{related}{example}"),
    "remediation": ("remove or reorder the rule so that every rule decides something and the "
                    "order matches the intent",
                    "删除该规则或调整顺序，使每条规则都有实际作用且顺序符合策略意图"),
}


def _anomaly(check_id: str, severity: Severity, clauses: list[str],
             about: tuple[str, str]) -> CheckSpec:
    return spec(check_id, severity, clauses, about=about, title=_ANOMALY_TEXTS["title"],
                evidence=_ANOMALY_TEXTS["evidence"], remediation=_ANOMALY_TEXTS["remediation"])


_FIREWALL: tuple[CheckSpec, ...] = (
    spec("firewall.default-deny", C, ["8.1.3.2 a)"],
         about=("every boundary chain denies by default", "边界设备的每条链默认拒绝"),
         title=_WHAT, evidence=_WHY, remediation=_FIX),
    spec("firewall.over-broad", H, ["8.1.3.2 b)", "8.1.3.2 c)"],
         about=("no permit rule is wider than the policy's limits", "没有超出策略限度的过宽放行规则"),
         title=("{device}: over-broad permit in {chain}", "{device}：{chain} 中存在过宽的放行规则"),
         evidence=("{rule} permits {services} from {src} to {dst}",
                   "{rule} 放行从 {src} 到 {dst} 的{services}"),
         remediation=("narrow the source, destination and service to what the flow needs "
                      "(MLPS: access control lists minimised)",
                      "将源地址、目的地址和服务收窄到业务所需（等保：访问控制规则数量最小化）")),
    spec("firewall.risky-service", H, ["8.1.3.2 c)", "8.1.4.4 b)"],
         about=("no cleartext or high-risk service is reachable from untrusted zones",
                "不可信区域无法访问明文或高危服务"),
         title=("{device}: {service} reachable from {zone} ({hook})",
                "{device}：{service} 可从 {zone} 访问（{hook}）"),
         evidence=_ACCEPTED,
         remediation=("block {service} from {zone}{reason}", "阻断来自 {zone} 的 {service}{reason_zh}")),
    spec("firewall.management-plane", H, ["8.1.4.4 c)", "8.1.5.4 a)"],
         about=("device management is reachable only from the management zone",
                "设备管理面只能从管理区访问"),
         title=("{device}: management plane reachable from outside the management zone ({hook})",
                "{device}：管理面可从管理区以外访问（{hook}）"),
         evidence=_ACCEPTED,
         remediation=("allow management services only from the {zone} zone (bastion host); use "
                      "ssh/https, never telnet or http",
                      "仅允许从 {zone} 区（堡垒机）访问管理服务；使用 ssh/https，禁用 telnet 和 http")),
    spec("firewall.cleartext-management", H, ["8.1.4.1 c)", "8.1.5.4 b)"],
         about=("no device accepts management logins in cleartext (telnet, http, ftp, tftp)",
                "设备不接受明文管理登录（telnet、http、ftp、tftp）"),
         title=("{device}: {service} management accepted in cleartext ({hook})",
                "{device}：接受明文管理协议 {service}（{hook}）"),
         evidence=_ACCEPTED,
         remediation=("disable {service} on the device and block it in {hook}; manage over "
                      "ssh or https only",
                      "在设备上关闭 {service} 并在 {hook} 中阻断；只通过 ssh 或 https 管理")),
    spec("firewall.deny-logging", L, ["8.1.3.5 a)"],
         about=("every deny rule logs", "每条拒绝规则都记录日志"),
         title=("{device}: {count} deny rule(s) in {chain} do not log",
                "{device}：{chain} 中有 {count} 条拒绝规则未记录日志"),
         evidence=("rules without logging: {rules}{more}", "未记录日志的规则：{rules}{more}"),
         remediation=("add logging (nft 'log', iptables '-j LOG' before the drop, Huawei "
                      "'policy logging', Cisco 'log') so denied traffic is audited",
                      "为拒绝规则开启日志（nft 'log'、iptables 在丢弃前加 '-j LOG'、华为 'policy "
                      "logging'、Cisco 'log'），使被拒绝的流量可审计")),
    spec("firewall.required-flow", H, ["8.1.3.2 a)"],
         about=("every required flow gets through", "每条必需的访问流都能通过"),
         title=("{device}: required flow '{flow}' is blocked ({why})",
                "{device}：必需的访问流 '{flow}' 被阻断（{why}）"),
         evidence=("blocked: {packets}; e.g. {example}", "被阻断：{packets}；例如 {example}"),
         remediation=("permit the required flow (declared in the inventory's flows with "
                      "required: true)", "放行该必需访问流（在清单 flows 中以 required: true 声明）")),
    spec("firewall.undeclared-flow", M, ["8.1.3.1 a)", "8.1.3.2 a)"],
         about=("every flow a gateway lets through is declared", "网关放行的每条访问流都已声明"),
         title=("{device}: undeclared flow {source} -> {target} ({hook})",
                "{device}：未声明的访问流 {source} -> {target}（{hook}）"),
         evidence=("allowed but not declared: {packets}; e.g. {example}{decided}",
                   "放行但未声明：{packets}；例如 {example}{decided}"),
         remediation=("declare the flow in the inventory's flows if it is intended, else block it",
                      "如属业务需要，在清单的 flows 中声明该访问流，否则予以阻断")),
    _anomaly("firewall.shadowed", M, ["8.1.3.2 b)"],
             ("no rule is shadowed by earlier rules", "没有被前面规则遮蔽的规则")),
    _anomaly("firewall.redundant", L, ["8.1.3.2 b)"],
             ("no rule is redundant", "没有冗余规则")),
    _anomaly("firewall.correlated", N, ["8.1.3.2 b)"],
             ("overlapping rules with different actions are listed", "列出动作不同且相互重叠的规则")),
    _anomaly("firewall.never-matches", L, ["8.1.3.2 b)"],
             ("no rule can never match", "没有永远不会匹配的规则")),
    _anomaly("firewall.undefined-reference", H, ["8.1.3.2 a)"],
             ("no rule jumps to an undefined chain", "没有跳转到未定义链的规则")),
)

_SNAPSHOT: tuple[CheckSpec, ...] = (
    spec("firewall.config-missing", C, ["8.1.3.1 a)", "8.1.3.2 a)"], unverified=True,
         about=("every boundary device has a configuration to audit",
                "每台边界设备都有可审计的配置"),
         title=("{device}: no configuration to audit (no config:)",
                "{device}：没有可审计的配置（清单中无 config:）"),
         evidence=("{role} on the boundary of {zones} has no config: in the inventory, so "
                   "nothing it forwards is proven",
                   "位于 {zones} 边界的 {role} 在清单中没有 config:，其转发的流量均未经证明"),
         remediation=("save the device's configuration in the site folder and name it in "
                      "config: (or audit what runs on it with --snapshot)",
                      "将设备配置保存到站点目录并在 config: 中登记（或用 --snapshot 审计设备上实际运行的配置）")),
    spec("firewall.config-unreadable", C, ["8.1.3.1 a)", "8.1.3.2 a)"], unverified=True,
         about=("every boundary device's configuration can be read",
                "每台边界设备的配置都能被读取"),
         title=("{device}: configuration cannot be read, not audited",
                "{device}：配置无法读取，未审计"),
         evidence=("{summary}{problems}", "{summary}{problems}"),
         remediation=("fix the file (or the device's platform) so that egovops reads it; until "
                      "then nothing the device forwards is proven",
                      "修正该文件（或设备的平台）使 egovops 能够读取；在此之前该设备转发的流量均未经证明")),
    spec("firewall.config-empty", C, ["8.1.3.2 a)"],
         about=("no boundary device holds an empty ruleset", "没有边界设备的规则集为空"),
         title=("{device}: configuration holds no ruleset: it filters nothing",
                "{device}：配置中没有规则集，不过滤任何流量"),
         evidence=("{file}: {why}", "{file}：{why}"),
         remediation=("save the device's real configuration (with its ACLs, security policy or "
                      "chains); an empty ruleset forwards every packet",
                      "保存设备的真实配置（含 ACL、安全策略或链）；空规则集会转发所有报文")),
    spec("firewall.parse-unsupported", L, ["8.1.3.2 a)"], unverified=True,
         about=("every construct of the configurations is modelled",
                "配置中的每个语句都能被模型表达"),
         title=("{device}: construct skipped: {construct}", "{device}：跳过无法建模的配置：{construct}"),
         evidence=("{where}: {construct}{rule}: {reason}; {bends}{scope}",
                   "{where}：{construct}{rule}：{reason}；{bends}{scope}"),
         remediation=("express the construct in a form egovops models, or confirm by hand what "
                      "it decides (audit candidates with --strict to refuse such files)",
                      "改写为 egovops 能建模的形式，或人工确认其处理结果（审计候选配置时加 --strict 参数即拒绝此类文件）")),
    spec("firewall.snapshot-missing", H, ["8.1.3.2 a)"], unverified=True,
         about=("every gateway's running ruleset was collected and audited",
                "每台网关的运行规则都已采集并审计"),
         title=("{device}: gateway ruleset not in the snapshot, not audited",
                "{device}：快照中没有该网关的规则，未审计"),
         evidence=("{why}; the saved {config} was not used in its place",
                   "{why}；未以保存的 {config} 代替"),
         remediation=("collect the device again (egovops collect) and rerun the audit on the "
                      "new snapshot; an unaudited gateway is not proven",
                      "重新采集该设备（egovops collect）并对新快照重新审计；未审计的网关不能视为已证明")),
    spec("firewall.snapshot-empty", C, ["8.1.3.2 a)"],
         about=("no gateway runs an empty ruleset", "没有网关运行空规则集"),
         title=("{device}: running ruleset is empty: it filters nothing",
                "{device}：运行中的规则集为空，不过滤任何流量"),
         evidence=("{file} has no base chain, so every packet is forwarded{saved}",
                   "{file} 没有基础链，所有报文都被转发{saved}"),
         remediation=("load the reviewed configuration onto the device (nft -f / iptables-restore "
                      "/ the vendor's commit) and collect again",
                      "将审核过的配置加载到设备（nft -f / iptables-restore / 厂商的提交命令）后重新采集")),
    spec("firewall.snapshot-only", N, ["8.1.3.2 a)"],
         about=("every collected firewall is in the inventory", "采集到的每台防火墙都已登记在清单中"),
         title=_WHAT, evidence=_WHY, remediation=_FIX),
)

_PROBE: tuple[CheckSpec, ...] = (
    spec("probe.disagreement", H, ["8.1.3.1 a)", "8.1.3.2 a)"],
         about=("real probes agree with the static proof", "实际探测结果与静态证明一致"),
         title=("{what}", "{what}"),
         evidence=("probe from {source} ({source_zone}) to {target} ({target_zone}) {service}: "
                   "observed {observed}{detail}; static proof: {verdict} — {reason}; path {path}",
                   "探测 {source}（{source_zone}）→ {target}（{target_zone}）{service}：实测 "
                   "{observed}{detail}；静态证明：{verdict} — {reason}；路径 {path}"),
         remediation=_FIX),
)

_DRIFT: tuple[CheckSpec, ...] = (
    spec("drift.isolation-breach", C, ["8.1.3.1 a)", "8.1.3.1 b)"],
         about=("nothing discovered joins a physically isolated zone to another zone",
                "没有发现与物理隔离区域相连的其他区域设备或链路"),
         title=("{what}", "{what}"), evidence=_WHY, remediation=_FIX),
    spec("drift.unknown-device", H, ["8.1.3.1 b)"],
         about=("every LLDP neighbour is a device of the inventory", "每个 LLDP 邻居都是清单中的设备"),
         title=("unknown device {neighbour} on {port}", "{port} 上发现未知设备 {neighbour}"),
         evidence=("LLDP: system {system}, chassis {chassis}, port {remote_port}, management "
                   "{mgmt}", "LLDP：系统名 {system}，机框 {chassis}，端口 {remote_port}，管理地址 {mgmt}"),
         remediation=("identify the device; declare it in the inventory or remove it",
                      "查明该设备；在清单中登记或将其拆除")),
    spec("drift.undeclared-link", H, ["8.1.3.1 b)"],
         about=("every link LLDP sees is declared", "LLDP 发现的每条链路都已登记"),
         title=("undeclared link {link}", "未登记的链路 {link}"),
         evidence=("seen by LLDP, not in the inventory's links", "LLDP 发现了该链路，但清单 links 中没有"),
         remediation=("declare the link in the inventory, or remove it", "在清单中登记该链路，或将其拆除")),
    spec("drift.missing-link", H, ["8.1.5.4 c)"],
         about=("every declared link between collected devices is seen", "已登记的链路均被发现"),
         title=("declared link not seen: {link}", "未发现已登记的链路：{link}"),
         evidence=("both devices were collected and run LLDP; neither reports the other on these "
                   "interfaces", "两台设备均已采集且运行 LLDP，但在这些接口上都没有报告对方"),
         remediation=("check the cable and both ports, or correct the inventory",
                      "检查线缆和两端端口，或更正清单")),
    spec("drift.interface-down", M, ["8.1.5.4 c)"],
         about=("declared, linked interfaces are up", "已登记且有链路的接口处于 up 状态"),
         title=("interface {interface} is {state}", "接口 {interface} {state}"),
         evidence=("declared enabled and linked; the device reports it {reported}",
                   "清单中为启用且有链路；设备报告该接口{reported}"),
         remediation=("bring the interface up or mark it enabled: false",
                      "启用该接口，或在清单中标记 enabled: false")),
    spec("drift.speed-mismatch", L, ["8.1.2.1 b)"],
         about=("interfaces run at their declared speed", "接口以登记的速率运行"),
         title=("{interface} runs at {actual} Mb/s", "{interface} 运行速率为 {actual} Mb/s"),
         evidence=("declared {declared} Mb/s, reported {actual} Mb/s",
                   "登记速率 {declared} Mb/s，实际报告 {actual} Mb/s"),
         remediation=("fix the port speed/duplex or the declared speed", "修正端口速率/双工，或更正登记的速率")),
    spec("drift.wrong-zone", H, ["8.1.2.1 c)"],
         about=("interface addresses lie in their zone's prefixes", "接口地址位于所属安全域的网段内"),
         title=("{interface} has {address} of zone {zone}, expected {expected}",
                "{interface} 使用了安全域 {zone} 的地址 {address}，应属于 {expected}"),
         evidence=("address {address} lies in a prefix of zone {zone}", "地址 {address} 属于安全域 {zone} 的网段"),
         remediation=("renumber the interface or correct its zone in the inventory",
                      "为该接口重新编址，或更正清单中的安全域")),
)

_ARCHITECTURE: tuple[CheckSpec, ...] = (
    spec("topology.redundancy", M, ["8.1.2.1 e)"],
         about=("no single device or link cuts a core or aggregation node off",
                "没有单台设备或单条链路的故障会使核心或汇聚节点断开"),
         title=("single point of failure: {kind} {item} ({zone})", "单点故障：{kind} {item}（{zone}）"),
         evidence=("its loss cuts off {nodes_count} node(s) incl. core/aggregation {nodes} and "
                   "{units_count} unit(s)",
                   "其故障将断开 {nodes_count} 个节点（含核心/汇聚节点 {nodes}）和 {units_count} 个单位"),
         remediation=("add a redundant device or a second uplink (another fibre route) so that "
                      "the node stays reachable",
                      "增加冗余设备或第二条上联（不同光缆路由），保证该节点在单点故障时仍可达")),
    spec("topology.oversubscription", M, ["8.1.2.1 b)"],
         about=("no uplink carries more demand than the site's limit allows",
                "没有上联的接入需求超过站点规定的收敛比"),
         title=("uplink of {node} oversubscribed {ratio}:1", "{node} 的上联收敛比为 {ratio}:1"),
         evidence=("units' access bandwidth {demand} against uplink capacity {capacity} "
                   "(limit {limit})", "单位接入带宽合计 {demand}，上联容量 {capacity}（上限 {limit}）"),
         remediation=("upgrade the uplink or add a second one", "升级上联带宽或增加第二条上联")),
    spec("management.zone", H, ["8.1.5.4 a)"],
         about=("a dedicated management zone holds the management addresses of devices",
                "设有专门的管理区，设备管理地址位于其中"),
         title=("{what}", "{what}"), evidence=_WHY, remediation=_FIX),
    spec("management.monitored", M, ["8.1.5.4 c)"],
         about=("every network and security device has a management address to be monitored",
                "每台网络设备和安全设备都有可供集中监测的管理地址"),
         title=("{device} ({role}) has no management address", "{device}（{role}）没有管理地址"),
         evidence=("without mgmt it is neither collected nor scraped by Prometheus",
                   "没有 mgmt 地址，该设备既不会被采集，也不会被 Prometheus 监测"),
         remediation=("give the device a management address in the management zone",
                      "为该设备配置位于管理区的管理地址")),
)

_DEVICE: tuple[CheckSpec, ...] = (
    spec("device.login-failure", M, ["8.1.4.1 b)"],
         about=("devices lock out repeated login failures and log idle sessions out",
                "设备对连续登录失败进行锁定并自动退出空闲会话"),
         title=("{device}: {missing} not in force", "{device}：{missing}未生效"),
         evidence=("{file} ({platform}): {why}", "{file}（{platform}）：{why}"),
         remediation=_FIX),
    spec("device.cleartext-management", H, ["8.1.4.1 c)", "8.1.5.4 b)"],
         about=("no device configuration enables management in cleartext (telnet, http)",
                "设备配置未启用明文管理协议（telnet、http）"),
         title=("{device}: {service} management enabled in the configuration",
                "{device}：配置中启用了明文管理协议 {service}"),
         evidence=("'{statement}'", "'{statement}'"),
         remediation=("configure '{fix}' and manage over ssh or https only",
                      "配置 '{fix}'，只通过 ssh 或 https 管理")),
    spec("device.log-forwarding", M, ["8.1.3.5 c)", "8.1.4.3 c)", "8.1.5.4 d)"],
         about=("devices forward their logs to a log server", "设备将日志转发到日志服务器"),
         title=("{device}: logs are not forwarded to a log server",
                "{device}：日志未转发到日志服务器"),
         evidence=("{file} ({platform}) has no {statement}", "{file}（{platform}）中没有 {statement}"),
         remediation=("configure {fix} pointing at the log server in the management zone",
                      "配置 {fix}，指向管理区的日志服务器")),
    spec("device.ntp", M, ["8.1.3.5 b)", "8.1.4.3 b)"],
         about=("devices take their time from NTP, so audit records carry the right time",
                "设备通过 NTP 同步时间，审计记录时间准确"),
         title=("{device}: no NTP server configured", "{device}：未配置 NTP 服务器"),
         evidence=("{file} ({platform}) has no {statement}", "{file}（{platform}）中没有 {statement}"),
         remediation=("configure {fix} pointing at the site's time source",
                      "配置 {fix}，指向本站点的时间源")),
    spec("device.settings-unverified", N,
         ["8.1.4.1 b)", "8.1.3.5 b)", "8.1.3.5 c)", "8.1.4.3 b)", "8.1.4.3 c)", "8.1.5.4 d)"],
         unverified=True,
         about=("the device settings checks could read every device's configuration",
                "设备配置检查读到了每台设备的配置"),
         title=("{device}: login-failure handling, log forwarding and NTP not verifiable from "
                "{file}", "{device}：无法从 {file} 核实登录失败处理、日志转发和 NTP"),
         evidence=("{file} is a {format} ruleset; it does not hold the host's sshd, syslog and "
                   "time settings", "{file} 是 {format} 规则集，不包含主机的 sshd、syslog 和时间同步设置"),
         remediation=("check sshd (MaxAuthTries, ClientAliveInterval), rsyslog forwarding and "
                      "chrony on the host by hand",
                      "人工核查主机的 sshd（MaxAuthTries、ClientAliveInterval）、rsyslog 转发和 chrony 配置")),
)

CHECKS: tuple[CheckSpec, ...] = (
    *_ISOLATION, *_WAIVERS, *_FIREWALL, *_SNAPSHOT, *_PROBE, *_DRIFT, *_ARCHITECTURE, *_DEVICE,
)
"""Every check, grouped by the module that runs it."""

PHRASES: dict[str, Text] = {k: Text(*v) for k, v in {
    # generic pieces
    "decided-by": ("; decided by {rule}", "；由 {rule} 决定"),
    "by-default-policy": ("; by the default policy", "；由默认策略决定"),
    "saved-not-running": (" (the saved {config} is not what runs)",
                          "（保存的 {config} 并非实际运行的配置）"),
    "bends-lower": ("it may accept packets: the proven reach is a lower bound",
                    "它可能接受报文：已证明的可达范围是下界"),
    "bends-upper": ("it may deny packets: the proven reach is an upper bound",
                    "它可能拒绝报文：已证明的可达范围是上界"),
    "bends-both": ("it may accept or deny packets: the reach is unproven both ways",
                   "它可能接受也可能拒绝报文：可达范围在两个方向上都未经证明"),
    "bends-none": ("it decides no verdict", "它不决定处理结果"),
    "scope-taints": ("; no rule stands for it, so every result of the device is unproven",
                     "；没有规则代表它，因此该设备的所有结论均未经证明"),
    "scope-rule": ("; its rule is evaluated both ways (unproven results)",
                   "；其所在规则按匹配与不匹配两种情况计算（结论未经证明）"),
    "skipped-may-accept": ("; not accepted by the rules read, but a skipped construct may "
                           "accept it ({where})",
                           "；已读取的规则不接受，但被跳过的配置可能接受（{where}）"),
    "example": ("; example: {packet}", "；示例报文：{packet}"),
    "and-more": (" and {count} more", " 等，另有 {count} 条"),
    "any": ("any", "任意地址"),
    "any-service": ("any service", "任意服务"),
    "services": ("services", "服务"),
    "none-declared": ("none declared", "未声明任何网关"),
    "management-address": ("management", "管理"),
    "interface-address": ("{interface}", "接口 {interface} 的"),
    "no-route": ("no route", "无路由"),
    # isolation.wireless
    "wireless-interface": ("{kind} interface", " {kind} 接口"),
    "wireless-link": ("{media} link", " {media} 链路"),
    "wireless-interface-enabled": ("{device} interface {interface} is {kind} and enabled",
                                   "{device} 的接口 {interface} 为 {kind}，且已启用"),
    "wireless-interface-disabled": ("{device} interface {interface} is {kind} (declared disabled)",
                                    "{device} 的接口 {interface} 为 {kind}（已声明禁用）"),
    "wireless-link-uses": ("link {link} uses {media}", "链路 {link} 使用 {media}"),
    "wireless-remove-module": ("remove the wireless module or disable it in hardware",
                               "拆除无线模块或在硬件上禁用"),
    "wireless-replace-link": ("replace the wireless link by fibre inside the isolated zone",
                              "在隔离区域内用光纤替换该无线链路"),
    # firewall rule anomalies
    "anomaly.shadowed": ("shadowed", "被遮蔽的"),
    "anomaly.redundant-shadowed": ("redundant-shadowed", "被遮蔽且冗余的"),
    "anomaly.redundant": ("redundant", "冗余"),
    "anomaly.correlated": ("correlated", "相互重叠的"),
    "anomaly.generalisation": ("generalisation", "泛化"),
    "anomaly.never-matches": ("never-matches", "永不匹配的"),
    "anomaly.undefined-reference": ("undefined-reference", "引用未定义对象的"),
    "anomaly-detail.shadowed": ("earlier rules decide every packet it matches, some otherwise",
                                "它匹配的报文全部由前面的规则决定，且部分动作不同"),
    "anomaly-detail.redundant-shadowed": ("earlier rules decide every packet it matches alike",
                                          "它匹配的报文全部由前面动作相同的规则决定"),
    "anomaly-detail.redundant": ("removing it changes no verdict",
                                 "删除它不会改变任何报文的处理结果"),
    "anomaly-detail.correlated": ("partly overlaps an earlier rule with another action",
                                  "与前面一条动作不同的规则部分重叠"),
    "anomaly-detail.generalisation": ("contains an earlier rule with another action",
                                      "包含了前面一条动作不同的规则"),
    "anomaly-detail.never-matches": ("no packet can match it", "没有报文能匹配它"),
    "anomaly-detail.undefined-reference": ("it jumps to a chain that does not exist",
                                           "它跳转到不存在的链"),
    # firewall.default-deny
    "chain-default-allow": ("{chain} ({hook}) is default-allow", "{chain}（{hook}）默认放行"),
    "rule-accepts-all": ("rule {rule} accepts everything", "规则 {rule} 放行所有流量"),
    "policy-accepts": ("the default policy of {chain} is accept", "{chain} 的默认策略为 accept"),
    "set-default-drop": ("set the chain's default policy to drop (nft 'policy drop', USG 'default "
                         "action deny') and permit only declared flows",
                         "将该链默认策略设为丢弃（nft 'policy drop'、USG 'default action deny'），"
                         "只放行已声明的访问流"),
    "family-unfiltered": ("IPv{family} is forwarded unfiltered", "IPv{family} 流量未经过滤即被转发"),
    "family-no-chain": ("the device has IPv{family} addresses but no forwarding chain sees "
                        "IPv{family} packets: {chains}",
                        "设备有 IPv{family} 地址，但没有转发链处理 IPv{family} 报文：{chains}"),
    "family-add-filter": ("add an IPv{family} filter with a default drop ({how}) or disable "
                          "forwarding of IPv{family}",
                          "增加默认丢弃的 IPv{family} 过滤（{how}），或关闭 IPv{family} 转发"),
    # firewall.required-flow
    "no-zone-pair-policy": ("no zone-pair policy", "无域间策略"),
    # firewall.snapshot-*
    "snapshot-not-selected": ("the device is not in snapshot {snapshot} (not selected when "
                              "collecting?)", "快照 {snapshot} 中没有该设备（采集时未选中？）"),
    "snapshot-collect-failed": ("collecting it failed ({kind}): {error}", "采集失败（{kind}）：{error}"),
    "snapshot-no-ruleset": ("collected, but no ruleset was retrieved (looked for {tried})",
                            "已采集，但未取得规则集（查找了 {tried}）"),
    "snapshot-no-ruleset-warnings": ("collected, but no ruleset was retrieved (looked for "
                                     "{tried}); collector warnings: {notes}",
                                     "已采集，但未取得规则集（查找了 {tried}）；采集告警：{notes}"),
    "snapshot-unreadable": ("collected ruleset not audited: it cannot be read",
                            "采集到的规则集无法读取，未审计"),
    "snapshot-unreadable-why": ("{summary}{first}", "{summary}{first}"),
    "snapshot-first": ("; first: {problem}", "；首个问题：{problem}"),
    "snapshot-save-config": ("save the device's configuration in the inventory (config:) once "
                             "egovops reads it, or check the collection",
                             "待 egovops 能读取后将该设备配置保存到清单（config:），或检查采集过程"),
    "snapshot-only-audited": ("audited from the snapshot only (no config: in the inventory)",
                              "仅依据快照审计（清单中没有 config:）"),
    "snapshot-only-why": ("ruleset {file} was collected from the device and audited; the "
                          "inventory saves no configuration for it",
                          "规则集 {file} 采自设备并已审计；清单中没有保存该设备的配置"),
    "snapshot-only-fix": ("save the reviewed configuration in the inventory (config:) so that "
                          "changes are audited before they are deployed",
                          "将审核过的配置保存到清单（config:），使变更在部署前即可审计"),
    # probe.disagreement
    "probe-leak": ("{source_zone} -> {target_zone} {service}: the static proof says blocked, the "
                   "probe got through to {device}",
                   "{source_zone} -> {target_zone} {service}：静态证明为阻断，探测却到达了 {device}"),
    "probe-overblock": ("{source_zone} -> {target_zone} {service}: the static proof says "
                        "allowed, the probe was blocked",
                        "{source_zone} -> {target_zone} {service}：静态证明为放行，探测却被阻断"),
    "probe-fix-isolated": ("{zones} must be physically isolated: find the link, device or route "
                           "that joins it to the source's network (it is not in the inventory) "
                           "and remove it",
                           "{zones} 必须物理隔离：找出把它与源网络相连的链路、设备或路由（清单中没有）并拆除"),
    "probe-fix-leak": ("the running policy of {walls} differs from the saved configuration "
                       "({origin}): compare the live ruleset with it, collect a snapshot "
                       "(egovops collect) and audit it with `egovops audit firewall --snapshot`, "
                       "then restore the approved policy",
                       "{walls} 的运行策略与保存的配置（{origin}）不一致：对比运行规则，采集快照"
                       "（egovops collect）并用 `egovops audit firewall --snapshot` 审计，然后恢复经批准的策略"),
    "probe-fix-leak-path": ("the running policy of the devices on the path differs from the saved "
                            "configuration ({origin}): compare the live ruleset with it, collect a "
                            "snapshot (egovops collect) and audit it with `egovops audit firewall "
                            "--snapshot`, then restore the approved policy",
                            "路径上设备的运行策略与保存的配置（{origin}）不一致：对比运行规则，采集快照"
                            "（egovops collect）并用 `egovops audit firewall --snapshot` 审计，然后恢复经批准的策略"),
    "probe-fix-overblock": ("something the static model does not know blocks this flow: the "
                            "running ruleset of the firewalls on the path, a host firewall on "
                            "{device}, or routing; check them against the saved configuration",
                            "静态模型之外的因素阻断了该访问流：路径上防火墙的运行规则、{device} 的主机防火墙或路由；"
                            "请与保存的配置核对"),
    "probe-detail": (" ({detail})", "（{detail}）"),
    # drift.isolation-breach
    "drift-unknown-on-isolated": ("unknown device {neighbour} on {port}", "{port} 上发现未知设备 {neighbour}"),
    "drift-lldp": ("LLDP: system {system}, chassis {chassis}, port {remote_port}, management "
                   "{mgmt}", "LLDP：系统名 {system}，机框 {chassis}，端口 {remote_port}，管理地址 {mgmt}"),
    "drift-identify-isolated": ("identify the device; declare it in the inventory or remove it — "
                                "nothing may attach to the inner network undeclared",
                                "查明该设备；在清单中登记或将其拆除——任何设备都不得未经登记接入政务内网"),
    "drift-adjacency": ("adjacency crosses the {zone} boundary: {link}", "邻接关系跨越了 {zone} 的边界：{link}"),
    "drift-adjacency-why": ("LLDP sees {end_a} ({zone_a}) next to {end_b} ({zone_b})",
                            "LLDP 发现 {end_a}（{zone_a}）与 {end_b}（{zone_b}）相邻"),
    "drift-disconnect": ("disconnect the link at once and report it (物理隔离 breached)",
                         "立即断开该链路并上报（物理隔离被破坏）"),
    "drift-address": ("{interface} has {address} of zone {zone}, expected {expected}",
                      "{interface} 使用了安全域 {zone} 的地址 {address}，应属于 {expected}"),
    "drift-address-why": ("address {address} lies in a prefix of zone {zone}",
                          "地址 {address} 属于安全域 {zone} 的网段"),
    "drift-renumber": ("renumber the interface or correct its zone in the inventory",
                       "为该接口重新编址，或更正清单中的安全域"),
    "state-missing": ("missing", "不存在"),
    "state-down": ("down", "处于 down 状态"),
    "reported-not-at-all": ("not at all", "不存在"),
    "reported-down": ("down", "为 down"),
    # topology.redundancy
    "spof-device": ("device", "设备"),
    "spof-link": ("link", "链路"),
    # management.zone
    "no-management-zone": ("no management zone", "没有管理区"),
    "no-management-zone-why": ("no zone of kind management is declared; devices are managed "
                               "from the networks they serve",
                               "未声明 kind 为 management 的安全域；设备从其所服务的网络被管理"),
    "add-management-zone": ("declare a management zone (bastion, monitoring, PKI) and move "
                            "the devices' management addresses into it",
                            "声明管理区（堡垒机、监控、PKI），并将设备管理地址迁入其中"),
    "mgmt-outside-zone": ("management address {address} is outside the management zone",
                          "管理地址 {address} 不在管理区内"),
    "mgmt-outside-zone-why": ("{address} lies in {owner}, not in {zone} ({prefixes})",
                              "{address} 属于 {owner}，不在 {zone}（{prefixes}）内"),
    "move-mgmt": ("renumber the management address into {zone}, or manage the device through "
                  "an interface in {zone}", "将管理地址改到 {zone} 内，或通过 {zone} 中的接口管理该设备"),
    "no-zone": ("no zone", "任何安全域之外"),
    # device.login-failure
    "login-lockout": ("lock-out after failed logins", "登录失败锁定"),
    "login-idle": ("idle timeout", "空闲超时退出"),
    "statement-absent": ("no {statement}", "没有 {statement}"),
    "statement-off": ("'{statement}' at line {line} switches it off",
                      "第 {line} 行的 '{statement}' 关闭了该功能"),
    "configure-statement": ("configure {statement}", "配置 {statement}"),
    "remove-statement": ("remove '{statement}' (the vendor default is on)",
                         "删除 '{statement}'（厂商默认开启）"),
}.items()}
"""Translatable pieces that check parameters use (:class:`~egovops.model.findings.Phrase`)."""
