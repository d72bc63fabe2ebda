from __future__ import annotations

from egovops.export.ansible import ansible_inventory, group_name
from egovops.load import load_inventory
from tests.conftest import EXAMPLE, MINI


def test_groups_and_hostvars_from_mini() -> None:
    data = ansible_inventory(load_inventory(MINI))
    children = data["all"]["children"]
    assert set(children["zone_outer"]["hosts"]) == {"core-sw", "agg-sw", "fw1"}
    assert set(children["tier_1"]["hosts"]) == {"core-sw"}
    assert set(children["tier_2"]["hosts"]) == {"agg-sw"}
    assert set(children["role_firewall"]["hosts"]) == {"fw1"}
    assert set(children["platform_huawei_vrp"]["hosts"]) == {"core-sw", "agg-sw"}
    assert set(children["group_huawei"]["hosts"]) == {"core-sw", "agg-sw"}
    assert children["zone_outer"]["vars"]["egovops_zone_isolation"] == "logical"
    core = data["all"]["hosts"]["core-sw"]
    assert core["ansible_network_os"] == "community.network.ce"
    assert core["ansible_user"] == "admin"
    # a reference, never a value
    assert core["ansible_password"] == "{{ lookup('ansible.builtin.env', 'EGOV_PW') }}"
    assert data["all"]["hosts"]["fw1"]["ansible_connection"] == "ssh"


def test_group_names_are_valid() -> None:
    assert group_name("role", "vpn-gateway") == "role_vpn_gateway"
    assert group_name("unit", "u.caizheng-1") == "unit_u_caizheng_1"


def test_example_has_unit_and_unmanaged_groups() -> None:
    data = ansible_inventory(load_inventory(EXAMPLE))
    children = data["all"]["children"]
    assert any(name.startswith("unit_") for name in children)
    assert "unmanaged" in children  # the data diode has no management plane
    assert "zone_inner" in children and "zone_dmz" in children
