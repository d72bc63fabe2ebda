"""CLI dialects: output variants the golden cases do not cover, name normalisation, failures,
and which collector the registry picks."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from egovops.collect import comware, ios, vrp
from egovops.collect.base import CollectContext, CollectError, ParseError, UnsupportedError
from egovops.collect.fsm import parse_table, template_path
from egovops.collect.napalm import NapalmCollector
from egovops.collect.netmiko_cli import Commands, NetmikoCollector, collect_cli
from egovops.collect.normalize import (
    COMWARE_ABBREVIATIONS,
    HUAWEI_ABBREVIATIONS,
    IOS_ABBREVIATIONS,
    interface_name,
    mac_address,
    speed_mbps,
    uptime_seconds,
)
from egovops.collect.registry import cli_table, default_table
from egovops.collect.replay import ReplayCollector, ReplayRunner, command_file
from egovops.model.inventory import Device
from tests.conftest import DATA

DEVICES = DATA / "devices"


def _text(block: str) -> str:
    return textwrap.dedent(block).lstrip("\n")


# ── normalisation ───────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("text", "seconds"), [
    ("32 weeks, 3 days, 5 hours, 41 minutes", 19633260.0),
    ("0 week, 0 day, 2 hours, 10 minutes", 7800.0),
    ("161 days, 0 hour, 20 minutes", 13911600.0),
    ("1 year, 14 weeks, 2 days, 6 hours, 17 minutes", 40198620.0),
    ("0 weeks,0 days,0 hours,15 minutes", 900.0),
    ("", None),
])
def test_uptimes_in_every_vendor_spelling(text: str, seconds: float | None) -> None:
    assert uptime_seconds(text) == seconds


@pytest.mark.parametrize(("text", "mac"), [
    ("4c1f-cc7a-3e21", "4c:1f:cc:7a:3e:21"),
    ("00C8.8B7E.41A0", "00:c8:8b:7e:41:a0"),
    ("F4:B5:2F:3C:88:01", "f4:b5:2f:3c:88:01"),
    ("Port 1", "Port 1"),
    ("10.1.2.3", "10.1.2.3"),
])
def test_mac_addresses(text: str, mac: str) -> None:
    assert mac_address(text) == mac


@pytest.mark.parametrize(("text", "mbps"), [
    ("1G(a)", 1000.0), ("10G", 10000.0), ("100M", 100.0), ("1000Mbps", 1000.0),
    ("10Gb/s", 10000.0), ("auto", None), ("--", None),
])
def test_speeds(text: str, mbps: float | None) -> None:
    assert speed_mbps(text) == mbps


def test_interface_names_expand_by_vendor_and_resolve_against_the_device() -> None:
    assert interface_name("GE0/0/1", HUAWEI_ABBREVIATIONS) == "GigabitEthernet0/0/1"
    assert interface_name("XGE0/0/1", HUAWEI_ABBREVIATIONS) == "XGigabitEthernet0/0/1"
    assert interface_name("XGE1/0/49", COMWARE_ABBREVIATIONS) == "Ten-GigabitEthernet1/0/49"
    assert interface_name("Vlan10", COMWARE_ABBREVIATIONS) == "Vlan-interface10"
    assert interface_name("M-GE0/0/0", COMWARE_ABBREVIATIONS) == "M-GigabitEthernet0/0/0"
    for kept in ("Eth-Trunk1", "40GE1/0/1", "Vlanif100", "d843-ae33-d748"):
        assert interface_name(kept, HUAWEI_ABBREVIATIONS) == kept
    known = ["TenGigabitEthernet1/1/1", "TwentyFiveGigE1/1/1", "GigabitEthernet2/1/0/1"]
    assert interface_name("Te1/1/1", {}, known) == "TenGigabitEthernet1/1/1"
    assert interface_name("Tw1/1/1", {}, known) == "TwentyFiveGigE1/1/1"
    assert interface_name("Gi1/0/1", IOS_ABBREVIATIONS, known) == "GigabitEthernet1/0/1"


# ── template variants ─────────────────────────────────────────────────────────────────────


def test_templates_are_ours_only_where_ntc_templates_has_none() -> None:
    assert template_path("huawei_vrp_display_esn").parent.name == "templates"
    assert "ntc_templates" in str(template_path("huawei_vrp_display_version"))
    with pytest.raises(ParseError, match="no TextFSM template"):
        template_path("huawei_vrp_display_nothing")


def test_huawei_lldp_brief_cloudengine_layout() -> None:
    text = _text("""
        Local Interface         Exptime(s) Neighbor Interface      Neighbor Device
        -------------------------------------------------------------------------------
        10GE1/0/45                    101  10GE1/0/45              ZWWW-DC-LEAF01
        MEth0/0/0                     119  GigabitEthernet1/0/42   ZWWW-OOB-SW01
        """)
    (a, b) = vrp.parse_lldp(text, ["10GE1/0/45", "MEth0/0/0"])
    assert (a.local_interface, a.remote_system_name, a.remote_port) == (
        "10GE1/0/45", "ZWWW-DC-LEAF01", "10GE1/0/45")
    assert (b.local_interface, b.remote_port) == ("MEth0/0/0", "GigabitEthernet1/0/42")


def test_huawei_lldp_brief_names_with_spaces_and_cisco_ports() -> None:
    text = _text("""
        Local Intf       Neighbor Dev             Neighbor Intf             Exptime(s)
        GE0/0/5          Video Conf MCU           Gi0/1                     101
        """)
    (n,) = vrp.parse_lldp(text, ["GigabitEthernet0/0/5"])
    assert (n.local_interface, n.remote_system_name, n.remote_port) == (
        "GigabitEthernet0/0/5", "Video Conf MCU", "GigabitEthernet0/1")


def test_huawei_ip_brief_with_vpn_column_and_bad_rows() -> None:
    text = _text("""
        Interface                         IP Address/Mask      Physical   Protocol  VPN
        Vlanif200                         10.21.9.1/24         up         up        unit-a
        """)
    (iface,) = vrp.parse_ip_interfaces(text)
    assert iface.addresses == ("10.21.9.1/24",)
    broken = text + "this line is not a table row at all and has too many words in it\n"
    with pytest.raises(ParseError, match="unexpected output"):
        vrp.parse_ip_interfaces(broken)


def test_huawei_esn_of_routers_and_stacks() -> None:
    assert vrp.parse_esn("ESN of master: 2102113402P0C5000123\n") == "2102113402P0C5000123"
    assert vrp.parse_esn("ESN of slot 0: 2102351931P0K8000123\n"
                         "ESN of slot 1: 2102351931P0K8000456\n") == "2102351931P0K8000123"


def test_huawei_router_version_model() -> None:
    text = _text("""
        Huawei Versatile Routing Platform Software
        VRP (R) software, Version 5.170 (AR6280 V300R019C10SPC300)
        Copyright (C) 2011-2020 HUAWEI TECH CO., LTD
        Huawei AR6280 Router uptime is 60 weeks, 4 days, 11 hours, 20 minutes
        BKP 0 version information:
        """)
    facts = vrp.parse_version(text)
    assert (facts.model, facts.os_version) == ("AR6280", "VRP 5.170 (AR6280 V300R019C10SPC300)")
    with pytest.raises(ParseError):
        vrp.parse_version("Error: Unrecognized command found at '^' position.\n")


def test_comware5_version() -> None:
    text = _text("""
        H3C Comware Platform Software
        Comware Software, Version 5.20.99, Release 1106
        Copyright (c) 2004-2016 Hangzhou H3C Tech. Co., Ltd. All rights reserved.
        H3C S5120-28C-EI uptime is 2 weeks, 1 day, 3 hours, 4 minutes
        """)
    facts = comware.parse_version(text)
    assert (facts.vendor, facts.model, facts.os_version) == (
        "H3C", "S5120-28C-EI", "Comware 5.20.99, Release 1106")


def test_comware_ip_brief_without_masks_takes_them_from_the_configuration() -> None:
    text = _text("""
        *down: administratively down
        (s): spoofing  (l): loopback
        Interface           Physical Protocol IP address      VPN instance Description
        Vlan10              up       up       10.21.10.1      --           Finance LAN
        Vlan20              *down    down     10.21.20.1      --           --
        """)
    config = "interface Vlan-interface10\n ip address 10.21.10.1 255.255.255.0\n#\n"
    warnings: list[str] = []
    vlan10, vlan20 = comware.parse_ip_interfaces(
        text, vrp.config_addresses(config), warnings)
    assert vlan10.name == "Vlan-interface10" and vlan10.addresses == ("10.21.10.1/24",)
    assert vlan10.description == "Finance LAN"
    assert vlan20.addresses == () and not vlan20.is_enabled
    assert len(warnings) == 1 and "Vlan-interface20 10.21.20.1" in warnings[0]


def test_comware_oldest_ip_brief_layout() -> None:
    text = _text("""
        *down: administratively down
        (s): spoofing  (l): loopback
        Interface                Physical Protocol IP Address      Description
        GE0/1                    up       up       192.168.56.101  --
        """)
    (ge,) = comware.parse_ip_interfaces(text, {"GigabitEthernet0/1": ("192.168.56.101/24",)})
    assert (ge.name, ge.addresses) == ("GigabitEthernet0/1", ("192.168.56.101/24",))


def test_config_helpers() -> None:
    config = _text("""
        #
        sysname ZWWW-TEST
        #
        interface Vlanif100
         description uplink to core
         ip address 10.20.0.2 255.255.255.252
         ip address 10.20.9.1 255.255.255.0 sub
        #
        """)
    assert vrp.sysname(config) == "ZWWW-TEST"
    assert vrp.config_addresses(config) == {"Vlanif100": ("10.20.0.2/30",)}
    assert vrp.config_descriptions(config) == {"Vlanif100": "uplink to core"}
    assert ios.domain_name("ip domain-name zwww.gov.example\n") == "zwww.gov.example"


def test_table_rows_have_lower_case_keys() -> None:
    rows = parse_table("huawei_vrp_display_esn", "ESN of slot 0: ABC123\n")
    assert rows == [{"slot": "0", "esn": "ABC123"}]


# ── failures ──────────────────────────────────────────────────────────────────────────────


class Recorded:
    """A runner answering from a dict; unknown commands are 'not recorded'."""

    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs = outputs

    def run(self, command: str, timeout: float | None = None) -> str:
        if command not in self.outputs:
            raise CollectError(f"not recorded: {command}")
        return self.outputs[command]


def _huawei(ident: str = "sw1") -> Device:
    return Device.model_validate({"id": ident, "role": "switch", "platform": "huawei_vrp",
                                  "zone": "outer", "mgmt": "127.0.0.1",
                                  "credentials": {"username": "u",
                                                  "password": {"env": "PW"}}})


def _recorded(platform: str, case: str) -> dict[str, str]:
    folder = DEVICES / platform / case
    return {command: (folder / command_file(command)).read_text(encoding="utf-8")
            for command in vrp.VrpDialect.commands}


def test_optional_commands_fail_into_warnings_required_one_fails_the_device() -> None:
    outputs = _recorded("huawei_vrp", "zwww-east-agg01")
    del outputs[vrp.ARP]
    outputs[vrp.LLDP] = "Error: LLDP is not enabled.\n"
    facts = collect_cli(_huawei(), Recorded(outputs), vrp.VrpDialect(), "test")
    assert facts.arp == () and facts.lldp == ()
    assert len(facts.warnings) == 2
    assert any(w.startswith("display arp: not recorded") for w in facts.warnings)
    assert any(w.startswith("display lldp neighbor brief:") for w in facts.warnings)
    assert facts.facts.hostname == "ZWWW-EAST-AGG01" and len(facts.interfaces) == 61
    del outputs[vrp.VERSION]
    with pytest.raises(CollectError, match="not recorded"):
        collect_cli(_huawei(), Recorded(outputs), vrp.VrpDialect(), "test")


def test_prompt_names_a_device_whose_configuration_could_not_be_read() -> None:
    outputs = _recorded("huawei_vrp", "zwww-east-agg01")
    del outputs[vrp.CONFIG]
    facts = collect_cli(_huawei(), Recorded(outputs), vrp.VrpDialect(), "test",
                        prompt="ZWWW-EAST-AGG01")
    assert facts.facts.hostname == "ZWWW-EAST-AGG01" and facts.configs == {}


def test_a_dropped_session_is_not_a_warning() -> None:
    class Dropping(Recorded):
        def run(self, command: str, timeout: float | None = None) -> str:
            if command == vrp.ARP:
                from egovops.collect.base import TransientError

                raise TransientError("session closed")
            return super().run(command)

    with pytest.raises(CollectError, match="session closed"):
        collect_cli(_huawei(), Dropping(_recorded("huawei_vrp", "zwww-east-agg01")),
                    vrp.VrpDialect(), "test")


def test_commands_wrapper_turns_parser_bugs_into_warnings() -> None:
    cmds = Commands(Recorded({"x": "y"}))
    assert cmds.optional("x", lambda _t: 1 // 0, "default") == "default"
    assert cmds.warnings == ["x: ZeroDivisionError: integer division or modulo by zero"]


def test_replay_of_a_platform_without_dialect_or_recording() -> None:
    ctx = CollectContext(root=Path("."), environ={})
    asa = Device.model_validate({"id": "zwww-east-agg01", "role": "firewall",
                                 "platform": "asa", "zone": "outer", "mgmt": "127.0.0.1"})
    with pytest.raises(UnsupportedError):
        ReplayCollector(DEVICES / "huawei_vrp").collect(asa, ctx)
    with pytest.raises(CollectError, match="no recording"):
        ReplayCollector(DEVICES / "huawei_vrp").collect(_huawei("nowhere"), ctx)
    runner = ReplayRunner(DEVICES / "huawei_vrp" / "zwww-east-agg01")
    assert runner.run("display esn").startswith("ESN of slot 0")


# ── registry ──────────────────────────────────────────────────────────────────────────────


def _device(platform: str, **extra: object) -> Device:
    return Device.model_validate({"id": "d1", "role": "router", "platform": platform,
                                  "zone": "outer", "mgmt": "127.0.0.1", **extra})


def test_registry_uses_napalm_where_installed_and_netmiko_dialects_elsewhere() -> None:
    huawei = default_table(_device("huawei_vrp"))
    assert isinstance(huawei, NetmikoCollector) and huawei.name == "netmiko:huawei_vrp"
    assert huawei.device_type == "huawei"
    assert default_table(_device("h3c_comware")).name == "netmiko:h3c_comware"
    assert default_table(_device("huawei_usg")).name == "netmiko:huawei_vrp"
    assert isinstance(default_table(_device("ios")), NapalmCollector)
    assert default_table(_device("linux")).name == "linux"
    fallback = default_table(_device("ios", napalm_driver="not_installed_driver"))
    assert fallback.name == "netmiko:ios"
    assert cli_table(_device("ios")).name == "netmiko:ios"
    assert default_table(_device("other", netmiko_device_type="hp_comware")).name == \
        "netmiko:h3c_comware"
    for platform in ("data_diode", "other"):
        with pytest.raises(UnsupportedError, match="no collector"):
            default_table(_device(platform))


# ── real device captures (ntc-templates) ────────────────────────────────────────────────────
# tests/data/captures/ntc-templates/: outputs users contributed to networktocode/ntc-templates
# (Apache-2.0, see its README). Each test asserts facts read off the raw text by hand.

CAPTURES = DATA / "captures" / "ntc-templates"


def _capture(path: str) -> str:
    return (CAPTURES / path).read_text(encoding="utf-8")


def test_capture_huawei_ar_router_version() -> None:
    facts = vrp.parse_version(_capture(
        "huawei_vrp/display_version/huawei_vrp_display_version3.raw"))
    assert (facts.vendor, facts.model) == ("Huawei", "AR6280")
    assert facts.os_version == "VRP 5.170 (AR6280 V300R019C10SPC300)"
    assert facts.uptime == (60 * 7 + 4) * 86400 + 11 * 3600 + 20 * 60


def test_capture_huawei_interface_brief_with_standby_loopback_and_virtual_ports() -> None:
    rows = {i.name: i for i in vrp.parse_interfaces(_capture(
        "huawei_vrp/display_interface_brief/huawei_vrp_display_interface_brief2.raw"))}
    assert len(rows) == 17
    assert "GigabitEthernet0/0/5" in rows  # printed 'GigabitEthernet0/0/5(v)'
    standby = rows["GigabitEthernet0/0/1"]  # '^down': standby, not administratively down
    assert standby.is_enabled and not standby.is_up
    assert rows["GigabitEthernet0/0/2"].is_up  # 'up(l)' / 'up'
    assert not rows["GigabitEthernet0/0/4"].is_up  # physical up, protocol down
    assert rows["Dialer1"].is_up and rows["Vlanif100"].is_up and not rows["Vlanif2"].is_up


def test_capture_huawei_ip_interface_brief() -> None:
    rows = {i.name: i for i in vrp.parse_ip_interfaces(_capture(
        "huawei_vrp/display_ip_interface_brief/huawei_vrp_display_ip_interface_brief.raw"))}
    assert len(rows) == 48
    assert {n: i.addresses for n, i in rows.items() if i.addresses} == {
        "Eth-Trunk1": ("192.168.1.9/24",), "Eth-Trunk2": ("192.168.2.9/29",),
        "Eth-Trunk3": ("192.168.3.9/29",), "Eth-Trunk4": ("192.168.4.9/30",),
        "GigabitEthernet0/0/0": ("192.168.5.9/25",)}
    assert not rows["GigabitEthernet3/1/22"].is_enabled
    assert rows["Aux0/0/1"].is_enabled and not rows["Aux0/0/1"].is_up
    assert rows["NULL0"].is_up


def test_capture_huawei_cloudengine_lldp_brief() -> None:
    known = ["10GE1/0/45", "40GE1/0/2", "MEth0/0/0"]
    neighbours = vrp.parse_lldp(_capture(
        "huawei_vrp/display_lldp_neighbor_brief/huawei_vrp_display_lldp_neighbor_brief.raw"),
        known)
    assert len(neighbours) == 14
    by_local = {n.local_interface: n for n in neighbours}
    assert (by_local["MEth0/0/0"].remote_system_name, by_local["MEth0/0/0"].remote_port) == (
        "TEST-LM04", "GigabitEthernet1/0/42")
    assert (by_local["40GE1/0/2"].remote_system_name, by_local["40GE1/0/2"].remote_port) == (
        "TEST-LM02", "40GE2/0/9")
    assert sum(n.remote_system_name == "localhost.localdomain" for n in neighbours) == 5


def test_capture_hpe_comware7_version() -> None:
    facts = comware.parse_version(_capture(
        "hp_comware/display_version/hp_comware_display_version_cw7_1.raw"))
    assert (facts.vendor, facts.model) == ("HPE", "FF 5945 32QSFP28 Switch")
    assert facts.os_version == "Comware 7.1.070, Release 6710P01-US"
    assert facts.uptime == (84 * 7 + 2) * 86400 + 3 * 3600 + 51 * 60


def test_capture_comware_interface_brief_route_and_bridge_tables() -> None:
    rows = {i.name: i for i in comware.parse_interfaces(_capture(
        "hp_comware/display_interface_brief/hp_comware_display_interface_brief_release_9119P17"
        ".raw"))}
    assert len(rows) == 16
    unused = rows["GigabitEthernet0/0/0"]  # ADM
    assert not unused.is_enabled and unused.description == "### NOT USED ###"
    wan = rows["GigabitEthernet0/0/1"]
    assert wan.is_up and wan.description == "### WAN ###"
    assert rows["Vlan-interface1"].description == "### LAN ###"
    access = rows["GigabitEthernet0/0/3"]  # bridge mode, UP 1G(a)
    assert access.is_up and access.speed_mbps == 1000.0
    assert not rows["Ten-GigabitEthernet0/0/10"].is_up
    assert rows["InLoopBack0"].is_up


def test_capture_comware_lldp_list_both_layouts() -> None:
    first = comware.parse_lldp(_capture(
        "hp_comware/display_lldp_neighbor-information_list/"
        "hp_comware_display_lldp_neighbor-information_list.raw"))
    assert [(n.local_interface, n.remote_system_name) for n in first] == [
        ("Ten-GigabitEthernet1/0/1", "SW-TEST-001"), ("Ten-GigabitEthernet1/0/17", "SW-TEST-002"),
        ("Ten-GigabitEthernet1/0/19", "SW-TEST-003"), ("Ten-GigabitEthernet1/0/21", "SW-TEST-004")]
    assert first[1].remote_chassis_id == "5c:8a:38:00:00:02"
    assert first[1].remote_port == "Ten-GigabitEthernet1/0/29"
    second = comware.parse_lldp(_capture(
        "hp_comware/display_lldp_neighbor-information_list/"
        "hp_comware_display_lldp_neighbor-information_list1.raw"))
    assert [(n.local_interface, n.remote_port, n.remote_system_name) for n in second] == [
        ("Ten-GigabitEthernet1/0/0/1", "Ten-GigabitEthernet1/0/47", "SWITCH01"),
        ("Ten-GigabitEthernet1/0/0/2", "Ten-GigabitEthernet2/0/47", "SWITCH01")]


def test_capture_comware_lldp_list_keeps_a_wrapped_system_name_whole() -> None:
    phone, switch, anonymous = comware.parse_lldp(_capture(
        "hp_comware/display_lldp_neighbor-information_list/"
        "hp_comware_display_lldp_neighbor-information_list2.raw"))
    # printed 'SEP0000000000A0.exam' and, on the next line, 'ple.com'
    assert phone.remote_system_name == "SEP0000000000A0.example.com"
    assert (phone.local_interface, phone.remote_chassis_id, phone.remote_port) == (
        "GigabitEthernet1/0/24", "10.1.2.3", "AABBCCDDEEFF:P1")
    assert switch.remote_system_name == "SWITCH01"
    assert (anonymous.remote_system_name, anonymous.remote_port) == ("", "Port 1")


def test_comware_lldp_system_name_wrapped_over_three_lines() -> None:
    text = _text("""
        System Name          Local Interface Chassis ID      Port ID
        ZWWW-XIANGZHEN-ACCES XGE1/0/7        4c1f-cc7a-3e21  GigabitEthernet0/0/1
        S-SWITCH-07.zwww.gov
        .example
        ZWWW-EAST-AGG01      XGE1/0/8        4c1f-cc7a-3e20  XGigabitEthernet0/0/2
        """)
    town, east = comware.parse_lldp(text)
    assert town.remote_system_name == "ZWWW-XIANGZHEN-ACCESS-SWITCH-07.zwww.gov.example"
    assert town.local_interface == "Ten-GigabitEthernet1/0/7"
    assert east.remote_system_name == "ZWWW-EAST-AGG01"


def test_capture_cisco_catalyst_version() -> None:
    facts = ios.parse_version(_capture("cisco_ios/show_version/cisco_ios_show_version.raw"))
    assert (facts.hostname, facts.model, facts.serial_number) == (
        "router1", "WS-C4948E", "CAT1451S15C")
    assert facts.os_version == "IOS 12.2(54)SG1"
    assert facts.uptime == (2 * 365 + 31 * 7 + 6) * 86400 + 9 * 3600 + 55 * 60


def test_capture_cisco_lldp_detail_with_missing_names_and_mac_port_ids() -> None:
    juniper, hp, aruba = ios.parse_lldp(_capture(
        "cisco_ios/show_lldp_neighbors_detail/cisco_ios_show_lldp_neighbors_detail1.raw"),
        ["GigabitEthernet1/0/1", "GigabitEthernet1/0/2", "GigabitEthernet1/0/9"])
    assert juniper.local_interface == "GigabitEthernet1/0/2"
    assert juniper.remote_system_name == ""  # 'System Name - not advertised'
    assert (juniper.remote_port, juniper.remote_port_description) == ("502", "ge-0/0/0.0")
    assert juniper.remote_system_description.startswith("Juniper Networks, Inc. ex2200-24t-4g")
    assert juniper.remote_mgmt == ()
    assert (hp.remote_system_name, hp.remote_mgmt) == ("HpSwitch", ("192.168.1.81",))
    assert hp.remote_chassis_id == "94:f1:28:79:55:55"
    assert (aruba.local_interface, aruba.remote_mgmt) == ("GigabitEthernet1/0/9",
                                                          ("192.168.1.40",))
