"""The hooks config/gunicorn.conf.py wires from config/observability.py."""

from __future__ import annotations

import logging
import logging.config
from types import SimpleNamespace

import pytest
from prometheus_client import multiprocess

from config import observability
from tests.test_production_settings import EXAMPLE_ENV, run_manage


def test_gunicorn_logs_through_the_json_formatter_and_keeps_the_access_log_off():
    config = observability.gunicorn_logconfig()
    assert config["formatters"]["structured"]["json"] is True
    assert config["loggers"]["gunicorn.access"]["level"] == "CRITICAL"
    before = logging.getLogger().handlers[:]
    try:
        logging.config.dictConfig(config)  # a config gunicorn can apply
    finally:
        root = logging.getLogger()
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in before:
            root.addHandler(handler)


def test_gunicorn_refuses_a_missing_metrics_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "missing"))
    with pytest.raises(RuntimeError, match="PROMETHEUS_MULTIPROC_DIR"):
        observability.gunicorn_on_starting(server=None)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    observability.gunicorn_on_starting(server=None)


def test_a_dead_gunicorn_worker_is_marked_in_the_metrics_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    calls = []
    monkeypatch.setattr(multiprocess, "mark_process_dead", lambda pid: calls.append(pid))
    observability.gunicorn_child_exit(server=None, worker=SimpleNamespace(pid=4321))
    assert calls == [4321]


def test_production_refuses_a_short_metrics_token_and_a_bad_network():
    short = run_manage("check", env={**EXAMPLE_ENV, "CANOPY_METRICS_TOKEN": "short"})
    assert short.returncode != 0 and "CANOPY_METRICS_TOKEN" in short.stderr
    bad = run_manage("check", env={**EXAMPLE_ENV, "CANOPY_METRICS_ALLOWED_IPS": "10.0.0.0/33"})
    assert bad.returncode != 0 and "CANOPY_METRICS_ALLOWED_IPS" in bad.stderr


def test_the_gunicorn_config_file_wires_these_hooks():
    import runpy
    from pathlib import Path

    conf = runpy.run_path(str(Path(__file__).resolve().parent.parent / "config/gunicorn.conf.py"))
    assert conf["on_starting"] is observability.gunicorn_on_starting
    assert conf["child_exit"] is observability.gunicorn_child_exit
    assert conf["accesslog"] is None
    assert conf["logconfig_dict"]["loggers"]["gunicorn.access"]["level"] == "CRITICAL"
    assert conf["worker_class"] == "sync" and conf["workers"] >= 2
