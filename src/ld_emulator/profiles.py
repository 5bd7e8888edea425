"""Emulator profiles: how the emulator reads the points LaunchDarkly's spec leaves open.

Where the spec's text settles a point, every profile follows it. Where it is silent or vague,
the emulator has to pick an answer:

* ``lenient`` (the default) keeps the answers the emulator has always given, several of which
  suit a client (write answers carry every expansion, a stopped experiment restarts directly,
  archiving stops a running iteration, ...);
* ``strict`` takes, at each such point, the reading least convenient for a client, so that a
  client tested against it does not depend on a convenience real LaunchDarkly may not offer.

Each strict behaviour is a named *point* (:data:`STRICT_POINTS`); a :class:`Profile` is the set
of points it enforces. ``Profile.custom({...})`` enables some of them only, e.g. to work through
a client's failures one point at a time. docs/emulator.md has the table: what the spec says,
both readings, why, and which one real LaunchDarkly is believed to take.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["LENIENT", "PROFILES", "STRICT", "STRICT_POINTS", "Profile", "resolve_profile"]

#: Every strict behaviour: its name and what the ``strict`` profile does there.
STRICT_POINTS: dict[str, str] = {
    "write-without-expansions": (
        "POST and PATCH answers render no expansions: no treatments, draftIteration, "
        "previousIterations or analysisConfig (read them with GET ?expand=...)"
    ),
    "restart-needs-new-iteration": (
        "startIteration on a stopped experiment without a new iteration is a 400 'You must "
        "create a new iteration before calling this instruction'; create one first with "
        "updateExperimentFields on an iteration field or POST .../iterations"
    ),
    "archive-running-refused": (
        "archiveExperiment while the current iteration is running is a 400; stop it first"
    ),
    "treatment-ids-renewed-on-start": (
        "treatment _ids change whenever an iteration starts, not only with each new iteration: "
        "ids read before a start are stale after it"
    ),
    "flag-config-version-checked": (
        "flags.<key>.flagConfigVersion must equal the flag's current version in the "
        "environment; a mismatch is a 400"
    ),
    "duplicate-key-400": (
        "creating an experiment with a key that exists (archived or not) is a 400 "
        "invalid_request, not a 409"
    ),
    "list-limit-20": "limit above 20 on experiment and holdout listings is a 400 (lenient: 50)",
    "env-version-is-flag-version": (
        "a flag's environments.<env>.version is the flag's own _version; only "
        "environments.<env>._version is the targeting version that flagConfigVersion means "
        "(lenient: both are the targeting version)"
    ),
    "experiment-serving-bumps-version": (
        "starting an iteration, and ending one without a winner, change what the rule serves "
        "and so increment the environment's _version (lenient: only shipping a winner and "
        "flag PATCHes do)"
    ),
    "maintainer-must-be-member": (
        "a maintainerId that is not the _id of an account member (GET /api/v2/members) is a "
        "400 naming the field, wherever one is given: experiments (create, "
        "updateExperimentFields), metrics and metric groups (create, JSON Patch), holdouts "
        "(create) (lenient: any id)"
    ),
    "in-use-refused": (
        "what is in use cannot be taken away: deleting a metric that a metric group lists or a "
        "not-archived experiment measures, or a metric group such an experiment measures; a "
        "settings PUT that drops a randomization unit a not-archived experiment or a running "
        "holdout uses; endHoldout while an experiment in the holdout runs; removeExperiment of "
        "a running experiment from a holdout: each a 400 naming the users (lenient: done; "
        "groups drop a deleted metric, experiments keep showing what they measured and the "
        "unit they have)"
    ),
    "ended-holdout-takes-no-experiments": (
        "an experiment created or updated with the holdoutId of an ended holdout is a 400 "
        "(lenient: it joins the ended holdout)"
    ),
    "funnel-needs-two-metrics": (
        "a funnel metric group needs at least two metrics and a standard one at least one; "
        "fewer, on create or after a JSON Patch, is a 400 (lenient: any number)"
    ),
    "key-required": (
        "a POST of a metric group or holdout without a key (the spec's schemas leave it "
        "optional) is a 400 (lenient: the key is made from the name, e.g. 'Q1 holdout' -> "
        "'q1-holdout')"
    ),
    "gateway-errors-html": (
        "injected 502/503/504 faults answer an HTML page (text/html, no JSON), as a load "
        "balancer in front of the API does"
    ),
}


@dataclass(frozen=True)
class Profile:
    """A named set of strict points. ``point in profile`` tells whether one is enforced."""

    name: str
    strict_points: frozenset[str]

    def __post_init__(self) -> None:
        unknown = sorted(self.strict_points - set(STRICT_POINTS))
        if unknown:
            raise ValueError(
                f"unknown strict point {unknown[0]!r} (known: {', '.join(STRICT_POINTS)})"
            )

    def __contains__(self, point: object) -> bool:
        if isinstance(point, str) and point not in STRICT_POINTS:
            raise KeyError(f"unknown strict point {point!r}")
        return point in self.strict_points

    @classmethod
    def custom(cls, points: Iterable[str]) -> Profile:
        """A profile enforcing only ``points`` (names from :data:`STRICT_POINTS`)."""
        return cls("custom", frozenset(points))

    def describe(self) -> dict[str, object]:
        return {"profile": self.name, "strictPoints": sorted(self.strict_points)}


LENIENT = Profile("lenient", frozenset())
STRICT = Profile("strict", frozenset(STRICT_POINTS))
#: The named profiles, for ``Emulator(profile=...)`` and ``ld-emulator --profile``.
PROFILES: dict[str, Profile] = {"lenient": LENIENT, "strict": STRICT}


def resolve_profile(profile: str | Profile) -> Profile:
    """``"lenient"``, ``"strict"`` or a :class:`Profile` as a :class:`Profile`."""
    if isinstance(profile, Profile):
        return profile
    found = PROFILES.get(profile)
    if found is None:
        raise ValueError(f"unknown profile {profile!r} (one of: {', '.join(PROFILES)})")
    return found
