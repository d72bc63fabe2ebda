"""forward_path: hooks in kernel order, DNAT before the forward filter, SNAT after it (#12).
(The kernel itself is the reference in tests/integration/test_netfilter_kernel.py.)"""

from __future__ import annotations

import ipaddress

from egovops.firewall.model import Action, ConnState
from egovops.firewall.packetset import Packet
from egovops.firewall.parsers import PARSERS
from egovops.firewall.path import forward_path

RULESET = PARSERS["nftables"].parse("""\
table netdev edge {
    chain ingress {
        type filter hook ingress device "wan0" priority -500; policy accept;
        ip saddr 192.0.2.66 drop
    }
}
table ip nat {
    chain pre {
        type nat hook prerouting priority dstnat; policy accept;
        tcp dport 443 dnat to 10.30.1.5:8443
        tcp dport 80 redirect to :3128
    }
    chain post {
        type nat hook postrouting priority srcnat; policy accept;
        ip daddr 10.30.1.5 snat to 198.51.100.2
    }
}
table inet filter {
    chain raw_pre {
        type filter hook prerouting priority raw; policy accept;
        tcp dport 8443 drop
    }
    chain forward {
        type filter hook forward priority filter; policy drop;
        ip daddr 10.30.1.5 tcp dport 8443 accept
    }
    chain input {
        type filter hook input priority filter; policy drop;
        tcp dport 3128 accept
    }
    chain post {
        type filter hook postrouting priority 200; policy accept;
        ip saddr 198.51.100.2 drop
    }
}
table bridge br {
    chain forward {
        type filter hook forward priority 0; policy drop;
    }
}
""", "gw.nft")


def packet(dport: int, src: str = "203.0.113.7", iif: str = "wan0",
           state: ConnState = ConnState.NEW) -> Packet:
    return Packet(4, ipaddress.ip_address(src), ipaddress.ip_address("198.51.100.10"), 6,
                  40000, dport, iif=iif, oif="dmz0", state=state)


def test_dnat_before_forward_and_raw_before_dnat() -> None:
    result = forward_path(RULESET, packet(443))
    assert result.filtered.dst == ipaddress.ip_address("10.30.1.5")
    assert result.filtered.dport == 8443
    # raw prerouting (-300) saw port 443, not 8443; the bridge chain is never crossed
    assert [s.chain.name for s in result.steps][:3] == ["ingress", "raw_pre", "pre"]
    assert all(s.chain.family != "bridge" for s in result.steps)
    # source NAT after the forward filter; the later postrouting chain sees it
    assert result.leaving.src == ipaddress.ip_address("198.51.100.2")
    assert result.action is Action.DROP and result.deciding is not None
    assert result.deciding.chain.name == "post"


def test_redirect_goes_to_input() -> None:
    result = forward_path(RULESET, packet(80))
    assert result.local and result.action is Action.ACCEPT
    assert result.rule is not None and result.rule.chain == "input"


def test_ingress_only_for_its_device_and_nat_only_for_new() -> None:
    assert forward_path(RULESET, packet(443, "192.0.2.66")).action is Action.DROP
    assert forward_path(RULESET, packet(443, "192.0.2.66", iif="lan0")).steps[0].chain.name \
        == "raw_pre"
    established = forward_path(RULESET, packet(443, state=ConnState.ESTABLISHED))
    assert not established.translations and established.action is Action.DROP
