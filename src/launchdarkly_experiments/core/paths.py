"""The paths of LaunchDarkly's REST API v2 that the kinds use, each segment quoted.

One place for them: a kind's operations and the lookups of the objects declarations refer to
build their requests from these.
"""

from __future__ import annotations

from urllib.parse import quote


def _seg(value: str) -> str:
    return quote(value, safe="")


def project(project_key: str) -> str:
    return f"/api/v2/projects/{_seg(project_key)}"


def environment(project_key: str, environment_key: str) -> str:
    return f"{project(project_key)}/environments/{_seg(environment_key)}"


def experiments(project_key: str, environment_key: str) -> str:
    return f"{environment(project_key, environment_key)}/experiments"


def experiment(project_key: str, environment_key: str, key: str) -> str:
    return f"{experiments(project_key, environment_key)}/{_seg(key)}"


def flags(project_key: str) -> str:
    return f"/api/v2/flags/{_seg(project_key)}"


def flag(project_key: str, key: str) -> str:
    return f"{flags(project_key)}/{_seg(key)}"


def metrics(project_key: str) -> str:
    return f"/api/v2/metrics/{_seg(project_key)}"


def metric(project_key: str, key: str) -> str:
    return f"{metrics(project_key)}/{_seg(key)}"


def metric_groups(project_key: str) -> str:
    return f"{project(project_key)}/metric-groups"


def metric_group(project_key: str, key: str) -> str:
    return f"{metric_groups(project_key)}/{_seg(key)}"


def holdouts(project_key: str, environment_key: str) -> str:
    return f"{environment(project_key, environment_key)}/holdouts"


def holdout(project_key: str, environment_key: str, key: str) -> str:
    return f"{holdouts(project_key, environment_key)}/{_seg(key)}"


def holdout_by_id(project_key: str, environment_key: str, holdout_id: str) -> str:
    return f"{holdouts(project_key, environment_key)}/id/{_seg(holdout_id)}"


def layers(project_key: str) -> str:
    return f"{project(project_key)}/layers"


def layer(project_key: str, key: str) -> str:
    return f"{layers(project_key)}/{_seg(key)}"


def experimentation_settings(project_key: str) -> str:
    return f"{project(project_key)}/experimentation-settings"


def context_kinds(project_key: str) -> str:
    return f"{project(project_key)}/context-kinds"


def members() -> str:
    return "/api/v2/members"


def member(member_id: str) -> str:
    return f"{members()}/{_seg(member_id)}"
