"""The GitHub workflows: actionlint-clean, and calling only what these tests run (make scheduled-crawl)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT
from tests.site.server import FixtureSite

WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = ROOT / ".venv" / "bin" / "actionlint"
# What the workflows may run: make targets these tests (or `make test` itself) exercise.
TESTED_TARGETS = {"crawl.yml": {"scheduled-crawl"}, "test.yml": {"test"}}
ACTIONS = {"actions/checkout", "actions/upload-artifact"}


def _load(name: str) -> dict[Any, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def _actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ACTIONLINT), *map(str, files)], capture_output=True, text=True, timeout=60)


def test_workflows_pass_actionlint() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert [f.name for f in files] == ["crawl.yml", "test.yml"]
    result = _actionlint(*files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = (WORKFLOWS / "crawl.yml").read_text().replace("matrix.group", "matrix.grup")
    (tmp_path / "crawl.yml").write_text(broken)
    result = _actionlint(tmp_path / "crawl.yml")
    assert result.returncode == 1 and "grup" in result.stdout


def test_workflows_only_run_tested_make_targets() -> None:
    for name, targets in TESTED_TARGETS.items():
        for job in _load(name)["jobs"].values():
            for step in job["steps"]:
                if "uses" in step:
                    assert step["uses"].split("@")[0] in ACTIONS, step
                else:
                    command = step["run"].split()
                    assert command[0] == "make" and command[1] in targets, step["run"]


def test_crawl_workflow_schedule_dispatch_groups_and_secret() -> None:
    flow = _load("crawl.yml")
    triggers = flow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["schedule"][0]["cron"]
    assert set(triggers["workflow_dispatch"]["inputs"]) == {"spider", "arguments"}
    job = flow["jobs"]["crawl"]
    assert job["concurrency"]["group"] == "crawl-${{ matrix.group }}"
    assert job["concurrency"]["cancel-in-progress"] is False
    groups = job["strategy"]["matrix"]["include"]
    # Every registered source is crawled by exactly one group, under its own spider.
    from crawler.sources import registry

    crawled = []
    for group in groups:
        names = [a[len("source="):].split(",") for a in group["arguments"].split() if a.startswith("source=")]
        crawled += [n for part in names for n in part] or [group["spider"]]
        assert all(registry()[n].spider == group["spider"] for part in names for n in part), group
    assert sorted(crawled) == sorted(registry())
    assert job["env"]["DATABASE_URL"] == "${{ secrets.DATABASE_URL }}"
    upload = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert upload and upload[0]["with"]["path"] == "var/run/"
    assert "make test" in _load("test.yml")["jobs"]["test"]["steps"][-1]["run"]
    assert set(_load("test.yml")[True]) == {"push", "pull_request"}


def _scheduled_crawl(
    site: FixtureSite, run_dir: Path, db_url: str | None
) -> subprocess.CompletedProcess[str]:
    args = " ".join([
        "-a langs=en -a max_pages=1", f"-s FOLLOWIN_BASE_URL={site.base_url}",
        f"-s FOLLOWIN_API_URL={site.base_url}", "-s AUTOTHROTTLE_ENABLED=False -s DOWNLOAD_DELAY=0",
    ])  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MAKEFLAGS")}
    if db_url:
        env["DATABASE_URL"] = db_url
    return subprocess.run(
        ["make", "-s", "scheduled-crawl", "SPIDER=followin", f"ARGS={args}", f"RUN_DIR={run_dir}",
         "MAX_ERROR_RATE=0.1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_scheduled_crawl_keeps_log_and_report_and_passes_a_clean_run(db_url: str, tmp_path: Path) -> None:
    with FixtureSite() as site:
        result = _scheduled_crawl(site, tmp_path, db_url)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Spider closed (finished)" in (tmp_path / "crawl.log").read_text()
    assert "stored: 20 new" in (tmp_path / "report.txt").read_text()
    assert (tmp_path / "report.html").read_text().count('<figure class="chart"') == 5


def test_scheduled_crawl_fails_over_the_error_rate(db_url: str, tmp_path: Path) -> None:
    with FixtureSite() as site:
        for article in ("22879944", "22879860", "22879733", "22879604"):  # 4 of the first 20
            site.add_fault(f"/en/feed/{article}", 404)
        result = _scheduled_crawl(site, tmp_path, db_url)
    assert result.returncode != 0
    assert "is over 10.0%" in (tmp_path / "report.txt").read_text()
    assert (tmp_path / "report.html").exists()  # the report is written for the artifact anyway


def test_scheduled_crawl_refuses_to_run_without_database_url(tmp_path: Path) -> None:
    with FixtureSite() as site:
        result = _scheduled_crawl(site, tmp_path, None)
    assert result.returncode != 0 and "set DATABASE_URL" in result.stderr
    assert site.requests == []
