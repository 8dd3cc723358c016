"""Reading a Prometheus text page back, for the tests of the in-process and the production /metrics."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(page: str | bytes) -> Samples:
    """(sample name, sorted labels) -> value, for every sample of a /metrics page."""
    text = page.decode("utf-8") if isinstance(page, bytes) else page
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
