from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from egovops.cli.main import main
from tests.conftest import EXAMPLE, MINI

Run = Callable[..., tuple[int, str, str]]


def test_validate_ok(run: Run) -> None:
    code, out, _ = run("inventory", "validate", str(EXAMPLE))
    assert code == 0
    assert "valid" in out


def test_validate_json(run: Run) -> None:
    code, out, _ = run("inventory", "validate", str(MINI), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["valid"] is True
    assert data["counts"]["devices"] == 3


def test_validate_broken_lists_every_problem_and_exits_2(
    run: Run, write_site: Callable[..., Path]
) -> None:
    root = write_site({
        "site.yaml": "site: {id: s, name: x}\nzones:\n  - {id: z, kind: moon}\n",
        "d.yaml": "devices:\n  - {id: d, role: host, platform: linux, zone: z, pw: x}\n",
    })
    code, out, err = run("inventory", "validate", str(root))
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert "site.yaml:3" in err
    assert "d.yaml:2" in err
    assert "unknown key 'pw'" in err


def test_validate_broken_json_goes_to_stdout(run: Run, write_site: Callable[..., Path]) -> None:
    root = write_site({"site.yaml": "site: {id: s, name: x, extra: 1}\n"})
    code, out, _ = run("inventory", "validate", str(root), "--format", "json")
    assert code == 2
    data = json.loads(out)
    assert data["valid"] is False
    assert data["problems"][0]["line"] == 1
    assert "extra" in data["problems"][0]["message"]


def test_chinese_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "zh", "inventory", "validate", str(MINI)]) == 0
    assert "校验通过" in capsys.readouterr().out


def test_locale_picks_chinese(capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "EGOVOPS_LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert main(["inventory", "validate", str(MINI)]) == 0
    assert "校验通过" in capsys.readouterr().out


def test_usage_error_exits_2(run: Run) -> None:
    code, _, err = run("inventory", "show", str(MINI), "nonsense")
    assert code == 2
    assert "Traceback" not in err


def test_missing_path_exits_2(run: Run, tmp_path: Path) -> None:
    code, _, err = run("inventory", "stats", str(tmp_path / "nope"))
    assert code == 2
    assert "not found" in err


def test_stats_json_has_required_figures(run: Run) -> None:
    code, out, _ = run("inventory", "stats", str(EXAMPLE), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["nodes_by_tier"] == {"1": 1, "2": 23, "3": 56}
    assert data["units"] >= 120
    assert data["devices"] > 0 and data["links"] > 0
    assert 4000 <= data["fibre_core_km"] <= 5000


def test_stats_table(run: Run) -> None:
    code, out, _ = run("inventory", "stats", str(EXAMPLE))
    assert code == 0
    assert "fibre core-km" in out


@pytest.mark.parametrize("what", ["site", "zones", "locations", "nodes", "units", "devices",
                                  "links", "circuits"])
def test_show_every_section(run: Run, what: str) -> None:
    code, out, _ = run("inventory", "show", str(EXAMPLE), what)
    assert code == 0
    assert out.strip()
    code, out, _ = run("inventory", "show", str(EXAMPLE), what, "--format", "json")
    assert code == 0
    assert json.loads(out)


def test_show_filters(run: Run) -> None:
    code, out, _ = run("inventory", "show", str(EXAMPLE), "nodes", "--tier", "2", "-f", "json")
    assert code == 0
    nodes = json.loads(out)
    assert len(nodes) == 23
    assert {n["tier"] for n in nodes} == {2}
    code, out, _ = run("inventory", "show", str(EXAMPLE), "devices", "--zone", "inner",
                       "-f", "json")
    assert {d["zone"] for d in json.loads(out)} == {"inner"}


def test_analyze_json(run: Run) -> None:
    code, out, _ = run("inventory", "analyze", str(EXAMPLE), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"tier_violations", "connectivity", "resilience", "oversubscription"}
    outer = next(r for r in data["resilience"] if r["zone"] == "outer")
    assert outer["spof_count"] > 0
    assert any(p["units_cut"] for p in outer["devices"])


def test_analyze_table_and_unknown_zone(run: Run) -> None:
    code, out, _ = run("inventory", "analyze", str(EXAMPLE))
    assert code == 0
    assert "single points of failure" in out
    code, _, err = run("inventory", "analyze", str(EXAMPLE), "--zone", "mars")
    assert code == 2
    assert "unknown zone" in err


def test_graph_dot_and_json(run: Run) -> None:
    code, out, _ = run("inventory", "graph", str(MINI))
    assert code == 0
    assert out.startswith('graph "mini"')
    assert '"core-sw" -- "agg-sw"' in out
    code, out, _ = run("inventory", "graph", str(MINI), "--level", "nodes")
    assert '"core" -- "n2"' in out
    code, out, _ = run("inventory", "graph", str(MINI), "--format", "json")
    data = json.loads(out)
    assert {n["id"] for n in data["nodes"]} == {"core-sw", "agg-sw", "fw1"}


def test_export_json_roundtrips_through_the_loader(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "out" / "inv.json"
    code, _, err = run("inventory", "export", "json", str(MINI), "-o", str(target))
    assert code == 0
    assert "written" in err
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["devices"][0]["credentials"]["password"] == {"env": "EGOV_PW"}
    # the export is itself a valid single-file inventory
    (tmp_path / "again.yaml").write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run("inventory", "validate", str(tmp_path / "again.yaml"))
    assert code == 0, out


def test_schema_is_json_schema(run: Run) -> None:
    code, out, _ = run("inventory", "schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["title"] == "egovops inventory file"
    assert "Device" in schema["$defs"]
    assert schema["$defs"]["Device"]["required"] == ["id"]


def test_version(run: Run) -> None:
    code, out, _ = run("--version")
    assert code == 0
    assert out.startswith("egovops ")


def test_validate_warns_about_a_missing_config_file_and_still_passes(
        run: Run, tmp_path: Path) -> None:
    import shutil

    site = tmp_path / "site"
    shutil.copytree(EXAMPLE, site)
    (site / "configs" / "px-sslvpn.nft").unlink()
    code, out, err = run("inventory", "validate", str(site))
    assert code == 0 and "valid" in out
    assert "devices-dmz-mgmt.yaml:51: warning: device px-sslvpn" in err  # the config: key
    code, out, _ = run("inventory", "validate", str(site), "--format", "json")
    (warning,) = json.loads(out)["warnings"]
    assert (warning["line"], warning["code"]) == (51, "config-missing")
    code, out, err = run("inventory", "validate", str(EXAMPLE))
    assert code == 0 and "warning" not in err
