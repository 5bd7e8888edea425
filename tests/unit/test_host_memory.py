"""What one provider host remembers across its services (``core.service.HostMemory``)."""

from __future__ import annotations

from launchdarkly_experiments.config import Settings
from launchdarkly_experiments.core.service import HostMemory, Service
from launchdarkly_experiments.provider import ExperimentProvider, MetricProvider
from tests.support.toy_kind import Toy


def test_every_check_of_a_host_counts_as_declared_here() -> None:
    """The dynamic provider host serves each kind's provider, with its own service, in one
    process: what one of them checked, the others know (a metric group then does not report a
    metric the program declares as missing). Another host's services do not."""
    memory = HostMemory()
    first, second, elsewhere = Service(memory), Service(memory), Service()
    first.use_settings(Settings(project_key="box", validate_references="never"))
    assert first.check(first.kind(Toy), {}, {"key": "declared-once", "name": "T"}).problems == []
    assert first.declared_here("Toy", "box/declared-once")
    assert second.declared_here("Toy", "box/declared-once")
    assert not second.declared_here("Toy", "box/never-declared")
    assert not elsewhere.declared_here("Toy", "box/declared-once")
    refused = first.check(first.kind(Toy), {}, {"key": "refused", "name": ""})
    assert refused.problems and not second.declared_here("Toy", "box/refused")


def test_a_declaration_with_unknown_inputs_is_declared_once_its_id_is_known() -> None:
    """At preview an input taken from another resource's output is unknown: the declaration is
    still this program's (a layer reserving an experiment whose holdout id is unknown must not
    report the experiment missing); one whose id itself is unknown is not yet."""
    unknown = object()
    service = Service()
    service.use_settings(Settings(project_key="box", validate_references="never"))

    def is_unknown(value: object) -> bool:
        return value is unknown

    toy = service.kind(Toy)
    known_id = {"key": "id-known", "name": unknown}
    assert service.check(toy, {}, known_id, is_unknown).problems == []
    assert service.declared_here("Toy", "box/id-known")
    unknown_id = {"key": unknown, "name": "T"}
    assert service.check(toy, {}, unknown_id, is_unknown).problems == []
    assert not service.declared_here("Toy", f"box/{unknown}")


def test_the_dynamic_providers_of_every_kind_share_one_host_memory() -> None:
    experiments, metrics = ExperimentProvider(), MetricProvider()
    assert experiments._service._memory is metrics._service._memory


def test_services_of_one_host_with_the_same_settings_share_one_cache_of_reads() -> None:
    """A Python programme's kinds each have a provider (and a service) in the dynamic host: a
    project or member one kind looked up is not read again for another."""
    memory = HostMemory()
    settings = Settings(access_token="api-share-0001", api_host="http://127.0.0.1:9")
    first, second = Service(memory), Service(memory)
    first.use_settings(settings)
    second.use_settings(settings)
    assert first.lookups() is second.lookups() and first.client() is second.client()
    other_token = Service(memory)
    other_token.use_settings(Settings(access_token="api-share-0002", api_host=settings.api_host))
    assert other_token.lookups() is not first.lookups()
    elsewhere = Service()
    elsewhere.use_settings(settings)
    assert elsewhere.lookups() is not first.lookups()
