"""What one provider host checked, every kind of it knows (``Service.declared_here``)."""

from __future__ import annotations

from launchdarkly_experiments.config import Settings
from launchdarkly_experiments.core.service import Service
from tests.support.toy_kind import Toy


def test_every_check_of_this_process_counts_as_declared_here() -> None:
    """The dynamic provider host serves each kind's provider, with its own service, in one
    process: what one of them checked, the others know (a metric group then does not report a
    metric the program declares as missing)."""
    first, second = Service(), Service()
    first.use_settings(Settings(project_key="box", validate_references="never"))
    assert first.check(first.kind(Toy), {}, {"key": "declared-once", "name": "T"}).problems == []
    assert first.declared_here("Toy", "box/declared-once")
    assert second.declared_here("Toy", "box/declared-once")
    assert not second.declared_here("Toy", "box/never-declared")
    refused = first.check(first.kind(Toy), {}, {"key": "refused", "name": ""})
    assert refused.problems and not second.declared_here("Toy", "box/refused")
