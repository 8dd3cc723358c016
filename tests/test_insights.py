"""`tpi-skill insights`: the one-page report, rendered from the fixtures (tests/fixtures/usage/, the
scripted morning in make_fixtures.py) on both hosts' figures, with the numbers checked."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import warnings
from pathlib import Path

import pytest

from skill.runtime.content import load_content
from skill.tools import insights
from skill.tools.cli import main
from tests.helpers_server import running_skill

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "usage"
LOG = FIXTURES / "lambda-log.txt"


def table(page: str, title: str) -> dict[str, str]:
    """The rows of the report's table under `title`, as {label: value}."""
    section = page.split(f"<h2>{html.escape(title)}</h2>", 1)[1].split("</section>", 1)[0]
    return {
        html.unescape(label): html.unescape(value)
        for label, value in re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", section)
    }


def drawn_text(data: insights.Usage) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.text import Text

    figure = insights.build_figure(data, insights.figures(data), load_content())
    return [text.get_text() for text in figure.findobj(Text) if text.get_text()]


def test_the_report_from_lambda_log_lines_has_the_mornings_numbers(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    data = insights.run([str(LOG)], out)
    page = out.read_text()
    assert data.source == "21 log lines"  # Lambda's START and END lines are not usage lines
    summary = table(page, "Summary")
    assert summary["Period"] == "2026-03-02 09:00 to 2026-03-02 11:00 UTC"
    assert summary["Requests"] == "21"
    assert summary["Questions spoken (intent requests)"] == "12"
    assert summary["Fallback rate (not understood)"] == "8.3% (1 of 12)"
    assert summary["Slot not resolved"] == "33.3% (1 of 3)"
    assert summary["Slot empty (asked again)"] == "33.3% (1 of 3)"
    assert summary["Voice requests"] == "15"
    assert summary["Screen touches"] == "2 (11.8%)"
    assert summary["Repeats asked for"] == "1"
    assert table(page, "What patients asked most") == {
        "Which muscles are treated": "3",
        "More on which muscles are treated": "1",
        "Body part: neck": "1",
    }
    assert table(page, "What the leaflet did not cover") == {
        "The cost": "2",
        "A body part the leaflet does not mention": "1",
        "Pregnancy": "1",
    }
    assert table(page, "Rates over time") == {
        "03-02 09:00": "fallback 12.5%, slot not resolved 50.0%, voice 10, touch 2",
        "03-02 10:00": "fallback 0.0%, slot not resolved 0.0%, voice 5, touch 0",
    }
    assert table(page, "Sessions ended, by Alexa's reason") == {
        "ERROR": "1",
        "EXCEEDED_MAX_REPROMPTS": "1",
        "USER_INITIATED": "1",
    }
    assert table(page, "Requests by locale") == {"en-GB": "9", "en-US": "12"}
    assert table(page, "Speech rate changes") == {"slower": "1"}
    assert 'src="data:image/png;base64,' in page


def test_the_picture_draws_the_same_numbers(tmp_path: Path) -> None:
    drawn = drawn_text(insights.read_sources([str(LOG)]))
    for expected in (
        "What patients asked most",
        "What the leaflet did not cover",
        "Fallback and unresolved-slot rates",
        "Voice and touch",
        "Which muscles are treated",
        " 3",
        "The cost",
        " 2",
        "voice (15)",
        "touch (2)",
    ):
        assert expected in drawn, expected
    out = tmp_path / "report.png"
    insights.run([str(LOG)], out)
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_the_report_from_two_metrics_readings_shows_the_hour_between_them(tmp_path: Path) -> None:
    readings = []
    for name, minute in (("metrics-0940.prom", 40), ("metrics-1040.prom", 100)):
        copy = tmp_path / name
        shutil.copy(FIXTURES / name, copy)
        moment = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)
        os.utime(copy, (moment.timestamp(), moment.timestamp()))  # a saved page is read at its file's time
        readings.append(str(copy))
    out = tmp_path / "web.html"
    data = insights.run(readings, out)
    page = out.read_text()
    assert data.source == "2 /metrics readings"
    summary = table(page, "Summary")
    assert summary["Requests"] == "21"
    assert summary["Fallback rate (not understood)"] == "8.3% (1 of 12)"
    assert summary["Screen touches"] == "2 (11.8%)"
    assert table(page, "Rates over time") == {
        "until 2026-03-02 09:40": "fallback 12.5%, slot not resolved 50.0%, voice 10, touch 2",
        "03-02 09:40": "fallback 0.0%, slot not resolved 0.0%, voice 5, touch 0",
    }
    web = table(page, "Web service: Alexa requests")
    assert (web["accepted"], web["refused: application_id"], web["bad_request"]) == ("21", "2", "1")
    assert web["Latency p50 (in the app)"].endswith(" ms")
    assert table(page, "What patients asked most")["Which muscles are treated"] == "3"


def test_history_keeps_each_reading_so_later_reports_show_the_trend(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    first, second = FIXTURES / "metrics-0940.prom", FIXTURES / "metrics-1040.prom"
    assert insights.run([str(first)], tmp_path / "a.html", history=history).source == "1 /metrics reading"
    data = insights.run([str(second)], tmp_path / "b.html", history=history)
    assert data.source == "2 /metrics readings"
    assert len(history.read_text().splitlines()) == 2
    later = insights.figures(data).over_time[-1]
    assert (later[1], later[3]) == (0.0, 5.0)  # the second hour alone: no fallback, five spoken requests


def test_a_server_restart_between_readings_is_not_a_negative_count() -> None:
    def reading(minute: int, answers: float) -> insights.Snapshot:
        moment = dt.datetime(2026, 3, 2, 9, minute, tzinfo=dt.UTC)
        return moment, {("answers", ("topic:muscles",)): answers}, {}

    data = insights.from_snapshots([reading(0, 10), reading(20, 14), reading(40, 3)])
    assert [window.counts.get(("answers", ("topic:muscles",))) for window in data.windows] == [10, 4, 3]
    assert data.totals[("answers", ("topic:muscles",))] == 17


def test_latency_quantiles_come_from_the_histogram_buckets() -> None:
    buckets = {0.001: 0.0, 0.005: 50.0, 0.01: 90.0, 0.025: 100.0, float("inf"): 100.0}
    assert insights.summary._quantile(buckets, 0.5) == pytest.approx(0.005)
    assert insights.summary._quantile(buckets, 0.95) == pytest.approx(0.0175)
    assert insights.summary._quantile({}, 0.5) is None


def test_a_tampered_log_cannot_put_words_into_the_report(tmp_path: Path) -> None:
    root = json.loads(next(line for line in LOG.read_text().splitlines() if line.startswith("{")))
    forged = dict(root, Answer="topic:QZMARK words", Locale="QZMARK", Intent="QZMARKIntent", Request="intent")
    log = tmp_path / "forged.txt"
    log.write_text(LOG.read_text() + json.dumps(forged) + "\n")
    out = tmp_path / "forged.html"
    data = insights.run([str(log)], out)
    assert "qzmark" not in out.read_text().lower()
    assert not [text for text in drawn_text(data) if "qzmark" in text.lower()]
    assert table(out.read_text(), "Requests by locale")["other"] == "1"


def test_a_quiet_period_with_nothing_misunderstood_draws_without_warnings(tmp_path: Path) -> None:
    """A cron job mails whatever the report prints: a period with no fallback and no slot must not warn."""
    touch_only = [line for line in LOG.read_text(encoding="utf-8").splitlines() if '"Touch":1' in line]
    assert touch_only, "the fixture has screen touches"
    log = tmp_path / "touch-only.txt"
    log.write_text("\n".join(touch_only[:1]) + "\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        insights.run([str(log)], tmp_path / "report.png")


def test_the_command_writes_the_report_and_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "insights.html"
    assert main(["insights", str(LOG), "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"Wrote {out} from 21 log lines.\n"
    assert out.exists()


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        (
            ["/no/such/file.txt"],
            "tpi-skill insights: cannot read /no/such/file.txt: No such file or directory",
        ),
        ([__file__], "tpi-skill insights: no usage lines found"),
        (
            [str(LOG), str(FIXTURES / "metrics-0940.prom")],
            "tpi-skill insights: give either /metrics readings or log files",
        ),
        (["http://127.0.0.1:9/metrics"], "tpi-skill insights: cannot read http://127.0.0.1:9/metrics"),
    ],
)
def test_a_source_that_cannot_be_read_is_one_plain_line(
    sources: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["insights", *sources, "--out", str(tmp_path / "x.html")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err
    assert not (tmp_path / "x.html").exists()


def test_the_command_reads_a_running_servers_metrics_with_its_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from skill.tools.local import Conversation

    token = "insights-test-token-0123456789"
    monkeypatch.setenv("METRICS_TOKEN", token)
    with running_skill() as url:
        talk = Conversation(url=url)
        talk.launch()
        talk.intent("CostIntent")
        monkeypatch.delenv("METRICS_TOKEN")
        assert main(["insights", f"{url}metrics", "--out", str(tmp_path / "no.html")]) == 1
        assert "answered HTTP 401 (set METRICS_TOKEN to the server's token)" in capsys.readouterr().err
        monkeypatch.setenv("METRICS_TOKEN", token)
        out = tmp_path / "live.html"
        assert (
            main(["insights", f"{url}metrics", "--out", str(out), "--history", str(tmp_path / "h.jsonl")])
            == 0
        )
    page = out.read_text()
    assert table(page, "What the leaflet did not cover") == {"The cost": "1"}
    assert token not in page
